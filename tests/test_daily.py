"""`python -m genome daily`: a refresh, then a validation, for every brand, under one job lock, on
SQLite and Postgres; the job history records both runs and the 'daily' run; a second daily (or any
other job) waits for it, and gives up after GENOME_JOB_WAIT_SECONDS with a one-line reason."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from datetime import UTC, date, datetime, timedelta

import httpx
import pandas as pd
import pytest

import genome
from genome import jobs
from genome.service import daily_status
from genome.settings import Settings
from genome.store import sqlite as sqlite_module
from genome.store import supabase_requests as rq
from genome.store.sqlite import SqliteStore, sqlite_path
from genome.store.supabase import SupabaseStore
from support import wire
from support.postgrest import SECRET, URL, PostgrestOnPostgres
from tests.conftest import ROOT

AS_OF = date(2026, 3, 1)


def cli(url: str, *args: str, wait_seconds: float = 60) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GENOME_JOB_WAIT_SECONDS": str(wait_seconds),
        "GENOME_DATABASE_URL": url,
    }
    env.pop("GENOME_ALERT_WEBHOOK_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "genome", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def workspace(store_url: str) -> str:
    g = genome.open(store_url)
    try:
        g.load_demo(seed=3, as_of=AS_OF)
    finally:
        g.close()
    return store_url


def test_daily_refreshes_then_validates_every_brand_and_records_the_run(workspace):
    done = cli(workspace, "daily", "--as-of", AS_OF.isoformat(), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    g = genome.open(workspace)
    try:
        brands = sorted(g.brands()["id"])
        runs = g.job_runs(5).set_index("id")
    finally:
        g.close()
    assert summary["refresh"]["brand_ids"] == brands and summary["validation"]["brand_ids"] == brands
    assert summary["validation"]["as_of"] == AS_OF.isoformat()
    refresh_id, validation_id, daily_id = (
        summary["refresh"]["job_id"],
        summary["validation"]["job_id"],
        summary["job_id"],
    )
    assert refresh_id < validation_id < daily_id
    assert runs.loc[[refresh_id, validation_id, daily_id], "job_type"].tolist() == [
        "refresh",
        "validate",
        "daily",
    ]
    assert (runs.loc[[refresh_id, validation_id, daily_id], "status"] == "succeeded").all()
    recorded = runs.loc[daily_id, "summary"]
    assert recorded["refresh"]["job_id"] == refresh_id and recorded["validation"]["job_id"] == validation_id


def test_daily_with_an_unreadable_date_exits_1_with_one_line(workspace):
    done = cli(workspace, "daily", "--as-of", "yesterday")
    assert done.returncode != 0 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) <= 3  # argparse's usage + the reason


def test_a_failed_daily_is_recorded_and_exits_1_with_a_one_line_reason(workspace):
    g = genome.open(workspace)
    try:

        def broken(inputs, settings):
            raise RuntimeError("validation exploded")

        before = g.job_runs(1)["id"].iloc[0]
        scores_before = g.store.scores()
        with pytest.raises(RuntimeError):
            g.store.daily(None, AS_OF + timedelta(days=7), jobs.compute_refresh, broken, g.settings)
        runs = g.job_runs(3)
        scores_after = g.store.scores()
    finally:
        g.close()
    new = runs.loc[runs["id"] > before]
    assert new[["job_type", "status"]].values.tolist() == [["daily", "failed"]]  # the refresh rolled back
    assert "validation exploded" in new["error"].iloc[0]
    pd.testing.assert_frame_equal(scores_after, scores_before)


@pytest.fixture
def held_daily(workspace):
    """A daily run in a thread, stopped inside its transaction between its refresh and its validation."""
    g = genome.open(workspace)
    inside, release = threading.Event(), threading.Event()
    result: dict = {}

    def slow_validation(inputs, settings):
        inside.set()
        assert release.wait(60)
        return jobs.compute_validation(inputs, settings)

    def run() -> None:
        try:
            result["summary"] = g.store.daily(None, AS_OF, jobs.compute_refresh, slow_validation, g.settings)
        except Exception as error:  # reported to the test below
            result["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    assert inside.wait(60)
    yield release, result, thread
    release.set()
    thread.join(60)
    g.close()


def test_no_other_job_runs_between_a_dailys_refresh_and_validation(workspace, held_daily):
    release, result, thread = held_daily
    second = cli(workspace, "daily", "--as-of", AS_OF.isoformat(), wait_seconds=1)
    refresh = cli(workspace, "refresh", "--as-of", AS_OF.isoformat(), wait_seconds=1)
    release.set()
    thread.join(60)
    assert "error" not in result, result
    for refused in (second, refresh):
        assert refused.returncode == 1 and refused.stdout == ""
        assert len(refused.stderr.strip().splitlines()) == 1 and refused.stderr.startswith("error: ")
    g = genome.open(workspace)
    try:
        runs = g.job_runs(10)
    finally:
        g.close()
    summary = result["summary"]
    between = runs[(runs["id"] > summary["refresh"]["job_id"]) & (runs["id"] < summary["job_id"])]
    # the refused jobs may record their failure (Postgres does, outside the lock); nothing else ran
    assert between.loc[between["status"] == "succeeded", "job_type"].tolist() == ["validate"]


def test_a_second_daily_waits_for_the_first_and_then_runs(workspace, held_daily):
    release, result, thread = held_daily
    timer = threading.Timer(1.0, release.set)
    timer.start()
    second = cli(workspace, "daily", "--as-of", AS_OF.isoformat(), "--json", wait_seconds=60)
    timer.join()
    thread.join(60)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["refresh"]["job_id"] > result["summary"]["job_id"]


def test_the_sqlite_migration_to_daily_keeps_job_runs_and_score_history_links(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with monkeypatch.context() as patch:
        patch.setattr(sqlite_module, "MIGRATIONS", [m for m in sqlite_module.MIGRATIONS if m.number < 3])
        g = genome.Genome(SqliteStore(url, Settings()), Settings())
        g.load_demo(seed=3, as_of=AS_OF)
        g.close()
    query = "select id, job_run_id from creative_element_score_history order by id"
    with closing(sqlite3.connect(sqlite_path(url))) as connection:
        links_before = connection.execute(query).fetchall()
        runs_before = connection.execute("select * from genome_job_runs order by id").fetchall()
    assert any(job_run_id is not None for _, job_run_id in links_before)
    g = genome.Genome(SqliteStore(url, Settings()), Settings())  # applies 0003
    try:
        summary = g.daily(AS_OF)
    finally:
        g.close()
    with closing(sqlite3.connect(sqlite_path(url))) as connection:
        assert connection.execute(query).fetchall()[: len(links_before)] == links_before
        runs_after = connection.execute("select * from genome_job_runs order by id").fetchall()
        assert connection.execute("pragma foreign_key_check").fetchall() == []
    assert runs_after[: len(runs_before)] == runs_before
    assert summary["refresh"]["job_id"] > runs_before[-1][0]
    assert pd.Series([row[1] for row in runs_after]).iloc[-1] == "daily"


# --- the Overview page's line about the scheduled job ------------------------------------------------
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def runs(*rows: tuple[str, str, datetime]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"id": i, "job_type": job_type, "status": status, "finished_at": at}
            for i, (job_type, status, at) in enumerate(rows, 1)
        ],
        columns=["id", "job_type", "status", "finished_at"],
    )


@pytest.mark.parametrize(
    ("history", "overdue", "words"),
    [
        (runs(), True, ["has not run yet", "python -m genome daily", "Scheduling"]),
        (runs(("refresh", "succeeded", NOW)), True, ["has not run yet"]),
        (
            runs(("daily", "succeeded", NOW - timedelta(hours=3))),
            False,
            ["2026-03-02 09:00 UTC", "3 hours ago", "(succeeded)"],
        ),
        (
            runs(("daily", "succeeded", NOW - timedelta(days=3))),
            True,
            ["3 days ago", "expected every 26 hours", "Scheduling"],
        ),
        (
            runs(
                ("daily", "succeeded", NOW - timedelta(hours=5)),
                ("daily", "failed", NOW - timedelta(hours=1)),
            ),
            True,
            ["(failed)", "last successful one was 5 hours ago", "Job history"],
        ),
        (runs(("daily", "failed", NOW - timedelta(hours=1))), True, ["no daily run has succeeded yet"]),
    ],
)
def test_daily_status_says_when_the_daily_job_last_ran_and_warns_when_overdue(history, overdue, words):
    status = daily_status(history, NOW, 26)
    assert status.overdue is overdue
    for word in words:
        assert word in status.text


def test_the_overview_page_shows_the_last_daily_run_and_warns_when_overdue(sqlite_url, monkeypatch):
    from tests.test_dashboard_apptest import assert_clean, open_page, page_text

    g = genome.open(sqlite_url, config={})
    g.load_demo(seed=3, as_of=AS_OF)
    monkeypatch.setenv("GENOME_DATABASE_URL", sqlite_url)
    at = open_page("overview")
    assert_clean(at)
    assert "The daily job has not run yet" in " ".join(w.value for w in at.warning)
    g.daily(AS_OF)
    g.close()
    at = open_page("overview")
    assert_clean(at)
    assert not at.warning and "Last daily run:" in page_text(at) and "(succeeded)" in page_text(at)


def test_daily_without_json_prints_three_lines_for_a_log(sqlite_url):
    g = genome.open(sqlite_url, config={})
    g.load_demo(seed=3, as_of=AS_OF)
    g.close()
    done = cli(sqlite_url, "daily", "--as-of", AS_OF.isoformat())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" ")[0] for line in lines] == ["daily", "refresh:", "validation:"]
    assert f"for {AS_OF.isoformat()}" in lines[0] and "notifications sent 0, failed 0" in lines[2]


# --- Supabase over REST: two calls, each one transaction under the job lock -----------------------------
def test_a_daily_or_notify_record_over_rest_is_one_rpc_call():
    started = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    call = rq.job_run_call("notify", ("b1",), started, {"sent": 0, "failed": 1}, "1 of 1 not delivered")
    assert wire.wire_request(call) == wire.WireRequest(
        "POST",
        "/rpc/genome_record_job",
        (),
        b'{"p_job_type":"notify","p_brand_ids":["b1"],"p_status":"failed",'
        b'"p_started_at":"2026-03-01T06:00:00.000000Z","p_summary":{"sent":0,"failed":1},'
        b'"p_error":"1 of 1 not delivered"}',
    )
    assert rq.job_run_call("daily", ("b1",), started, {}, None).args["p_status"] == "succeeded"


@pytest.mark.postgres
def test_daily_over_rest_records_the_refresh_the_validation_and_the_daily_run(postgres_database):
    server = PostgrestOnPostgres(postgres_database)
    store = SupabaseStore(URL, SECRET, Settings(), transport=httpx.MockTransport(server))
    try:
        g = genome.Genome(store, Settings())
        g.load_demo(seed=3, as_of=AS_OF)
        summary = g.daily(AS_OF)
        runs = g.job_runs(3).set_index("id")
    finally:
        store.close()
        server.close()
    ids = [summary["refresh"]["job_id"], summary["validation"]["job_id"], summary["job_id"]]
    assert runs.loc[ids, "job_type"].tolist() == ["refresh", "validate", "daily"]
    assert runs.loc[summary["job_id"], "summary"]["validation"]["job_id"] == ids[1]
