"""Postgres at scale: millions of daily rows through the facade, each step against its floor.

    .venv/bin/python bench/scale.py                    # 10,000,000 rows: 200,000 delivering ads, 100 brands
    .venv/bin/python bench/scale.py --rows 2000000     # a smaller run of the same shape
    .venv/bin/python bench/scale.py --quick            # 100,000 rows: checks that every phase runs
    .venv/bin/python bench/scale.py --first-refresh 20000,50000 --out bench/results/first_refresh.json
                                                       # 1M rows, one brand: first refresh in parts

One throwaway PostgreSQL 15 server (support/pg_server.py); every phase runs in a subprocess of its own,
so its peak RSS (ru_maxrss) is its own. The rows are generated in chunks of CHUNK_ROWS (500,000)
(bench/workload.py, 50 days per delivering ad) and never held whole. Phases, in order:

- import: brands, then per chunk its ads and its daily rows through `Genome.import_ads` and
  `Genome.import_performance` (validation included); generation is not timed.
- floors: the same rows by `COPY` into a table with ad_performance's key (the import's floor), and
  one grouped scan summing the daily rows up to as_of, fetched (the refresh's floor), median of 3.
- first refresh of every brand, each on a fresh `create database … template` copy (median of
  `--reps`); then the same refresh again (no new data, median of 3).
- daily cycle: one new day for every delivering ad through `Genome.import_performance`, then the
  refresh of every brand at the new day, against a grouped scan at the new day.

Results: bench/results/scale.json (with the machine state and Postgres settings) and a table on the
terminal; see bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/scale.py` puts only bench/ on the path
    sys.path.insert(0, str(ROOT))

import genome  # noqa: E402
from bench import baseline  # noqa: E402
from bench.workload import AS_OF, Workload, build_workload  # noqa: E402

CHUNK_ROWS = 500_000
FIRST_REFRESH_ROWS = 1_000_000  # `--first-refresh`: one brand, 1M rows over 20,000 to 60,000 ads
DAYS_PER_AD = 50
PREFIX = "scale"
PHASE_TIMEOUT_SECONDS = 3 * 3600
SETTINGS = (
    "server_version",
    "shared_buffers",
    "work_mem",
    "maintenance_work_mem",
    "effective_cache_size",
    "max_wal_size",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "jit",
    "max_parallel_workers_per_gather",
)
COPY_FLOOR_TABLE = """
create table copy_floor (
    generated_ad_id text not null, date date not null, impressions bigint not null,
    clicks bigint not null, conversions bigint not null, spend double precision not null,
    revenue double precision not null, campaign_objective text, primary key (generated_ad_id, date))
"""


# --- the workload, one chunk at a time ------------------------------------------------------------------
def chunks(rows: int, brands: int) -> Iterator[Workload]:
    """`rows` daily rows in chunks of CHUNK_ROWS, each with its own ads (ids unique across chunks) spread
    over the same `brands` brands; the same chunks on every call (seeded by chunk number)."""
    for number, start in enumerate(range(0, rows, CHUNK_ROWS)):
        part = build_workload(
            min(CHUNK_ROWS, rows - start),
            brands,
            days_per_ad=DAYS_PER_AD,
            seed=number,
            prefix=f"{PREFIX}{number:03d}",
        )
        own_brand = part.ads["brand_id"].str.slice(-3)  # chunk brand i -> the run's brand i
        ads = part.ads.assign(brand_id=PREFIX + "-" + own_brand)
        brand_frame = part.brands.assign(
            id=PREFIX + "-" + part.brands["id"].str.slice(-3), organization_id=f"{PREFIX}-org"
        )
        yield Workload(brand_frame, ads, part.performance, part.as_of)


def new_day(rows: int, brands: int) -> Iterator:
    """One row dated the day after AS_OF for every delivering ad, chunk by chunk (the daily cycle)."""
    day = AS_OF + timedelta(days=1)
    for part in chunks(rows, brands):
        last = part.performance.drop_duplicates("ad_id", keep="last")
        yield last.assign(date=datetime(day.year, day.month, day.day))


# --- phases (each in a child process) ----------------------------------------------------------------
def _timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def _database_url(server_url: str, name: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def phase_import(server_url: str, database: str, rows: int, brands: int) -> dict:
    from genome.store.postgres import migrate

    url = _database_url(server_url, database)
    migrate(url)
    g = genome.open(url, config={})
    ads_s = rows_s = 0.0
    ads = 0
    try:
        for number, part in enumerate(chunks(rows, brands)):
            if number == 0:
                g.store.save_brands(part.brands)
            ads_s += _timed(lambda part=part: g.import_ads(part.ads))[0]
            rows_s += _timed(lambda part=part: g.import_performance(part.performance))[0]
            ads += len(part.ads)
    finally:
        g.close()
    return {"import_ads_s": ads_s, "import_rows_s": rows_s, "import_s": ads_s + rows_s, "ads": ads}


def phase_floors(server_url: str, database: str, rows: int, brands: int) -> dict:
    """COPY of the same rows into a keyed table (CSV text built beforehand, not timed) and the grouped
    scan of the daily rows up to AS_OF."""
    import psycopg

    copy_s = 0.0
    with psycopg.connect(_database_url(server_url, database), autocommit=True) as connection:
        connection.execute("drop table if exists copy_floor")
        connection.execute(COPY_FLOOR_TABLE)
        for part in chunks(rows, brands):
            text = io.StringIO()
            part.performance.to_csv(text, header=False, index=False, date_format="%Y-%m-%d")
            data = text.getvalue()

            def copy(data: str = data) -> None:
                with connection.cursor().copy("copy copy_floor from stdin (format csv)") as stream:
                    stream.write(data)

            copy_s += _timed(copy)[0]
        connection.execute("drop table copy_floor")
        connection.execute("vacuum analyze")
        scans = [_scan_seconds(connection, AS_OF) for _ in range(3)]
    return {"copy_s": copy_s, "scan_s": statistics.median(scans), "scan_runs_s": scans}


def _scan_seconds(connection: object, as_of: object) -> float:
    return baseline.floor_seconds(
        lambda sql, params: connection.execute(sql, params).fetchall(), "", as_of, "%s"
    )["floor_s"]


def phase_refresh(server_url: str, database: str, copy: str) -> dict:
    """The first refresh of every brand on `copy` (a fresh template copy), then no-new-data refreshes."""
    g = genome.open(_database_url(server_url, copy), config={})
    try:
        first_s, summary = _timed(lambda: g.refresh(None, AS_OF))
        no_new = [_timed(lambda: g.refresh(None, AS_OF))[0] for _ in range(3)]
    finally:
        g.close()
    return {
        "first_refresh_s": first_s,
        "no_new_data_s": statistics.median(no_new),
        "rewarded_ads": summary["rewarded_ads"],
        "scores": summary["scores"],
    }


def phase_daily(server_url: str, database: str, copy: str, rows: int, brands: int) -> dict:
    """On `copy` (refreshed at AS_OF): a new day for every delivering ad, then the refresh at that day."""
    import psycopg

    url, day = _database_url(server_url, copy), AS_OF + timedelta(days=1)
    g = genome.open(url, config={})
    import_s, new_rows = 0.0, 0
    try:
        for part in new_day(rows, brands):
            import_s += _timed(lambda part=part: g.import_performance(part))[0]
            new_rows += len(part)
        refresh_s, summary = _timed(lambda: g.refresh(None, day))
    finally:
        g.close()
    with psycopg.connect(url, autocommit=True) as connection:
        scans = [_scan_seconds(connection, day) for _ in range(3)]
    return {
        "new_rows": new_rows,
        "daily_import_s": import_s,
        "daily_refresh_s": refresh_s,
        "daily_scan_s": statistics.median(scans),
        "daily_rewarded_ads": summary["rewarded_ads"],
    }


def phase_first_refresh(server_url: str, database: str, delivering: int, reps: int) -> dict:
    """1,000,000 daily rows of one brand from `delivering` ads (and 15 % more without rows): the grouped scan (median of 3), then `reps`
    first refreshes, each on a fresh template copy, timed in parts: the two reads, compute, the write
    (payload building, staging and genome_apply_refresh)."""
    import psycopg

    from bench.workload import load
    from genome.store.postgres import migrate

    url = _database_url(server_url, database)
    migrate(url)
    g = genome.open(url, config={})
    workload = build_workload(FIRST_REFRESH_ROWS, days_per_ad=FIRST_REFRESH_ROWS // delivering)
    loaded = load(g.store, workload, 100_000)
    g.close()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("vacuum analyze")
        scans = [_scan_seconds(connection, AS_OF) for _ in range(3)]
    runs = []
    with psycopg.connect(server_url, autocommit=True) as admin:
        for number in range(reps):
            copy = f"{database}_{number}"
            admin.execute(f'create database "{copy}" template "{database}"')
            runs.append(_refresh_in_parts(_database_url(server_url, copy)))
            admin.execute(f'drop database "{copy}" with (force)')
    medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    return {**loaded, "scan_s": statistics.median(scans), "runs": runs, **medians}


def _refresh_in_parts(url: str) -> dict:
    """One refresh of every brand through the store, with the seconds of each part."""
    from genome import jobs

    g = genome.open(url, config={})
    parts: dict[str, float] = {}

    def timed(name: str, call: Callable) -> Callable:
        def run(*args: object) -> object:
            seconds, value = _timed(lambda: call(*args))
            parts[name] = parts.get(name, 0.0) + seconds
            return value

        return run

    store = g.store
    store._read_ad_aggregates = timed("read_aggregates_s", store._read_ad_aggregates)
    store._read_ad_elements = timed("read_elements_s", store._read_ad_elements)
    store._write_refresh = timed("write_s", store._write_refresh)
    compute = timed("compute_s", jobs.compute_refresh)
    try:
        seconds, _ = _timed(lambda: store.refresh(None, AS_OF, compute, g.settings))
    finally:
        g.close()
    return {"refresh_s": seconds, **parts}


PHASES: dict[str, Callable[..., dict]] = {
    "first_refresh": phase_first_refresh,
    "import": phase_import,
    "floors": phase_floors,
    "refresh": phase_refresh,
    "daily": phase_daily,
}


def _run_phase_here(name: str, params: dict, result_path: str) -> None:
    result = PHASES[name](**params)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(result_path).write_text(json.dumps(result, default=str))


def run_phase(workdir: Path, name: str, **params: object) -> dict:
    result_path = workdir / f"{name}-{uuid.uuid4().hex[:6]}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--phase", name]
    command += ["--params", json.dumps(params), "--result", str(result_path)]
    print(f"  {name} …", end="", flush=True, file=sys.stderr)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=PHASE_TIMEOUT_SECONDS)
    print(f" {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if done.returncode != 0 or not result_path.exists():
        raise RuntimeError(f"phase {name} failed: {done.stderr.strip()[-3000:]}")
    return json.loads(result_path.read_text())


# --- the parent ---------------------------------------------------------------------------------------------
def run(rows: int, brands: int, reps: int, workdir: Path) -> dict:
    import psycopg

    from support.pg_server import PostgresServer

    server = PostgresServer()
    server_url = server.start()
    database = f"genome_scale_{uuid.uuid4().hex[:8]}"
    results: dict = {"meta": _machine(), "rows": rows, "brands": brands}
    try:
        with psycopg.connect(server_url, autocommit=True) as admin:
            results["postgres_settings"] = {
                name: admin.execute(f"show {name}").fetchone()[0] for name in SETTINGS
            }
            admin.execute(f'create database "{database}"')
            params = {"server_url": server_url, "database": database}
            results["import"] = run_phase(workdir, "import", **params, rows=rows, brands=brands)
            results["floors"] = run_phase(workdir, "floors", **params, rows=rows, brands=brands)
            results["refresh"] = []
            for number in range(reps):
                copy = f"{database}_{number}"
                admin.execute(f'create database "{copy}" template "{database}"')
                results["refresh"].append(run_phase(workdir, "refresh", **params, copy=copy))
                if number < reps - 1:
                    admin.execute(f'drop database "{copy}" with (force)')
            results["daily"] = run_phase(workdir, "daily", **params, copy=copy, rows=rows, brands=brands)
            results["database_mb"] = (
                admin.execute("select pg_database_size(%s)", (database,)).fetchone()[0] / 2**20
            )
    finally:
        server.stop()
    results["meta"]["load_average_end"] = os.getloadavg()
    results["meta"]["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results


def run_first_refresh(sizes: list[int], reps: int, workdir: Path) -> dict:
    from support.pg_server import PostgresServer

    server = PostgresServer()
    server_url = server.start()
    results: dict = {"meta": _machine(), "first_refresh": []}
    try:
        for delivering in sizes:
            database = f"genome_first_{uuid.uuid4().hex[:8]}"
            _create_database(server_url, database)
            results["first_refresh"].append(
                run_phase(
                    workdir,
                    "first_refresh",
                    server_url=server_url,
                    database=database,
                    delivering=delivering,
                    reps=reps,
                )
            )
    finally:
        server.stop()
    results["meta"]["load_average_end"] = os.getloadavg()
    return results


def _create_database(server_url: str, database: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'create database "{database}"')


def _machine() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    memory = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/scale.py", *sys.argv[1:]]),
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": git("status", "--porcelain", "--", "genome", "bench"),
        "cpus": os.cpu_count(),
        "memory_total": memory["MemTotal"].strip(),
        "memory_available_start": memory["MemAvailable"].strip(),
        "load_average_start": os.getloadavg(),
    }


def summary_rows(results: dict) -> list[list[object]]:
    """(step, seconds, floor, seconds / floor, peak RSS MB) for the table in bench/README.md."""
    imported, floors, daily = results["import"], results["floors"], results["daily"]
    first = [run["first_refresh_s"] for run in results["refresh"]]
    refresh = statistics.median(first)
    scan, copy = floors["scan_s"], floors["copy_s"]
    rss = max(run["peak_rss_mb"] for run in results["refresh"])
    return [
        [
            "import through the facade",
            imported["import_s"],
            "COPY",
            copy,
            imported["import_s"] / copy,
            imported["peak_rss_mb"],
        ],
        ["first refresh, every brand", refresh, "grouped scan", scan, refresh / scan, rss],
        [
            "no-new-data refresh",
            statistics.median(r["no_new_data_s"] for r in results["refresh"]),
            "grouped scan",
            scan,
            None,
            rss,
        ],
        ["daily: import one new day", daily["daily_import_s"], "–", None, None, daily["peak_rss_mb"]],
        [
            "daily: refresh at the new day",
            daily["daily_refresh_s"],
            "grouped scan",
            daily["daily_scan_s"],
            daily["daily_refresh_s"] / daily["daily_scan_s"],
            daily["peak_rss_mb"],
        ],
    ]


def table(results: dict) -> str:
    from bench.run import markdown_table

    rows = summary_rows(results)
    for row in rows:
        if row[4] is None and row[3]:
            row[4] = row[1] / row[3]
    return markdown_table(["step", "seconds", "floor", "floor seconds", "ratio", "peak RSS MB"], rows)


def first_refresh_table(results: dict) -> str:
    from bench.run import markdown_table

    rows = [
        [
            entry["ads"],
            entry["delivering_ads"],
            entry["scan_s"],
            entry["refresh_s"],
            entry["refresh_s"] / entry["scan_s"],
            entry.get("read_aggregates_s"),
            entry.get("read_elements_s"),
            entry.get("compute_s"),
            entry.get("write_s"),
            entry["peak_rss_mb"],
        ]
        for entry in results["first_refresh"]
    ]
    header = [
        "ads",
        "delivering",
        "grouped scan",
        "first refresh",
        "ratio",
        "read aggregates",
        "read elements",
    ]
    return markdown_table([*header, "compute", "write", "peak RSS MB"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="daily rows (default 10,000,000)")
    parser.add_argument("--brands", type=int, default=100)
    parser.add_argument("--reps", type=int, default=3, help="first refreshes, each on a fresh copy")
    parser.add_argument("--quick", action="store_true", help="100,000 rows, 5 brands, 1 refresh")
    parser.add_argument(
        "--first-refresh",
        help="instead: 1M rows of one brand from these comma-separated numbers of delivering ads, e.g. 20000,50000",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        _run_phase_here(args.phase, json.loads(args.params), args.result)
        return 0
    rows, brands, reps = (100_000, 5, 1) if args.quick else (args.rows, args.brands, args.reps)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="genome-scale-") as workdir:
        if args.first_refresh:
            sizes = [int(size) for size in args.first_refresh.split(",")]
            results = run_first_refresh(sizes, reps, Path(workdir))
        else:
            results = run(rows, brands, reps, Path(workdir))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(first_refresh_table(results) if args.first_refresh else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
