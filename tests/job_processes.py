"""Support for the reliability tests: a sizeable workspace, a comparable snapshot of what a store holds,
and CLI job processes that start together and can be killed mid-job.

Run as `python -m tests.job_processes <cli arguments>`, this module imports everything a job needs,
prints `ready`, waits for `go` on stdin, prints `started` and runs `genome.cli.main(<cli arguments>)`:
the import cost is paid before the barrier, so processes released together really overlap.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import psycopg

from genome import demo
from genome.store.base import Store

ROOT = Path(__file__).resolve().parents[1]
ALERT_TIMES = ["id", "first_seen_at", "last_seen_at", "acknowledged_at", "resolved_at"]
PROCESS_TIMEOUT_SECONDS = 120  # a hang guard, far above any run here
APPLICATION_NAME = "creative-genome"  # what genome.store.postgres.connect names its sessions


# --- a workspace of `copies` demo workspaces ---------------------------------------------------------
def workspace(copies: int, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """brands, ads, performance: the demo workspace for seeds 1..copies, ids prefixed `s<seed>-`."""
    parts = [demo.build_demo(seed=seed, as_of=as_of) for seed in range(1, copies + 1)]

    def prefixed(frame: pd.DataFrame, seed: int, columns: list[str]) -> pd.DataFrame:
        return frame.assign(**{column: f"s{seed}-" + frame[column] for column in columns})

    brands = pd.concat([prefixed(p.brands, p.seed, ["id"]) for p in parts], ignore_index=True)
    ads = pd.concat([prefixed(p.ads, p.seed, ["ad_id", "brand_id"]) for p in parts], ignore_index=True)
    performance = pd.concat([prefixed(p.performance, p.seed, ["ad_id"]) for p in parts], ignore_index=True)
    return brands, ads, performance


def load(store: Store, frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    brands, ads, performance = frames
    store.save_brands(brands)
    store.import_ads(ads)
    store.import_performance(performance)


# --- what a store holds, comparable across runs ----------------------------------------------------
def snapshot(store: Store) -> dict[str, pd.DataFrame]:
    """Every derived table, without the wall-clock columns and generated ids that differ between runs."""
    brand_ids = store.brands()["id"].tolist()
    history = [store.score_history(brand).assign(brand_id=brand) for brand in brand_ids]
    alerts = store.alerts().drop(columns=ALERT_TIMES)
    return {
        "rewards": store.rewards().drop(columns=["computed_at"]),
        "scores": store.scores().drop(columns=["last_updated"]),
        "history": pd.concat(history, ignore_index=True) if history else pd.DataFrame(),
        "alerts": alerts.sort_values(list(alerts.columns), ignore_index=True),
        "metrics": store.metric_history(),
    }


def job_counts(store: Store) -> dict[tuple[str, str], int]:
    """(job_type, status) -> number of job runs."""
    runs = store.job_runs(100_000)
    return {key: int(n) for key, n in runs.groupby(["job_type", "status"]).size().items()}


def assert_same(actual: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame], parts: list[str]) -> None:
    for part in parts:
        pd.testing.assert_frame_equal(actual[part], expected[part], check_exact=True, obj=part)


def history_on(state: dict[str, pd.DataFrame], day: date) -> pd.DataFrame:
    history = state["history"]
    return history[history["as_of"] == pd.Timestamp(day)].reset_index(drop=True)


@contextmanager
def postgres_clone(admin_url: str, template: str) -> Iterator[str]:
    """URL of a new database copied from the migrated `template`, dropped afterwards."""
    name = f"genome_reliability_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'create database "{name}" template "{template}"')
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'drop database if exists "{name}" with (force)')


def wait_for_sessions_to_end(admin_url: str, database: str) -> None:
    """Block until no genome session is left on `database` (a killed client's server process finishes
    its statement, fails to answer and rolls back; only then is the database's state final)."""
    deadline = time.monotonic() + PROCESS_TIMEOUT_SECONDS
    with psycopg.connect(admin_url, autocommit=True) as connection:
        while connection.execute(
            "select count(*) from pg_stat_activity where datname = %s and application_name = %s",
            (database, APPLICATION_NAME),
        ).fetchone()[0]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"sessions on {database} did not end")
            time.sleep(0.05)


# --- job processes -------------------------------------------------------------------------------------
class JobProcess:
    """`python -m genome <args>` behind a ready/go barrier, in its own process."""

    def __init__(self, *cli_args: str) -> None:
        self.args = cli_args
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.job_processes", *cli_args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self) -> None:
        self._expect("ready")

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def wait_started(self) -> None:
        self._expect("started")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no rollback by the client, no failed-job record."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)

    def finish(self) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)
        return self.process.returncode, out, err

    def _expect(self, word: str) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != word:
            self.kill()
            _, err = self.process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)
            raise AssertionError(f"{self.args}: expected {word!r}, got {line!r}; stderr: {err[-2000:]}")


def run_together(commands: list[tuple[str, ...]]) -> list[tuple[int, str, str]]:
    """Start every command, release them at once when all are ready, return (code, out, err) of each."""
    processes = [JobProcess(*command) for command in commands]
    for process in processes:
        process.wait_ready()
    for process in processes:
        process.go()
    return [process.finish() for process in processes]


def _drive(cli_args: list[str]) -> int:
    import genome.cli
    import genome.jobs
    import genome.service
    import genome.store.postgres
    import genome.store.sqlite  # everything a job imports, before the barrier

    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 2
    print("started", flush=True)
    return genome.cli.main(cli_args)


if __name__ == "__main__":
    sys.exit(_drive(sys.argv[1:]))
