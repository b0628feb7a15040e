"""Secrets are never shown: every setting that can carry one is masked on every page, in the CLI, in
logs, reprs, job history and errors.

The dashboard test runs every page on a real Postgres workspace whose URL carries a password (in
`user:password@` and in `?password=`), with a Supabase URL and secret key set too, and looks for
the secrets in everything the pages send to the browser: the serialised protobuf of every element
(markdown, captions, dataframes as Arrow bytes, JSON, code, errors), which is what travels over the
websocket.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import genome
from genome.cli import main
from genome.errors import GenomeError
from genome.redaction import MASK, redact_url, scrub
from genome.settings import SETTINGS, Setting, Settings, shown_value

APP = "../dashboard/app.py"
TIMEOUT = 120
PAGES = [
    "views/overview.py",
    "views/elements.py",
    "views/exploration.py",
    "views/alerts.py",
    "views/data.py",
    "views/preview.py",
    "views/simulation.py",
]
PASSWORD = "Pw-In-Userinfo-7731"
QUERY_PASSWORD = "Pw-In-Query-5519"
SUPABASE_PASSWORD = "Pw-In-Supabase-Url-2208"
SECRET_KEY = "sb_secret_NeverOnAPage_0123456789"
SECRETS = (PASSWORD, QUERY_PASSWORD, SUPABASE_PASSWORD, SECRET_KEY)


def with_secrets(url: str) -> str:
    """A Postgres URL carrying a password twice (trust authentication accepts any password)."""
    parts = urlsplit(url)
    netloc = f"{parts.username}:{PASSWORD}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc, query=f"sslmode=disable&password={QUERY_PASSWORD}"))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the one display rule ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://genome:hunter2@db:5432/genome", "postgresql://genome:***@db:5432/genome"),
        ("postgres://u:p%40ss@db/genome?sslmode=require", "postgres://u:***@db/genome?sslmode=require"),
        ("postgresql://u:a/b@c@db/genome", "postgresql://u:***@db/genome"),
        ("postgresql://u@db/g?password=x&sslpassword=y", "postgresql://u@db/g?password=***&sslpassword=***"),
        ("postgresql://u:p@[::1/genome", "postgresql://u:***@[::1/genome"),
        ("sqlite:///data/genome.db", "sqlite:///data/genome.db"),
        ("https://abcd.supabase.co", "https://abcd.supabase.co"),
        ("https://hooks.slack.com/services/T0/B0/XyZ", "https://hooks.slack.com"),
        ("https://u:pw@example.com:8443/hook?token=t#frag", "https://example.com:8443"),
        ("http://u:p@w@example.com?token=t", "http://example.com"),
    ],
)
def test_redact_url_keeps_where_and_hides_credentials(url, shown):
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [("sb_secret_abc", MASK), ("postgresql://u:pw@db/g", "postgresql://u:***@db/g"), ("", "")],
)
def test_a_secret_setting_shows_keys_masked_and_urls_redacted(value, shown):
    assert shown_value(Setting("ANY_SECRET", "", "help", secret=True), value) == shown


def test_a_setting_that_is_not_secret_is_shown_as_it_is():
    assert shown_value(Setting("GENOME_X", "", "help"), "postgresql://u:pw@db/g") == "postgresql://u:pw@db/g"


def test_every_setting_that_can_carry_a_secret_is_marked_secret():
    secret = {s.name for s in SETTINGS if s.secret}
    assert {"GENOME_DATABASE_URL", "SUPABASE_URL", "SUPABASE_SECRET_KEY"} <= secret
    urls_and_keys = {s.name for s in SETTINGS if s.name.endswith(("_URL", "_KEY", "_TOKEN", "_PASSWORD"))}
    assert urls_and_keys <= secret


def test_scrub_removes_every_form_of_the_password_from_text():
    url = "postgresql://u:p%40ss@db/g?sslpassword=k3y"
    text = "failed for p%40ss, p@ss and k3y"
    assert scrub(text, url) == "failed for ***, *** and ***"


def test_settings_repr_hides_every_secret_setting():
    settings = Settings.load(
        {
            "GENOME_DATABASE_URL": f"postgresql://u:{PASSWORD}@db/g",
            "SUPABASE_URL": f"https://u:{SUPABASE_PASSWORD}@abcd.supabase.co",
            "SUPABASE_SECRET_KEY": SECRET_KEY,
        }
    )
    assert not any(secret in repr(settings) for secret in SECRETS)


# --- every dashboard page ------------------------------------------------------------------------------
def sent_to_browser(at: AppTest) -> bytes:
    """Every element and block of the page as serialised protobuf: what the websocket carries."""

    def walk(node) -> Iterator[bytes]:
        proto = getattr(node, "proto", None)
        if proto is not None:
            yield proto.SerializeToString()
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    return b"\n".join([*walk(at.main), *walk(at.sidebar)])


@pytest.fixture
def secret_config(monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("SUPABASE_URL", f"https://genome:{SUPABASE_PASSWORD}@abcdefghijklmnop.supabase.co")
    monkeypatch.setenv("SUPABASE_SECRET_KEY", SECRET_KEY)
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def postgres_demo(postgres_database, secret_config, monkeypatch) -> str:
    url = with_secrets(postgres_database)
    g = genome.open(url, config={})
    try:
        g.load_demo()
    finally:
        g.close()
    monkeypatch.setenv("GENOME_DATABASE_URL", url)
    return url


@pytest.mark.postgres
def test_no_page_sends_a_secret_to_the_browser(postgres_demo):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    shown, settings = {}, None
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        shown[page] = sent_to_browser(at)
        tables = [d.value for d in at.dataframe if "setting" in d.value.columns]
        settings = tables[0].set_index("setting") if tables else settings
    leaks = {page: [s for s in SECRETS if s.encode() in sent] for page, sent in shown.items()}
    assert leaks == {page: [] for page in PAGES}
    assert settings.loc["GENOME_DATABASE_URL", "value"] == redact_url(postgres_demo)
    assert settings.loc["SUPABASE_SECRET_KEY", "value"] == MASK
    assert b"postgres:***@127.0.0.1" in shown["views/data.py"]  # the walk does see the URL, redacted


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            f"postgresql://genome:{PASSWORD}@127.0.0.1:{closed_port()}/g",
            "cannot connect to Postgres at 127.0.0.1:",
        ),
        (f"postgresql://genome:{PASSWORD}@[127.0.0.1/g", "postgresql://genome:***@[127.0.0.1/g is malformed"),
    ],
    ids=["unreachable", "malformed"],
)
def test_a_workspace_that_cannot_open_shows_why_and_no_secret(url, reason, secret_config, monkeypatch):
    monkeypatch.setenv("GENOME_DATABASE_URL", url)
    monkeypatch.setenv("GENOME_DB_TIMEOUT_SECONDS", "1")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    shown = at.error[0].value.replace("\\", "")
    assert "Cannot open the workspace" in shown and reason in shown
    assert not any(secret.encode() in sent_to_browser(at) for secret in SECRETS)


# --- the CLI, logs and errors ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [("refresh",), ("jobs",), ("migrate",), ("alerts", "--json")],
    ids=lambda args: args[0],
)
def test_the_cli_never_prints_the_password_of_an_unreachable_postgres(args, capsys, caplog, monkeypatch):
    monkeypatch.setenv("GENOME_DB_TIMEOUT_SECONDS", "1")
    caplog.set_level(logging.DEBUG)
    url = f"postgresql://genome:{PASSWORD}@127.0.0.1:{closed_port()}/genome?password={QUERY_PASSWORD}"
    code = main(["--database", url, *args])
    captured = capsys.readouterr()
    assert (code, captured.out, captured.err.count("\n")) == (1, "", 1)
    assert "cannot connect to Postgres at 127.0.0.1:" in captured.err
    assert not any(secret in captured.err + caplog.text for secret in SECRETS)


MALFORMED = {
    "unbalanced-bracket": f"postgresql://genome:{PASSWORD}@[127.0.0.1/genome",
    "port-not-a-number": f"postgresql://genome:{PASSWORD}@db:port/genome",
    # urllib reads what precedes / or ? as a port and quotes it in its error: here the password's start
    "slash-in-password": f"postgresql://genome:{PASSWORD}/x@db.example.com:5432/genome",
    "question-mark-in-password": f"postgresql://genome:{PASSWORD}?x@db/genome",
}


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://genome:{PASSWORD}/x@db/genome",
        f"postgresql://genome:{PASSWORD}?x@db/genome",
        f"postgresql://genome:{PASSWORD}#x@db/genome",
        f"postgresql://genome:a@{PASSWORD}@db/genome",
    ],
)
def test_a_password_holding_url_delimiters_is_still_redacted(url):
    shown = redact_url(url)
    assert PASSWORD not in shown and shown.startswith("postgresql://genome:***@db/genome")


@pytest.mark.parametrize(
    ("command", "url"),
    [
        *((command, url) for command in ("jobs", "migrate") for url in MALFORMED.values()),
        ("jobs", f"ftp://genome:{PASSWORD}@db/genome"),
    ],
    ids=[f"{c}-{k}" for c in ("jobs", "migrate") for k in MALFORMED] + ["jobs-unsupported-scheme"],
)
def test_a_malformed_url_is_one_line_without_the_password(command, url, capsys):
    code = main(["--database", url, command])
    captured = capsys.readouterr()
    assert (code, captured.err.count("\n")) == (1, 1)
    assert captured.err.startswith("error: ")
    assert "genome:***@" in captured.err and PASSWORD not in captured.err


@pytest.mark.parametrize("url", MALFORMED.values(), ids=MALFORMED.keys())
def test_the_facade_refuses_a_malformed_url_with_a_genome_error(url):
    with pytest.raises(GenomeError, match="is malformed") as refused:
        genome.open(url, config={})
    assert PASSWORD not in str(refused.value)
