"""Support for the reliability tests: a sizeable workspace, a comparable snapshot of what a store holds,
and CLI job processes that start together and can be killed mid-job."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import date
from multiprocessing.synchronize import Event
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import psycopg

from genome import demo
from genome.store.base import Store

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
# Each job process is forked from a server process that has imported everything a job needs (Python's
# forkserver): the processes start in milliseconds, so those released together really overlap, and a
# kill lands in the job rather than in the imports. The job is genome.cli.main, as `python -m genome`.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["tests.job_processes", "genome.cli", "genome.service", "genome.jobs"])


class JobProcess:
    """`python -m genome <cli_args>` in its own process, waiting for `go()` before it starts."""

    def __init__(self, *cli_args: str) -> None:
        self.args = cli_args
        self._folder = tempfile.TemporaryDirectory(prefix="genome-job-")
        self._out, self._err = (Path(self._folder.name) / name for name in ("out", "err"))
        self._go, self._started = _CONTEXT.Event(), _CONTEXT.Event()
        self.process = _CONTEXT.Process(
            target=_run, args=(list(cli_args), str(self._out), str(self._err), self._go, self._started)
        )
        self.process.start()

    def go(self) -> None:
        self._go.set()

    def wait_started(self) -> None:
        if not self._started.wait(PROCESS_TIMEOUT_SECONDS):
            self.kill()
            raise AssertionError(f"{self.args} did not start")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no rollback by the client, no failed-job record."""
        if self.process.exitcode is None:
            os.kill(self.process.pid, signal.SIGKILL)

    def finish(self) -> tuple[int, str, str]:
        """(exit code, stdout, stderr); the exit code is -9 for a killed process."""
        self.process.join(PROCESS_TIMEOUT_SECONDS)
        if self.process.exitcode is None:
            self.kill()
            raise AssertionError(f"{self.args} did not finish")
        try:
            return self.process.exitcode, self._out.read_text(), self._err.read_text()
        finally:
            self._folder.cleanup()


def run_together(commands: list[tuple[str, ...]]) -> list[tuple[int, str, str]]:
    """Start every command, release them at once, return (exit code, stdout, stderr) of each."""
    processes = [JobProcess(*command) for command in commands]
    for process in processes:
        process.go()
    for process in processes:
        process.wait_started()
    return [process.finish() for process in processes]


def _run(cli_args: list[str], out_path: str, err_path: str, go: Event, started: Event) -> None:
    import genome.cli

    with (
        open(out_path, "w", encoding="utf-8") as out,
        open(err_path, "w", encoding="utf-8") as err,
        redirect_stdout(out),
        redirect_stderr(err),
    ):
        go.wait()
        started.set()
        code = genome.cli.main(cli_args)
    sys.exit(code)
