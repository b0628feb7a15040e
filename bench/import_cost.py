"""What a Postgres import costs against a plain COPY of the same rows (issue 16 item 1).

Run by hand: `.venv/bin/python -m bench.import_cost [--rows 1000000] [--ads 20000] [--brands 10]`.
Starts a throwaway PostgreSQL 15 (support/pg_server.py), draws the workload (bench/workload.py: `ads`
ads, rows / ads days each), writes it as the two CSV files a user imports, then in one run:

- ours: `Genome.import_ads(file)` and `Genome.import_performance(file)` on a freshly migrated
  database, validation included; then the same two files again (every row unchanged);
- the parts: validation alone (`genome.validation`, the performance file checked against the ads);
- floor: `COPY … from stdin (format csv, header)` of the same two files into tables keyed like ours
  (ads by id, daily rows by (ad, date)), in a database of the same server.

Every time is the median of `--repeats` (default 3), each on fresh databases. Also counts the requests
the supabase backend sends for the same import (`genome.store.supabase_requests`: one `.rpc()` per
page) and their largest body. Prints JSON and writes bench/results/import_cost.json with the load
average at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

import genome
from bench.workload import build_workload
from genome import validation
from genome.store import supabase_requests as rq
from genome.store.postgres import migrate
from support import wire
from support.pg_server import PostgresServer

RESULTS = Path(__file__).with_name("results") / "import_cost.json"
FLOOR_TABLES = (
    "create table floor_ads (ad_id text primary key, brand_id text, created_at timestamptz,"
    " final_status text, is_imported boolean, pre_gen_score float8, element_tags jsonb)",
    "create table floor_performance (ad_id text, date date, impressions bigint, clicks bigint,"
    " conversions bigint, spend float8, revenue float8, campaign_objective text, primary key (ad_id, date))",
)


def _seconds(call: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def _fresh_database(server_url: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"drop database if exists {name}")
        connection.execute(f"create database {name}" + (f" template {template}" if template else ""))
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def _copy_file(connection: psycopg.Connection, table: str, path: Path) -> None:
    with (
        connection.cursor().copy(f"copy {table} from stdin (format csv, header)") as copy,
        path.open("rb") as file,
    ):
        while chunk := file.read(1 << 20):
            copy.write(chunk)


def floor_once(server_url: str, ads_csv: Path, performance_csv: Path) -> dict:
    url = _fresh_database(server_url, "bench_floor")
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in FLOOR_TABLES:
            connection.execute(statement)
        ads_s, _ = _seconds(lambda: _copy_file(connection, "floor_ads", ads_csv))
        performance_s, _ = _seconds(lambda: _copy_file(connection, "floor_performance", performance_csv))
    return {"ads_s": ads_s, "performance_s": performance_s}


def ours_once(server_url: str, template: str, ads_csv: Path, performance_csv: Path) -> dict:
    g = genome.open(_fresh_database(server_url, "bench_ours", template))
    try:
        ads_s, ads = _seconds(lambda: g.import_ads(ads_csv))
        performance_s, performance = _seconds(lambda: g.import_performance(performance_csv))
        again_ads_s, again_ads = _seconds(lambda: g.import_ads(ads_csv))
        again_s, again = _seconds(lambda: g.import_performance(performance_csv))
        known = set(g.store.known_ad_ids(validation.validate_ads(ads_csv, g.settings)["ad_id"].tolist()))
        validate_ads_s, _ = _seconds(lambda: validation.validate_ads(ads_csv, g.settings))
        validate_s, _ = _seconds(lambda: validation.validate_performance(performance_csv, known_ad_ids=known))
    finally:
        g.close()
    assert again_ads["unchanged"] == ads["inserted"] and again["unchanged"] == performance["inserted"]
    return {
        "ads_s": ads_s,
        "performance_s": performance_s,
        "again_ads_s": again_ads_s,
        "again_performance_s": again_s,
        "validate_ads_s": validate_ads_s,
        "validate_performance_s": validate_s,
    }


def supabase_requests(workload) -> dict:
    """The rpc requests the supabase backend sends for the same import (built without a network)."""
    from datetime import UTC, datetime

    started = datetime.now(UTC)
    calls = [
        *_calls(rq.import_ads_call(workload.ads, started)),
        *_calls(rq.import_performance_call(workload.performance, started)),
    ]
    bodies = [len(wire.wire_request(call).body or b"") for call in calls]
    performance_calls = len(_calls(rq.import_performance_call(workload.performance, started)))
    return {
        "requests": len(calls),
        "performance_requests": performance_calls,
        "performance_requests_per_1m_rows": round(
            performance_calls * 1_000_000 / max(len(workload.performance), 1)
        ),
        "largest_body_bytes": max(bodies),
        "total_body_bytes": sum(bodies),
    }


def _calls(built) -> list:
    return list(built) if isinstance(built, tuple | list) else [built]


def _median(runs: list[dict], key: str) -> float:
    return round(statistics.median(run[key] for run in runs), 3)


def measure(rows: int, ads: int, brands: int, repeats: int) -> dict:
    workload = build_workload(rows, brands=brands, ads=ads, days_per_ad=-(-rows // ads))
    server = PostgresServer()
    server_url = server.start()
    try:
        template = "bench_template"
        migrate(_fresh_database(server_url, template))
        with tempfile.TemporaryDirectory() as folder:
            ads_csv, performance_csv = Path(folder, "ads.csv"), Path(folder, "performance.csv")
            workload.ads.to_csv(ads_csv, index=False)
            workload.performance.to_csv(performance_csv, index=False)
            floors, ours = [], []
            for _ in range(repeats):  # interleaved, so both see the same machine
                floors.append(floor_once(server_url, ads_csv, performance_csv))
                ours.append(ours_once(server_url, template, ads_csv, performance_csv))
    finally:
        server.stop()
    result = {
        "daily_rows": len(workload.performance),
        "ads": len(workload.ads),
        "brands": brands,
        "repeats": repeats,
        **{f"floor_{k}": _median(floors, k) for k in floors[0]},
        **{f"ours_{k}": _median(ours, k) for k in ours[0]},
    }
    floor = result["floor_ads_s"] + result["floor_performance_s"]
    result["floor_s"] = round(floor, 3)
    result["ours_s"] = round(result["ours_ads_s"] + result["ours_performance_s"], 3)
    result["ours_over_floor"] = round(result["ours_s"] / floor, 2)
    result["performance_over_floor"] = round(result["ours_performance_s"] / result["floor_performance_s"], 2)
    result["again_over_floor"] = round(
        (result["ours_again_ads_s"] + result["ours_again_performance_s"]) / floor, 2
    )
    result["runs"] = {
        "floor": [{k: round(v, 3) for k, v in run.items()} for run in floors],
        "ours": [{k: round(v, 3) for k, v in run.items()} for run in ours],
    }
    result["supabase"] = supabase_requests(workload)
    return result


def _machine() -> dict:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "commit": commit.strip(),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ads", type=int, default=20_000)
    parser.add_argument("--brands", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    start = _machine()
    result = measure(args.rows, args.ads, args.brands, args.repeats)
    output = {"machine_at_start": start, "machine_at_end": _machine(), **result}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(output, indent=2) + "\n")
    print(json.dumps(output, indent=2))
    return output


if __name__ == "__main__":
    main()
