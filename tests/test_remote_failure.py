"""An unreachable or failing remote: a clear StoreError within the configured wait, nothing half-written,
and no secret (Postgres password, Supabase key) in any message, log record or repr.

"Blackhole" is a loopback socket that accepts connections and never answers. Supabase is reached
through an HTTPS proxy on such a socket (or on a closed port), so no test needs the network.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest

import genome
from genome import jobs
from genome.errors import StoreError
from genome.settings import Settings
from genome.store.postgres import JOB_LOCK
from genome.store.supabase import SupabaseStore
from tests.job_processes import job_counts, load, snapshot, workspace

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "hunter2-Secret"
SECRET_KEY = "sb_secret_NeverShowThis0123456789"
SUPABASE_URL = "https://abcdefghijklmnopqrst.supabase.co"
AS_OF = date(2026, 3, 1)
HANG_GUARD_SECONDS = 60  # far above the waits configured here: only a hang fails it


@pytest.fixture(params=["closed-port", "blackhole"])
def unreachable(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    """(kind, port) of a loopback address where nothing answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        if request.param == "blackhole":
            listener.listen(16)  # the kernel completes the handshake; nobody ever reads or writes
            yield request.param, port
            return
    yield request.param, port  # closed: the port was free and nothing listens on it now


def postgres_url(port: int, password: str = PASSWORD) -> str:
    return f"postgresql://genome:{password}@127.0.0.1:{port}/genome"


def with_password(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{PASSWORD}@{parts.hostname}:{parts.port}"))


@pytest.mark.timeout(HANG_GUARD_SECONDS)
def test_the_facade_gives_a_store_error_naming_the_host_not_the_password(unreachable, caplog):
    kind, port = unreachable
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StoreError) as refused:
        genome.open(postgres_url(port), config={"GENOME_DB_TIMEOUT_SECONDS": "2"})
    reason = "Connection refused" if kind == "closed-port" else "connection timeout expired"
    assert str(refused.value).startswith(f"cannot connect to Postgres at 127.0.0.1:{port} within 2 s: ")
    assert reason in str(refused.value)
    shown = [str(refused.value), repr(refused.value), refused.value.hint, caplog.text]
    assert not any(PASSWORD in text for text in shown if text)


def test_the_cli_gives_one_line_and_exit_1_with_the_default_wait(unreachable, capsys):
    kind, port = unreachable
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GENOME_", "SUPABASE_"))}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "genome", "--database", postgres_url(port), "refresh"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
        check=False,
    )
    with capsys.disabled():
        print(
            f"\nCLI against a {kind} Postgres: exit {result.returncode} after {time.perf_counter() - started:.1f} s"
        )
    assert (result.returncode, result.stdout, result.stderr.count("\n")) == (1, "", 1)
    assert result.stderr.startswith(f"error: cannot connect to Postgres at 127.0.0.1:{port} within 5 s: ")
    assert PASSWORD not in result.stderr


@pytest.mark.timeout(HANG_GUARD_SECONDS)
def test_an_unreachable_supabase_is_a_store_error_without_the_key(unreachable, monkeypatch, caplog):
    _, port = unreachable
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    caplog.set_level(logging.DEBUG)
    g = genome.open(SUPABASE_URL, key=SECRET_KEY, config={"GENOME_DB_TIMEOUT_SECONDS": "1"})
    try:
        with pytest.raises(StoreError) as refused:
            g.brands()
    finally:
        g.close()
    assert SUPABASE_URL in str(refused.value)
    shown = [str(refused.value), repr(refused.value), repr(g), repr(g.store), g.url, caplog.text]
    assert not any(SECRET_KEY in text for text in shown)


def test_a_supabase_refusal_that_echoes_the_key_is_redacted():
    def echo(request: httpx.Request) -> httpx.Response:
        key = request.headers["apikey"]
        body = {"code": "PGRST301", "message": f"bad key {key}", "details": key, "hint": f"not {key}"}
        return httpx.Response(401, json=body)

    store = SupabaseStore(SUPABASE_URL, SECRET_KEY, Settings(), transport=httpx.MockTransport(echo))
    try:
        with pytest.raises(StoreError) as refused:
            store.brands()
    finally:
        store.close()
    shown = [str(refused.value), refused.value.details, refused.value.hint, repr(store)]
    assert not any(SECRET_KEY in text for text in shown if text)


# --- the connection dies in the middle of a job ---------------------------------------------------------
def terminate_the_job_connection(admin_url: str) -> None:
    """End the server process of the session that holds the job lock (as a failover or restart would)."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        ended = admin.execute(
            "select pg_terminate_backend(pid) from pg_locks"
            " where locktype = 'advisory' and classid = 0 and objid = %s and granted",
            (JOB_LOCK,),
        ).fetchall()
    assert ended == [(True,)]


@pytest.mark.postgres
@pytest.mark.parametrize("job", ["refresh", "validate"])
def test_a_connection_lost_mid_job_writes_nothing_and_records_the_failure(
    postgres_database, postgres_url, job
):
    g = genome.open(with_password(postgres_database))  # trust authentication: any password is accepted
    try:
        load(g.store, workspace(1, AS_OF))
        g.refresh(as_of=date(2026, 2, 1))
        g.validate(as_of=date(2026, 2, 1))
        before = snapshot(g.store)
        compute = jobs.compute_refresh if job == "refresh" else jobs.compute_validation

        def dying(inputs):
            terminate_the_job_connection(postgres_url)
            return compute(inputs, settings=g.settings)

        with pytest.raises(StoreError) as lost:
            getattr(g.store, job)(None, AS_OF, dying)
        after = snapshot(g.store)  # on a new connection: the store reconnects by itself
        counts = job_counts(g.store)
        failure = g.job_runs(1).iloc[0]
        again = getattr(g, job)(as_of=AS_OF)
    finally:
        g.close()
    for part in before:
        assert after[part].equals(before[part]), part
    assert counts[(job, "failed")] == 1 and failure["status"] == "failed"
    assert str(lost.value) == "Postgres: terminating connection due to administrator command [57P01]"
    assert PASSWORD not in f"{lost.value} {failure['error']}"
    assert again["job_id"] > failure["id"]


def test_settings_repr_hides_the_database_password():
    settings = Settings.load({"GENOME_DATABASE_URL": postgres_url(5432)})
    assert PASSWORD not in repr(settings)


def password_in_query(url: str) -> str:
    return f"{url}?sslmode=disable&password={PASSWORD}"


@pytest.mark.postgres
@pytest.mark.parametrize("place", [with_password, password_in_query], ids=["user:password@", "?password="])
def test_reprs_and_urls_hide_the_postgres_password(postgres_database, place):
    g = genome.open(place(postgres_database))
    try:
        shown = [repr(g), repr(g.store), g.url, g.store.url]
    finally:
        g.close()
    assert not any(PASSWORD in text for text in shown)
    assert "***" in g.url


@pytest.mark.timeout(HANG_GUARD_SECONDS)
def test_a_password_given_as_a_url_parameter_stays_out_of_errors():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StoreError) as refused:
        genome.open(f"postgresql://genome@127.0.0.1:{port}/genome?password={PASSWORD}", config={})
    assert PASSWORD not in f"{refused.value} {refused.value.hint}"
