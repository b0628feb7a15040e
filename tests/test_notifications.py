"""Alert notifications against a real HTTP server on 127.0.0.1: each alert a validation opened,
escalated, reopened or resolved is POSTed as JSON with a `text`; a failing or hanging webhook is
retried a bounded number of times, never fails the job, and is recorded in the job history (a
'notify' run) and shown on the Data page; the webhook URL's token appears nowhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

import genome
from genome import notifications
from tests.conftest import ROOT

AS_OF = date(2026, 3, 1)
LATER = date(2026, 5, 1)  # two months without data: freshness alerts open and escalate
TOKEN = "XoXbTokenThatMustNeverShow42"
EXPECTED_FIELDS = {
    "text",
    "event",
    "brand_id",
    "alert_id",
    "metric",
    "severity",
    "value",
    "threshold",
    "as_of",
    "message",
    "link_hint",
}


@dataclass
class Webhook:
    url: str
    received: list[dict] = field(default_factory=list)


@contextmanager
def webhook(status: int | None) -> Iterator[Webhook]:
    """A server on a free loopback port answering every POST with `status` (None: never answers)."""
    release = threading.Event()
    hook = Webhook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hook.received.append({"path": self.path, **json.loads(body)})
            if status is None:
                release.wait(30)  # hangs until the test ends
                return
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_port}/services/T0/B0/{TOKEN}"
    try:
        yield hook
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture
def fast_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notifications, "TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(notifications, "BACKOFF_SECONDS", (0.05, 0.1))
    monkeypatch.setattr(notifications, "BUDGET_SECONDS", 5.0)


@pytest.fixture
def demo(store_url: str) -> str:
    g = genome.open(store_url, config={})
    try:
        g.load_demo(seed=3, as_of=AS_OF)
    finally:
        g.close()
    return store_url


def validate_later(url: str, hook_url: str, daily: bool = False) -> tuple[dict, pd.DataFrame]:
    g = genome.open(url, config={"GENOME_ALERT_WEBHOOK_URL": hook_url})
    try:
        summary = g.daily(LATER) if daily else g.validate(as_of=LATER)
        return summary, g.job_runs(10)
    finally:
        g.close()


def changes_of(url: str) -> pd.DataFrame:
    """The system's alert events of the validation at LATER: what must have been notified."""
    g = genome.open(url, config={})
    try:
        events = g.alert_events()
    finally:
        g.close()
    return events[
        (events["as_of"] == pd.Timestamp(LATER)) & events["kind"].isin(notifications.NOTIFIED_KINDS)
    ]


def test_each_alert_change_is_posted_with_text_and_fields(demo, fast_delivery):
    with webhook(200) as hook:
        summary, runs = validate_later(demo, hook.url)
    changes = changes_of(demo)
    assert len(changes) >= 2  # the fixture is meant to change alerts
    assert summary["notifications"] == {"sent": len(changes), "failed": 0, "errors": []}
    assert len(hook.received) == len(changes)
    assert sorted(p["alert_id"] for p in hook.received) == sorted(changes["alert_id"].tolist())
    for payload in hook.received:
        assert set(payload) - {"path"} == EXPECTED_FIELDS
        assert payload["path"].endswith(TOKEN)
        assert payload["brand_id"] in payload["text"] and payload["metric"] in payload["text"]
        assert payload["as_of"] == LATER.isoformat() and payload["event"] in {
            "opened",
            "escalated",
            "reopened",
            "resolved",
        }
        assert "\n" not in payload["text"]
    notify = runs.loc[runs["job_type"] == "notify"].iloc[0]
    assert notify["status"] == "succeeded" and notify["summary"]["sent"] == len(changes)
    assert notify["summary"]["validation_job_id"] == summary["job_id"]


def test_a_failing_webhook_is_retried_boundedly_recorded_and_the_daily_job_succeeds(demo, fast_delivery):
    with webhook(500) as hook:
        summary, runs = validate_later(demo, hook.url, daily=True)
    changes = len(changes_of(demo))
    attempts = notifications.RETRIES + 1
    assert len(hook.received) == changes * attempts
    assert summary["notifications"]["failed"] == changes and summary["notifications"]["sent"] == 0
    by_type = runs.groupby("job_type")["status"].first()
    assert by_type["daily"] == "succeeded" and by_type["notify"] == "failed"
    error = runs.loc[runs["job_type"] == "notify", "error"].iloc[0]
    assert f"{changes} of {changes} alert notifications not delivered" in error
    assert f"HTTP 500 ({attempts} attempts)" in error


def test_a_refused_request_is_not_retried(demo, fast_delivery):
    with webhook(404) as hook:
        summary, _ = validate_later(demo, hook.url)
    assert len(hook.received) == summary["notifications"]["failed"] > 0
    assert summary["notifications"]["errors"][0] == "the webhook answered HTTP 404"


def test_a_hanging_webhook_does_not_block_the_job_and_is_recorded(demo, fast_delivery):
    with webhook(None) as hook:
        summary, runs = validate_later(demo, hook.url, daily=True)
    assert hook.received  # it was tried
    assert summary["notifications"]["sent"] == 0 and summary["notifications"]["failed"] > 0
    error = runs.loc[runs["job_type"] == "notify", "error"].iloc[0]
    assert "did not answer within 0.5 s" in error
    assert runs.loc[runs["job_type"] == "daily", "status"].iloc[0] == "succeeded"


def test_no_webhook_no_notify_run(demo):
    summary, runs = validate_later(demo, "")
    assert summary["notifications"] == {"sent": 0, "failed": 0, "errors": []}
    assert "notify" not in set(runs["job_type"])


def test_the_webhook_token_never_shows_in_cli_output_job_history_or_data_page(
    sqlite_url, monkeypatch, fast_delivery
):
    g = genome.open(sqlite_url, config={})
    g.load_demo(seed=3, as_of=AS_OF)
    g.close()
    with webhook(500) as hook:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "GENOME_DATABASE_URL": sqlite_url,
            "GENOME_ALERT_WEBHOOK_URL": hook.url,
        }
        done = subprocess.run(
            [sys.executable, "-m", "genome", "daily", "--as-of", LATER.isoformat(), "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert hook.received
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["notifications"]["failed"] > 0
    assert TOKEN not in done.stdout + done.stderr
    g = genome.open(sqlite_url, config={})
    try:
        history = g.job_runs(20).to_json(date_format="iso")
    finally:
        g.close()
    assert "notify" in history and TOKEN not in history

    from tests.test_dashboard_apptest import assert_clean, open_page, page_text

    monkeypatch.setenv("GENOME_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("GENOME_ALERT_WEBHOOK_URL", hook.url)
    at = open_page("data")
    assert_clean(at)
    text = page_text(at)
    assert "The last alert notifications were not all delivered" in text and "HTTP 500" in text
    shown = "\n".join([text, *(d.value.to_string() for d in at.dataframe)])
    assert TOKEN not in shown
    assert "GENOME_ALERT_WEBHOOK_URL" in shown  # the settings table lists it, redacted


def test_payload_text_is_escaped_for_slack_and_printable():
    change = pd.DataFrame(
        [
            {
                "id": 1,
                "alert_id": 7,
                "brand_id": "a&b",
                "kind": "escalated",
                "actor": "system",
                "note": "line one\nline two <@here>",
                "severity": "critical",
                "metric_value": 0.08,
                "threshold_value": 0.1,
                "as_of": pd.Timestamp(LATER),
                "alert_type": "approval_rate<script>",
            }
        ]
    )
    (payload,) = notifications.payloads(change)
    assert "<" not in payload["text"] and ">" not in payload["text"] and "\n" not in payload["text"]
    assert "a&amp;b" in payload["text"] and "&lt;script&gt;" in payload["text"]
    assert "\n" not in payload["message"]
    assert payload["event"] == "escalated" and payload["value"] == 0.08 and payload["threshold"] == 0.1


def test_a_repeated_validation_changes_nothing_and_sends_nothing(demo, fast_delivery):
    with webhook(200) as hook:
        first, _ = validate_later(demo, hook.url)
        again, runs = validate_later(demo, hook.url)
    assert first["notifications"]["sent"] > 0 and len(hook.received) == first["notifications"]["sent"]
    assert again["notifications"] == {"sent": 0, "failed": 0, "errors": []}
    assert (runs["job_type"] == "notify").sum() == 1
