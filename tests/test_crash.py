"""A refresh process killed with SIGKILL at random points leaves the previous consistent state.

Each killed run refreshes a later as_of than the one before, so every run either committed whole (its
history snapshot exists, and rewards and scores are exactly those of a clean run at that date) or left
nothing (everything exactly as after the last committed run). An ordinary refresh afterwards equals a
clean run. On SQLite the file also passes `pragma integrity_check`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest

import genome
from genome.store.sqlite import sqlite_path
from tests.conftest import BACKENDS
from tests.job_processes import (
    JobProcess,
    assert_same,
    history_on,
    job_counts,
    load,
    postgres_clone,
    snapshot,
    wait_for_sessions_to_end,
    workspace,
)

AS_OF = date(2026, 3, 1)
COPIES = 3  # three demo workspaces: 1,860 ads, about 25,000 daily rows
KILLS = 6
DAY_STEP = 2
SEED = 20261126
DERIVED = ["rewards", "scores"]


@pytest.fixture(params=BACKENDS)
def urls(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[str, str, str | None]]:
    """(database under test, reference database, admin URL or None for SQLite)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crashed.db'}", f"sqlite:///{tmp_path / 'clean.db'}", None
        return
    admin = request.getfixturevalue("postgres_url")
    template = request.getfixturevalue("postgres_template")
    with postgres_clone(admin, template) as crashed, postgres_clone(admin, template) as clean:
        yield crashed, clean, admin


def state_after_the_kill(url: str, admin: str | None) -> tuple[dict[str, pd.DataFrame], dict]:
    if admin is not None:
        wait_for_sessions_to_end(admin, urlsplit(url).path.lstrip("/"))
    else:
        with sqlite3.connect(sqlite_path(url)) as connection:
            assert connection.execute("pragma integrity_check").fetchall() == [("ok",)]
    g = genome.open(url)
    try:
        return snapshot(g.store), job_counts(g.store)
    finally:
        g.close()


def test_a_refresh_killed_at_random_points_leaves_the_last_committed_state(urls, capsys):
    url, clean_url, admin = urls
    days = [AS_OF - timedelta(days=DAY_STEP * (KILLS - i)) for i in range(KILLS + 1)]
    frames = workspace(COPIES, AS_OF)

    clean = genome.open(clean_url)
    load(clean.store, frames)
    expected = {}
    for day in days:
        clean.refresh(as_of=day)
        expected[day] = snapshot(clean.store)
    clean.close()

    crashed = genome.open(url)
    load(crashed.store, frames)
    crashed.close()
    processes = [JobProcess("--database", url, "refresh", "--as-of", day.isoformat()) for day in days]
    processes[0].go()
    processes[0].wait_started()
    started = time.perf_counter()
    assert processes[0].finish()[0] == 0
    seconds = time.perf_counter() - started  # one whole refresh process, from the barrier to its exit

    # kills spread over one refresh's duration; the last one comes late enough to find it finished
    delays = [*np.random.default_rng(SEED).uniform(0.0, seconds, KILLS - 1), 2.0 * seconds]
    committed_day, commits, outcomes = days[0], 0, []
    for process, day, delay in zip(processes[1:], days[1:], delays, strict=True):
        process.go()
        process.wait_started()
        time.sleep(delay)
        process.kill()
        code, _, _ = process.finish()
        state, counts = state_after_the_kill(url, admin)
        committed = not history_on(state, day).empty
        if committed:
            committed_day, commits = day, commits + 1
            pd.testing.assert_frame_equal(history_on(state, day), history_on(expected[day], day))
        assert_same(state, expected[committed_day], DERIVED)
        assert counts == {
            ("import_ads", "succeeded"): 1,
            ("import_performance", "succeeded"): 1,
            ("refresh", "succeeded"): 1 + commits,
        }
        outcomes.append((round(float(delay), 3), code, committed))
    with capsys.disabled():
        print(f"\nkills (delay s, exit code, committed) in a {seconds:.2f} s refresh: {outcomes}")
    assert any(code == -9 and not committed for _, code, committed in outcomes), "no kill landed mid-refresh"

    recovered = genome.open(url)
    try:
        recovered.refresh(as_of=days[-1])
        state = snapshot(recovered.store)
    finally:
        recovered.close()
    assert_same(state, expected[days[-1]], DERIVED)
    pd.testing.assert_frame_equal(history_on(state, days[-1]), history_on(expected[days[-1]], days[-1]))
