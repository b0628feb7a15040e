"""Benchmarks of the learning loop: ours against the per-row baseline and the raw-scan floor.

    .venv/bin/python bench/run.py            # the full run (about 10-15 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # tiny sizes: checks that every phase runs

Every phase runs in a subprocess of its own, so its peak RSS (ru_maxrss) is its own. Results go to
bench/results/bench.json and bench.csv, tables to the terminal, and a plot of time against daily rows
to bench/img/scaling.html (+ .png through headless Chromium when it works). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/run.py` puts only bench/ on the path
    sys.path.insert(0, str(ROOT))

import genome  # noqa: E402
from bench import baseline  # noqa: E402
from bench.workload import AS_OF, build_workload, load  # noqa: E402

BRAND = "bench-000"  # the brand every one-brand measurement refreshes
PAGES = {
    "overview": "views/overview.py",
    "elements": "views/elements.py",
    "exploration": "views/exploration.py",
    "alerts": "views/alerts.py",
    "preview": "views/preview.py",
    "data": "views/data.py",
    "simulation": "views/simulation.py",
}
PHASE_TIMEOUT_SECONDS = 1200


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000, 2_000_000)
    baseline_sizes: tuple[int, ...] = (10_000, 100_000)
    postgres_sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)  # with the REST request counts
    dashboard: dict = field(default_factory=lambda: {"brands": 50, "ads": 100_000, "rows": 1_000_000})
    reps: int = 3  # fresh refreshes per size, each on a pristine copy (one above 1M rows)
    calls: int = 50  # calls per latency measurement
    prob_best_calls: int = 30


QUICK = Plan(
    sizes=(2_000, 6_000),
    baseline_sizes=(2_000,),
    postgres_sizes=(2_000,),
    dashboard={"brands": 3, "ads": 300, "rows": 3_000},
    reps=1,
    calls=5,
    prob_best_calls=3,
)


# --- phases (each runs in a child process) ---------------------------------------------------------------
def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{path}"


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _copy_db(source: Path, target: Path) -> None:
    _remove_db(target)
    shutil.copyfile(source, target)


def _timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def latencies(g: genome.Genome, brand_id: str, calls: int) -> dict:
    """Median and p95 milliseconds of the facade calls a generator makes before each ad."""
    tags = g.recommend(brand_id, seed=0)  # a complete configuration to score
    measured = {
        "recommend": lambda i: g.recommend(brand_id, seed=i),
        "pre_gen_score": lambda i: g.pre_gen_score(brand_id, tags),
        "performance_context": lambda i: g.performance_context(brand_id, seed=i).to_prompt(),
    }
    out = {}
    for name, call in measured.items():
        call(0)  # warm caches and imports
        samples = sorted(_timed(lambda call=call, i=i: call(i))[0] for i in range(calls))
        out[f"{name}_ms"] = 1000 * statistics.median(samples)
        out[f"{name}_p95_ms"] = 1000 * samples[min(len(samples) - 1, int(0.95 * len(samples)))]
    return out


def phase_sqlite_load(rows: int, path: str) -> dict:
    workload = build_workload(rows)
    _remove_db(Path(path))
    g = genome.open(sqlite_url(path), config={})
    try:
        return load(g.store, workload)
    finally:
        g.close()


def phase_sqlite_refresh(path: str, reps: int, calls: int) -> dict:
    """Floor, `reps` refreshes each on a pristine copy, refreshes with no new data, latencies."""
    pristine, work = Path(path), Path(path).with_suffix(".refreshed.db")
    connection = sqlite3.connect(pristine)
    floors = [
        baseline.floor_seconds(
            lambda sql, p: connection.execute(sql, p).fetchall(), BRAND, AS_OF.isoformat(), "?"
        )
        for _ in range(3)
    ]
    connection.close()
    refreshes = []
    for _ in range(reps):
        _copy_db(pristine, work)
        g = genome.open(sqlite_url(work), config={})
        seconds, summary = _timed(lambda g=g: g.refresh(BRAND, AS_OF))
        refreshes.append(seconds)
        g.close()
    g = genome.open(sqlite_url(work), config={})
    no_new = [_timed(lambda: g.refresh(BRAND, AS_OF))[0] for _ in range(min(3, reps))]
    result = {
        **_medians(floors),
        "refresh_s": statistics.median(refreshes),
        "refresh_runs_s": refreshes,
        "no_new_data_s": statistics.median(no_new),
        "rewarded_ads": summary["rewarded_ads"],
        "scores": summary["scores"],
        **latencies(g, BRAND, calls),
        "refreshed_path": str(work),
    }
    g.close()
    return result


def phase_baseline(path: str) -> dict:
    work = Path(path).with_suffix(".baseline.db")
    _copy_db(Path(path), work)
    connection = sqlite3.connect(work, isolation_level=None)
    try:
        result = baseline.run_baseline(connection, baseline.SQLITE, BRAND, AS_OF)
        difference = baseline.score_difference(connection, baseline.SQLITE, BRAND)
    finally:
        connection.close()
        _remove_db(work)
    return {**asdict(result), "baseline_s": result.seconds, "max_score_difference": difference}


def phase_postgres(rows: int, server_url: str, calls: int, per_row: bool, reps: int = 3) -> dict:
    """Load into a fresh migrated database, floor, `reps` refreshes each on a pristine copy (the
    median is reported), no-new-data refresh, latencies, the
    per-row baseline (when `per_row`), then the same refresh over REST (a PostgREST stand-in on a
    clone of the loaded database), counting requests."""
    import httpx
    import psycopg

    from genome.settings import Settings
    from genome.store.postgres import migrate
    from genome.store.supabase import SupabaseStore
    from support.postgrest import SECRET, URL, CountingTransport, PostgrestOnPostgres

    name = f"genome_bench_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    admin = psycopg.connect(server_url, autocommit=True)
    admin.execute(f'create database "{name}"')
    try:
        migrate(url)
        g = genome.open(url, config={})
        loaded = load(g.store, build_workload(rows), chunk_rows=100_000)
        g.close()
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("analyze")
            floors = [
                baseline.floor_seconds(
                    lambda sql, p, c=connection: c.execute(sql, p).fetchall(), BRAND, AS_OF, "%s"
                )
                for _ in range(3)
            ]
        for copy in ("rest", *(f"fresh{i}" for i in range(reps))):
            admin.execute(f'create database "{name}_{copy}" template "{name}"')
        refreshes = []
        for i in range(reps):  # each first refresh on a pristine copy, as for SQLite
            fresh = genome.open(urlunsplit(urlsplit(url)._replace(path=f"/{name}_fresh{i}")), config={})
            seconds, summary = _timed(lambda fresh=fresh: fresh.refresh(BRAND, AS_OF))
            refreshes.append(seconds)
            fresh.close()
        g = genome.open(url, config={})
        g.refresh(BRAND, AS_OF)
        no_new = [_timed(lambda: g.refresh(BRAND, AS_OF))[0] for _ in range(3)]
        result = {
            **loaded,
            **_medians(floors),
            "refresh_s": statistics.median(refreshes),
            "refresh_runs_s": refreshes,
            "no_new_data_s": statistics.median(no_new),
            "rewarded_ads": summary["rewarded_ads"],
            **latencies(g, BRAND, calls),
        }
        g.close()
        if per_row:
            with psycopg.connect(url, autocommit=True) as connection:
                measured = baseline.run_baseline(connection, baseline.POSTGRES, BRAND, AS_OF)
                difference = baseline.score_difference(connection, baseline.POSTGRES, BRAND)
            result.update(
                baseline_s=measured.seconds,
                baseline_statements=measured.statements,
                max_score_difference=difference,
            )
        server = PostgrestOnPostgres(urlunsplit(urlsplit(url)._replace(path=f"/{name}_rest")))
        counter = CountingTransport(httpx.MockTransport(server))
        rest = SupabaseStore(URL, SECRET, Settings(), transport=counter)
        before = len(counter.requests)
        seconds, rest_summary = _timed(lambda: rest.refresh([BRAND], AS_OF, *_compute()))
        rest.close()
        server.close()
        result.update(
            rest_requests=len(counter.requests) - before,
            rest_standin_s=seconds,
            rest_rewarded_ads=rest_summary["rewarded_ads"],
        )
        return result
    finally:
        for database in (name, f"{name}_rest", *(f"{name}_fresh{i}" for i in range(reps))):
            admin.execute(f'drop database if exists "{database}" with (force)')
        admin.close()


def _compute() -> tuple[Callable, object]:
    """What the service gives a refresh: the pure step and the settings it computes with."""
    from genome import jobs
    from genome.settings import Settings

    return jobs.compute_refresh, Settings()


def phase_dashboard_load(brands: int, ads: int, rows: int, path: str, calls: int) -> dict:
    _remove_db(Path(path))
    g = genome.open(sqlite_url(path), config={})
    loaded = load(g.store, build_workload(rows, brands=brands, ads=ads, seed=1))
    refresh_all, _ = _timed(lambda: g.refresh(None, AS_OF))
    validate_all, _ = _timed(lambda: g.validate(None, AS_OF))
    result = {
        **loaded,
        "brands": brands,
        "refresh_all_s": refresh_all,
        "validate_all_s": validate_all,
        **latencies(g, BRAND, calls),
    }
    g.close()
    return result


def phase_dashboard_pages(path: str) -> dict:
    """Seconds per page through AppTest: cold (read caches cleared) and warm (a rerun)."""
    os.environ["GENOME_DATABASE_URL"] = sqlite_url(path)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=PHASE_TIMEOUT_SECONDS)
    first_open, _ = _timed(at.run)
    pages, errors = {}, []
    for name, page in PAGES.items():
        st.cache_data.clear()
        cold, _ = _timed(lambda page=page: at.switch_page(page).run())
        warm, _ = _timed(at.run)
        errors += [f"{name}: {e.value}" for e in at.exception]
        pages[name] = {"cold_s": cold, "warm_s": warm}
    return {"first_open_s": first_open, "pages": pages, "page_errors": errors}


def phase_micro(calls: int) -> dict:
    import numpy as np

    from genome.sampling import prob_best

    rng = np.random.default_rng(0)
    alpha, beta = rng.uniform(1, 50, 50), rng.uniform(1, 50, 50)
    prob_best(alpha, beta, draws=10_000, rng=rng)
    samples = [_timed(lambda: prob_best(alpha, beta, draws=10_000, rng=rng))[0] for _ in range(calls)]
    return {"prob_best_50_arms_10k_draws_ms": 1000 * statistics.median(samples)}


PHASES: dict[str, Callable[..., dict]] = {
    "sqlite_load": phase_sqlite_load,
    "sqlite_refresh": phase_sqlite_refresh,
    "baseline": phase_baseline,
    "postgres": phase_postgres,
    "dashboard_load": phase_dashboard_load,
    "dashboard_pages": phase_dashboard_pages,
    "micro": phase_micro,
}


def _medians(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _run_phase_here(name: str, params: dict, result_path: str) -> None:
    start_rss = _rss_mb()
    result = PHASES[name](**params)
    result["start_rss_mb"] = start_rss
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(result_path).write_text(json.dumps(result, default=str))


# --- the parent: phases in order, results, report ---------------------------------------------------------
class Runner:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.errors: list[str] = []

    def phase(self, name: str, **params: object) -> dict:
        result_path = self.workdir / f"{name}-{uuid.uuid4().hex[:6]}.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--phase", name, "--params"]
        command += [json.dumps(params), "--result", str(result_path)]
        label = ", ".join(f"{k}={v}" for k, v in params.items() if k not in ("path", "server_url"))
        print(f"  {name}({label}) …", end="", flush=True, file=sys.stderr)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=PHASE_TIMEOUT_SECONDS)
        print(f" {time.perf_counter() - started:.1f} s", file=sys.stderr)
        if done.returncode != 0 or not result_path.exists():
            self.errors.append(f"{name}({label}): {done.stderr.strip()[-1500:]}")
            print(self.errors[-1], file=sys.stderr)
            return {}
        return json.loads(result_path.read_text())


def run_plan(plan: Plan, workdir: Path, postgres: bool = True, pages: bool = True) -> dict:
    started = time.perf_counter()
    runner = Runner(workdir)
    results: dict = {"meta": _meta(plan), "micro": runner.phase("micro", calls=plan.prob_best_calls)}
    results["sqlite"], results["baseline"], results["postgres"] = [], [], []
    for rows in plan.sizes:
        path = workdir / f"sqlite_{rows}.db"
        entry = {"daily_rows": rows, **runner.phase("sqlite_load", rows=rows, path=str(path))}
        reps = plan.reps if rows <= 1_000_000 else 1
        entry.update(runner.phase("sqlite_refresh", path=str(path), reps=reps, calls=plan.calls))
        results["sqlite"].append(entry)
        if rows in plan.baseline_sizes and "refreshed_path" in entry:
            measured = runner.phase("baseline", path=entry["refreshed_path"])
            results["baseline"].append({"daily_rows": rows, **measured})
        for leftover in (path, path.with_suffix(".refreshed.db")):
            _remove_db(leftover)
    if postgres:
        results["postgres"] = _postgres(runner, plan)
    dashboard_path = workdir / "dashboard.db"
    results["dashboard"] = runner.phase(
        "dashboard_load", path=str(dashboard_path), calls=plan.calls, **plan.dashboard
    )
    if pages:
        results["dashboard"].update(runner.phase("dashboard_pages", path=str(dashboard_path)))
    _remove_db(dashboard_path)
    results["errors"] = runner.errors
    results["meta"].update(seconds=time.perf_counter() - started, load_average_end=os.getloadavg())
    results["ratios"], results["targets"] = ratios(results), targets(results)
    return results


def _postgres(runner: Runner, plan: Plan) -> list[dict]:
    from support.pg_server import PostgresServer

    server = PostgresServer()
    try:
        url = server.start()
    except Exception as error:
        server.stop()
        runner.errors.append(f"postgres server: {error}")
        return []
    try:
        return [
            {
                "daily_rows": rows,
                **runner.phase(
                    "postgres",
                    rows=rows,
                    server_url=url,
                    calls=plan.calls // 4 or 1,
                    per_row=rows in plan.baseline_sizes,
                    reps=plan.reps,
                ),
            }
            for rows in plan.postgres_sizes
        ]
    finally:
        server.stop()


def _meta(plan: Plan) -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/run.py", *sys.argv[1:]]),
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": git("status", "--porcelain", "--", "genome", "dashboard", "migrations"),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "load_average_start": os.getloadavg(),
        "plan": asdict(plan),
    }


# --- ratios, targets, tables, CSV, plot --------------------------------------------------------------------
TRACKED_PER_AD = 6  # every workload ad carries all six tracked elements
TARGET_ROWS, BASELINE_TARGET_ROWS = 1_000_000, 100_000


def _at(entries: list[dict], rows: int, key: str) -> dict:
    """The entry for `rows` daily rows that has `key`, else the largest that has it (quick runs)."""
    measured = [entry for entry in entries if key in entry]
    exact = [entry for entry in measured if entry["daily_rows"] == rows]
    return (exact or sorted(measured, key=lambda entry: entry["daily_rows"])[-1:] or [{}])[0]


def reference_requests(entry: dict) -> int | None:
    if "rewarded_ads" not in entry:
        return None
    rewarded = entry["rewarded_ads"]
    return baseline.reference_requests(entry["ads"], rewarded, TRACKED_PER_AD * rewarded)


def ratios(results: dict) -> list[dict]:
    baselines = {entry["daily_rows"]: entry for entry in results["baseline"] if "baseline_s" in entry}
    postgres = {entry["daily_rows"]: entry for entry in results["postgres"] if "refresh_s" in entry}
    rows = []
    for entry in results["sqlite"]:
        if "refresh_s" not in entry:
            continue
        size, ours = entry["daily_rows"], entry["refresh_s"]
        pg = postgres.get(size, {})
        rows.append(
            {
                "daily_rows": size,
                "ours_over_floor": ours / entry["floor_s"],
                "ours_over_scoped_floor": ours / entry["floor_scoped_s"],
                "baseline_over_ours": baselines[size]["baseline_s"] / ours if size in baselines else None,
                "postgres_ours_over_floor": pg["refresh_s"] / pg["floor_s"] if pg else None,
                "postgres_baseline_over_ours": pg["baseline_s"] / pg["refresh_s"]
                if "baseline_s" in pg
                else None,
                "rest_requests": pg.get("rest_requests"),
                "reference_requests": reference_requests(entry),
            }
        )
    return rows


def targets(results: dict) -> list[dict]:
    big = _at(results["sqlite"], TARGET_ROWS, "refresh_s")
    mid = _at(results["baseline"], BASELINE_TARGET_ROWS, "baseline_s")
    ours_mid = _at(results["sqlite"], mid.get("daily_rows", 0), "refresh_s")
    pg_mid = _at(results["postgres"], BASELINE_TARGET_ROWS, "baseline_s")
    dashboard, pages = results.get("dashboard", {}), results.get("dashboard", {}).get("pages", {})
    checks = [
        (f"refresh of {big.get('daily_rows', 0):,} rows (s)", big.get("refresh_s"), "<", 3.0),
        ("refresh / floor", big["refresh_s"] / big["floor_s"] if big else None, "<=", 3.0),
        (
            f"baseline / ours at {mid.get('daily_rows', 0):,} rows (SQLite)",
            mid["baseline_s"] / ours_mid["refresh_s"] if mid and ours_mid else None,
            ">=",
            20.0,
        ),
        (
            f"baseline / ours at {pg_mid.get('daily_rows', 0):,} rows (Postgres)",
            pg_mid["baseline_s"] / pg_mid["refresh_s"] if pg_mid else None,
            ">=",
            20.0,
        ),
        (f"no-new-data refresh of {big.get('daily_rows', 0):,} rows (s)", big.get("no_new_data_s"), "<", 0.3),
        ("recommend, 1 brand (ms)", big.get("recommend_ms"), "<", 5.0),
        (
            f"recommend, {dashboard.get('brands', 0)} brands / {dashboard.get('ads', 0):,} ads (ms)",
            dashboard.get("recommend_ms"),
            "<",
            5.0,
        ),
        *((f"page {name}, cold (s)", page["cold_s"], "<", 1.5) for name, page in pages.items()),
    ]
    compare = {"<": float.__lt__, "<=": float.__le__, ">=": float.__ge__}
    return [
        {
            "target": name,
            "measured": value,
            "limit": f"{sign} {limit:g}",
            "met": None if value is None else compare[sign](float(value), limit),
        }
        for name, value, sign, limit in checks
    ]


def _cell(value: object) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return str(value)


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def tables(results: dict) -> str:
    ratio = {entry["daily_rows"]: entry for entry in results["ratios"]}
    baselines = {entry["daily_rows"]: entry for entry in results["baseline"]}
    sizes = [
        [
            e["daily_rows"],
            e.get("ads"),
            e.get("floor_s"),
            e.get("floor_scoped_s"),
            e.get("refresh_s"),
            ratio.get(e["daily_rows"], {}).get("ours_over_floor"),
            e.get("no_new_data_s"),
            baselines.get(e["daily_rows"], {}).get("baseline_s"),
            ratio.get(e["daily_rows"], {}).get("baseline_over_ours"),
            e.get("peak_rss_mb"),
        ]
        for e in results["sqlite"]
    ]
    postgres = [
        [
            e["daily_rows"],
            e.get("floor_s"),
            e.get("refresh_s"),
            e["refresh_s"] / e["floor_s"] if "refresh_s" in e else None,
            e.get("no_new_data_s"),
            e.get("baseline_s"),
            e["baseline_s"] / e["refresh_s"] if "baseline_s" in e else None,
            e.get("rest_requests"),
            ratio.get(e["daily_rows"], {}).get("reference_requests"),
            e.get("rest_standin_s"),
            e.get("peak_rss_mb"),
        ]
        for e in results["postgres"]
    ]
    big, dashboard = _at(results["sqlite"], TARGET_ROWS, "refresh_s"), results.get("dashboard", {})
    latency = [
        [where, e.get("recommend_ms"), e.get("pre_gen_score_ms"), e.get("performance_context_ms")]
        for where, e in (
            (f"SQLite, 1 brand, {big.get('daily_rows', 0):,} rows", big),
            (f"SQLite, {dashboard.get('brands', 0)} brands, {dashboard.get('ads', 0):,} ads", dashboard),
            *((f"Postgres, 1 brand, {e['daily_rows']:,} rows", e) for e in results["postgres"][-1:]),
        )
    ]
    pages = [[name, p["cold_s"], p["warm_s"]] for name, p in dashboard.get("pages", {}).items()]
    parts = [
        "SQLite, refresh of one brand (seconds; floor = one scan summing the daily rows)",
        markdown_table(
            [
                "daily rows",
                "ads",
                "floor",
                "floor (brand-scoped)",
                "ours",
                "ours / floor",
                "no new data",
                "baseline",
                "baseline / ours",
                "peak RSS MB",
            ],
            sizes,
        ),
        "Postgres (throwaway server) and the supabase backend over a counting REST stand-in",
        markdown_table(
            [
                "daily rows",
                "floor",
                "ours",
                "ours / floor",
                "no new data",
                "baseline",
                "baseline / ours",
                "REST requests",
                "reference requests",
                "REST stand-in s",
                "peak RSS MB",
            ],
            postgres,
        ),
        "Latency (median ms); prob_best for 50 arms at 10,000 draws: "
        f"{_cell(results['micro'].get('prob_best_50_arms_10k_draws_ms'))} ms",
        markdown_table(["workspace", "recommend", "pre_gen_score", "performance_context"], latency),
        f"Dashboard pages (AppTest, seconds; {dashboard.get('brands', 0)} brands, {dashboard.get('ads', 0):,} ads, "
        f"{dashboard.get('daily_rows', 0):,} daily rows; refresh of all brands {_cell(dashboard.get('refresh_all_s'))} s)",
        markdown_table(["page", "cold", "warm"], pages),
        "Targets",
        markdown_table(
            ["target", "measured", "limit", "met"],
            [[t["target"], t["measured"], t["limit"], t["met"]] for t in results["targets"]],
        ),
    ]
    return "\n\n".join(parts)


def write_csv(results: dict, path: Path) -> None:
    """One row per (section, daily rows, metric): numbers only, for spreadsheets and plots."""
    import csv

    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["section", "daily_rows", "metric", "value"])
        for section in ("sqlite", "baseline", "postgres", "ratios"):
            for entry in results[section]:
                for metric, value in entry.items():
                    if (
                        isinstance(value, int | float)
                        and not isinstance(value, bool)
                        and metric != "daily_rows"
                    ):
                        writer.writerow([section, entry["daily_rows"], metric, value])
        dashboard = results.get("dashboard", {})
        for metric, value in dashboard.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                writer.writerow(["dashboard", dashboard.get("daily_rows", ""), metric, value])
        for name, page in dashboard.get("pages", {}).items():
            for metric, value in page.items():
                writer.writerow(
                    ["dashboard_pages", dashboard.get("daily_rows", ""), f"{name}_{metric}", value]
                )
        for metric, value in results["micro"].items():
            writer.writerow(["micro", "", metric, value])


def plot(results: dict, folder: Path) -> list[Path]:
    """Seconds against daily rows (log-log): ours, the baseline and the floor, SQLite and Postgres.
    Writes scaling.html (plotly.js from its CDN) and, when headless Chromium works, scaling.png."""
    import plotly.graph_objects as go

    series = [
        ("ours (SQLite)", results["sqlite"], "refresh_s", "#1f77b4", "solid"),
        ("floor: one scan (SQLite)", results["sqlite"], "floor_s", "#2ca02c", "dot"),
        ("floor, brand-scoped (SQLite)", results["sqlite"], "floor_scoped_s", "#98df8a", "dot"),
        ("per-row baseline (SQLite)", results["baseline"], "baseline_s", "#d62728", "solid"),
        ("ours (Postgres)", results["postgres"], "refresh_s", "#9467bd", "dash"),
        ("per-row baseline (Postgres)", results["postgres"], "baseline_s", "#ff9896", "dash"),
        ("floor (Postgres)", results["postgres"], "floor_s", "#c5b0d5", "dot"),
    ]
    figure = go.Figure()
    for name, entries, key, colour, dash in series:
        points = [(e["daily_rows"], e[key]) for e in entries if key in e]
        if points:
            x, y = zip(*points, strict=True)
            figure.add_scatter(
                x=x, y=y, name=name, mode="lines+markers", line={"color": colour, "dash": dash}
            )
    figure.update_layout(
        title="Refresh of one brand: seconds against daily rows (log-log)",
        xaxis={"title": "daily performance rows", "type": "log"},
        yaxis={"title": "seconds", "type": "log"},
        template="plotly_white",
        width=900,
        height=520,
    )
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / "scaling.html"
    figure.write_html(html, include_plotlyjs="cdn")
    written = [html]
    with tempfile.TemporaryDirectory() as scratch:  # plotly.js inline: Chromium renders it offline
        page = Path(scratch) / "scaling.html"
        figure.write_html(page, include_plotlyjs=True)
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path="/usr/bin/chromium")
                tab = browser.new_page(viewport={"width": 920, "height": 540})
                tab.goto(page.as_uri())
                tab.wait_for_selector(".main-svg")
                tab.screenshot(path=str(folder / "scaling.png"))
                browser.close()
            written.append(folder / "scaling.png")
        except Exception as error:  # no browser here: the HTML is still written
            print(f"PNG not written ({type(error).__name__}: {error})", file=sys.stderr)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check that every phase runs")
    parser.add_argument(
        "--sizes", help="comma-separated daily rows for the SQLite refresh, e.g. 10000,100000"
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip the postgres and REST phases")
    parser.add_argument("--no-pages", action="store_true", help="skip the AppTest page renders")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="results folder")
    parser.add_argument("--img", type=Path, default=ROOT / "bench" / "img", help="plot folder")
    parser.add_argument(
        "--from-json", type=Path, help="only redo the tables and plot of an earlier bench.json"
    )
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        _run_phase_here(args.phase, json.loads(args.params), args.result)
        return 0
    if args.from_json:
        results = json.loads(args.from_json.read_text())
        results["ratios"], results["targets"] = ratios(results), targets(results)
    else:
        plan = QUICK if args.quick else Plan()
        if args.sizes:
            plan = Plan(**{**asdict(plan), "sizes": tuple(int(s) for s in args.sizes.split(","))})
        with tempfile.TemporaryDirectory(prefix="genome-bench-") as workdir:
            results = run_plan(plan, Path(workdir), postgres=not args.no_postgres, pages=not args.no_pages)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    write_csv(results, args.out / "bench.csv")
    print(tables(results))
    plot(results, args.img)
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
