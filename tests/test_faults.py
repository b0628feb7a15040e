"""Storage faults are bounded and explained: a lock held too long, a slow server, a file that is not a
database or is damaged, an empty file, a read-only folder. Real SQLite files and the real Postgres.

Each test asserts the error and what it says (the file, the lock, the setting, what to do), never the
wall time.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import genome
from genome.cli import main
from genome.errors import StoreError
from genome.store.postgres import JOB_LOCK, KEEPALIVE_PROBES, STATEMENT_TIMEOUT_FACTOR, connect
from tests.conftest import BACKENDS
from tests.job_processes import load, workspace

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 3, 1)
HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database
BRANDS = pd.DataFrame(
    {"id": ["acme"], "name": ["Acme"], "organization_id": [None], "cross_brand_sharing": [False]}
)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    """A small demo workspace file, copied by the tests that damage it."""
    path = tmp_path_factory.mktemp("demo") / "genome.db"
    g = genome.open(f"sqlite:///{path}", config={})
    try:
        load(g.store, workspace(1, AS_OF))
    finally:
        g.close()  # the last connection folds the WAL into the file
    return path


def copy_of(demo_file: Path, tmp_path: Path) -> Path:
    target = tmp_path / "genome.db"
    target.write_bytes(demo_file.read_bytes())
    return target


# --- a write behind a job that holds the workspace --------------------------------------------------------
@contextmanager
def job_lock_held(url: str) -> Iterator[None]:
    """Another session holding what a running job holds: SQLite's write lock, Postgres's job lock."""
    if url.startswith("sqlite"):
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("begin immediate")
    else:
        holder = psycopg.connect(url, autocommit=True)
        holder.execute("select pg_advisory_lock(%s)", (JOB_LOCK,))
    try:
        yield
    finally:
        holder.close()


@pytest.fixture(params=BACKENDS)
def backend_url(request) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_database")


def test_a_job_behind_a_held_lock_fails_after_the_wait_with_what_to_do(backend_url):
    g = genome.open(backend_url, config={"GENOME_JOB_WAIT_SECONDS": "0.5"})
    try:
        g.store.save_brands(BRANDS)
        with job_lock_held(backend_url), pytest.raises(StoreError) as waited:
            g.refresh(as_of=AS_OF)
        failures = g.job_runs(10).query("status == 'failed'")
        after = g.refresh(as_of=AS_OF)  # the lock is gone: the same job runs
    finally:
        g.close()
    message = str(waited.value)
    assert not getattr(waited.value, "__notes__", None)  # no second wait to record the failure
    # Postgres records the failed job; SQLite cannot (the record needs the lock that is held)
    assert failures["error"].tolist() == (
        [] if backend_url.startswith("sqlite") else [f"StoreError: {message}"]
    )
    assert "another job" in message and "more than 0.5 s (GENOME_JOB_WAIT_SECONDS)" in message
    assert "try again when it finishes" in message.lower()
    if backend_url.startswith("sqlite"):
        assert backend_url.removeprefix("sqlite:///") in message and waited.value.code == "SQLITE_BUSY"
    else:
        assert "pg_stat_activity" in message and waited.value.code == "55P03"
    assert after["brand_ids"] == ["acme"]


def test_the_cli_reports_a_held_sqlite_lock_on_one_line(sqlite_url, capsys, monkeypatch):
    monkeypatch.setenv("GENOME_JOB_WAIT_SECONDS", "0.5")
    assert main(["--database", sqlite_url, "jobs"]) == 0
    with job_lock_held(sqlite_url):
        code = main(["--database", sqlite_url, "refresh"])
    err = capsys.readouterr().err
    assert (code, err.count("\n")) == (1, 1)
    assert err.startswith(
        f"error: SQLite: the workspace file {sqlite_url.removeprefix('sqlite:///')} is locked"
    )


def test_reads_are_not_blocked_by_a_running_job_on_sqlite(sqlite_url):
    g = genome.open(sqlite_url, config={"GENOME_JOB_WAIT_SECONDS": "0.5"})
    try:
        g.store.save_brands(BRANDS)
        with job_lock_held(sqlite_url):
            reopened = genome.open(sqlite_url, config={"GENOME_JOB_WAIT_SECONDS": "0.5"})
            try:
                brands = reopened.brands()
            finally:
                reopened.close()
    finally:
        g.close()
    assert brands["id"].tolist() == ["acme"]


# --- a slow but connected Postgres ---------------------------------------------------------------------
@pytest.mark.postgres
def test_a_postgres_connection_carries_bounds_derived_from_the_timeout(postgres_database):
    connection = connect(postgres_database, 2)
    try:
        shown = {
            name: connection.execute(f"show {name}").fetchone()[0]
            for name in ("lock_timeout", "statement_timeout")
        }
        parameters = connection.info.get_parameters()
    finally:
        connection.close()
    assert shown == {"lock_timeout": "2s", "statement_timeout": f"{2 * STATEMENT_TIMEOUT_FACTOR}s"}
    assert (parameters["keepalives_idle"], parameters["keepalives_count"]) == ("2", str(KEEPALIVE_PROBES))
    assert parameters["tcp_user_timeout"] == str((1 + KEEPALIVE_PROBES) * 2 * 1000)


@pytest.mark.postgres
def test_a_table_locked_by_another_session_fails_a_read_within_the_timeout(postgres_database):
    g = genome.open(postgres_database, config={"GENOME_DB_TIMEOUT_SECONDS": "0.5"})
    holder = psycopg.connect(postgres_database)
    try:
        holder.execute("lock table public.brands in access exclusive mode")  # held until rollback
        with pytest.raises(StoreError) as waited:
            g.brands()
        holder.rollback()
        brands = g.brands()
    finally:
        holder.close()
        g.close()
    assert waited.value.code == "55P03"
    assert "stayed locked by another session for longer than GENOME_DB_TIMEOUT_SECONDS" in str(waited.value)
    assert brands.empty


@pytest.mark.postgres
def test_a_statement_the_server_is_slow_to_finish_is_cancelled_with_a_clear_error(postgres_database):
    with psycopg.connect(postgres_database, autocommit=True) as admin:  # a server that takes 30 s to insert
        admin.execute(
            "create function public.slow_insert() returns trigger language plpgsql as"
            " $$ begin perform pg_sleep(30); return new; end $$;"
            " create trigger slow before insert on public.brands for each row execute function public.slow_insert()"
        )
    g = genome.open(postgres_database, config={"GENOME_DB_TIMEOUT_SECONDS": "0.2"})
    try:
        with pytest.raises(StoreError) as cancelled:
            g.store.save_brands(BRANDS)
    finally:
        g.close()
    assert cancelled.value.code == "57014"
    assert "ran longer than its bound" in str(cancelled.value)
    assert "GENOME_DB_TIMEOUT_SECONDS" in str(cancelled.value)


# --- files that are not a workspace --------------------------------------------------------------------
def test_a_file_that_is_not_a_database_is_refused_on_open_naming_it(tmp_path, capsys):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 20)
    with pytest.raises(StoreError, match="is not a SQLite database") as refused:
        genome.open(f"sqlite:///{path}", config={})
    assert str(path) in str(refused.value)
    assert main(["--database", f"sqlite:///{path}", "jobs"]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def damage(path: Path) -> None:
    """Overwrite 8 KiB in the middle of the file with seeded noise (a torn write, a bad disk block)."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8192] = np.random.default_rng(3).bytes(8192)
    path.write_bytes(bytes(data))


def test_a_damaged_file_is_refused_on_open_naming_it_and_what_to_do(demo_file, tmp_path):
    path = copy_of(demo_file, tmp_path)
    damage(path)
    with pytest.raises(StoreError) as refused:
        genome.open(f"sqlite:///{path}", config={})
    message = str(refused.value)
    assert message.startswith(f"SQLite: the workspace file {path} is damaged (")
    assert "restore it from a backup" in message and f"sqlite3 {path} .recover" in message
    assert "\n" not in message


ADS_CSV = (
    "ad_id,brand_id,created_at,final_status,is_imported,pre_gen_score,element_tags\n"
    'z1,s1-new,2026-02-01,approved,false,0.5,"{""hook_type"": ""question""}"\n'
)


@pytest.mark.parametrize("command", ["refresh", "validate", "import-ads"])
def test_jobs_on_a_damaged_file_exit_1(demo_file, tmp_path, capsys, command):
    path = copy_of(demo_file, tmp_path)
    damage(path)
    (tmp_path / "ads.csv").write_text(ADS_CSV)
    args = [str(tmp_path / "ads.csv")] if command == "import-ads" else []
    code = main(["--database", f"sqlite:///{path}", command, *args])
    err = capsys.readouterr().err
    assert (code, err.count("\n")) == (1, 1)
    assert f"{path} is damaged" in err


def test_an_intact_file_passes_the_check(demo_file, tmp_path):
    path = copy_of(demo_file, tmp_path)
    assert path.read_bytes()[:16] == HEADER
    g = genome.open(f"sqlite:///{path}", config={})
    try:
        assert (g.notices, len(g.brands())) == ((), 5)
    finally:
        g.close()


def test_an_empty_file_becomes_a_workspace_with_a_notice(tmp_path, capsys):
    path = tmp_path / "genome.db"
    path.touch()
    code = main(["--database", f"sqlite:///{path}", "jobs"])
    captured = capsys.readouterr()
    assert (code, captured.out.strip()) == (0, "(nothing)")
    assert (
        captured.err == f"note: {path} was an empty file (0 bytes): it was set up as a new, empty workspace\n"
    )
    assert path.read_bytes()[:16] == HEADER
    assert main(["--database", f"sqlite:///{path}", "jobs"]) == 0
    assert capsys.readouterr().err == ""  # the notice is for the run that set it up


def test_a_new_file_gets_no_notice(tmp_path):
    g = genome.open(f"sqlite:///{tmp_path / 'new.db'}", config={})
    try:
        assert g.notices == ()
    finally:
        g.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging file left


def test_the_dashboard_shows_the_empty_file_notice(tmp_path, monkeypatch):
    path = tmp_path / "genome.db"
    path.touch()
    monkeypatch.setenv("GENOME_DATABASE_URL", f"sqlite:///{path}")
    try:
        at = AppTest.from_file("../dashboard/app.py", default_timeout=60).run()
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
    assert not at.exception
    assert any("was an empty file (0 bytes)" in w.value.replace("\\", "") for w in at.sidebar.warning)


# --- a folder this user cannot write -------------------------------------------------------------------
def run_with_read_only_folder(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m genome ARGS` with `folder` read-only: a read-only bind mount in a private mount
    namespace as root (root ignores permissions), else the folder's write bits removed."""
    command = [sys.executable, "-m", "genome", *args]
    if os.geteuid() == 0:
        script = 'mount --bind -o ro "$0" "$0" && exec "$@"'
        command = ["unshare", "--mount", "sh", "-c", script, str(folder), *command]
    else:
        folder.chmod(0o555)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GENOME_", "SUPABASE_"))}
    try:
        return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    finally:
        folder.chmod(0o755)


@pytest.fixture
def read_only_workspace(demo_file, tmp_path) -> Path:
    folder = tmp_path / "shared"
    folder.mkdir()
    copy_of(demo_file, folder)
    return folder / "genome.db"


def test_reads_work_in_a_read_only_folder(read_only_workspace):
    result = run_with_read_only_folder(
        read_only_workspace.parent, "--database", f"sqlite:///{read_only_workspace}", "jobs", "--json"
    )
    assert result.returncode == 0, result.stderr
    assert pd.read_json(io.StringIO(result.stdout))["job_type"].tolist() == [
        "import_performance",
        "import_ads",
    ]
    assert result.stderr.startswith(f"note: {read_only_workspace} is open read-only")


def test_a_write_in_a_read_only_folder_fails_naming_the_file(read_only_workspace):
    result = run_with_read_only_folder(
        read_only_workspace.parent, "--database", f"sqlite:///{read_only_workspace}", "refresh"
    )
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.returncode == 1
    assert len(errors) == 1 and f"{read_only_workspace} cannot be written by this user" in errors[0]


def test_a_new_workspace_in_a_read_only_folder_fails_naming_the_file(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    result = run_with_read_only_folder(folder, "--database", f"sqlite:///{folder / 'genome.db'}", "jobs")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: SQLite: cannot create the workspace file {folder / 'genome.db'}: its folder is not writable\n"
    )
