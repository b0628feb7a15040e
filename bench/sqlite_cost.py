"""What the embedded SQLite store costs against its floors, idle and under load (issue 16, item 4).

    .venv/bin/python -m bench.sqlite_cost                  # 1,000,000 daily rows, idle then busy, 3 reps
    .venv/bin/python -m bench.sqlite_cost --rows 100000 --modes idle --reps 1   # a quick look

Each repetition measures a floor and ours back to back, so load that comes and goes hits both:

- **import**: `Genome.import_performance` of the workload's daily rows (validation included) into a
  new workspace holding its brands and ads, against the floor: the same rows, already Python tuples,
  `executemany` into a table keyed (ad_id, date) in a new file with the store's pragmas, and commit.
  "floor with the schema's key" adds ad_performance's foreign key to the ads, which every daily row
  also pays (its `(date)` index is gone: SQLite migration 0004).
- **refresh**: the first `Genome.refresh` of the brand on a fresh copy of the imported workspace,
  against the grouped scan of `bench/baseline.py` (every daily row read and summed, fetched).

"busy" runs a busy-loop process (one core) for the whole mode. Seconds are wall time; `cpu_s` is
this process's user + system time. Results: bench/results/sqlite_cost.json; see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import genome
from bench import baseline
from bench.workload import build_workload
from genome.store.sqlite import CACHE_KIB, IMPORT_CACHE_BYTES_PER_ROW, IMPORT_CACHE_MAX_KIB

RESULTS = Path(__file__).with_name("results") / "sqlite_cost.json"
BRAND = "bench-000"
FLOOR_TABLE = (
    "create table floor (ad_id text {references}, date text, impressions integer, clicks integer,"
    " conversions integer, spend real, revenue real, campaign_objective text, primary key (ad_id, date))"
    " without rowid"
)


def measured(call: Callable[[], object]) -> dict:
    """Wall and CPU (user + system) seconds of `call()`."""
    before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    call()
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"s": round(wall, 4), "cpu_s": round(cpu, 4)}


def remove(folder: Path, name: str) -> None:
    for leftover in folder.glob(f"{name}*"):
        leftover.unlink()


def workspace(folder: Path, workload, with_rows: bool) -> genome.Genome:
    g = genome.open(f"sqlite:///{folder / 'workspace.db'}", config={})
    g.store.save_brands(workload.brands)
    g.store.import_ads(workload.ads)
    if with_rows:
        g.store.import_performance(workload.performance)
    return g


def import_floor(folder: Path, rows: list[tuple], ad_ids: list[tuple], schema: bool) -> dict:
    """`executemany` of `rows` into a keyed table of a new file, and commit (the store's pragmas for an
    import of that many rows)."""
    path = folder / f"floor_{int(schema)}.db"
    connection = sqlite3.connect(path, isolation_level=None)
    cache = min(max(CACHE_KIB, len(rows) * IMPORT_CACHE_BYTES_PER_ROW // 1024), IMPORT_CACHE_MAX_KIB)
    for pragma in (
        "journal_mode = wal",
        "synchronous = normal",
        f"cache_size = -{cache}",
        "foreign_keys = on",
    ):
        connection.execute(f"pragma {pragma}")
    connection.execute("create table ads (id text primary key)")
    connection.executemany("insert into ads values (?)", ad_ids)
    connection.execute(FLOOR_TABLE.format(references="references ads (id)" if schema else ""))

    def insert() -> None:
        connection.execute("begin")
        connection.executemany("insert into floor values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        connection.execute("commit")

    try:
        return measured(insert)
    finally:
        connection.close()
        remove(folder, path.name)


def import_rep(folder: Path, workload, rows: list[tuple], ad_ids: list[tuple]) -> dict:
    result = {"floor": import_floor(folder, rows, ad_ids, schema=False)}
    result["floor_schema"] = import_floor(folder, rows, ad_ids, schema=True)
    g = workspace(folder, workload, with_rows=False)
    try:
        result["ours"] = measured(lambda: g.import_performance(workload.performance))
        summary = g.import_performance(workload.performance)
        result["reimport_unchanged"] = summary["unchanged"]
    finally:
        g.close()
        remove(folder, "workspace.db")
    return result


def refresh_rep(folder: Path, pristine: Path, as_of) -> dict:
    connection = sqlite3.connect(pristine)
    try:
        scan = (baseline.FLOOR_SQL.format(p="?"), (as_of.isoformat(),))
        floor = measured(lambda: connection.execute(*scan).fetchall())
    finally:
        connection.close()
    copy = folder / "refreshed.db"
    shutil.copyfile(pristine, copy)
    g = genome.open(f"sqlite:///{copy}", config={})
    try:
        ours = measured(lambda: g.refresh(BRAND, as_of))
    finally:
        g.close()
        remove(folder, copy.name)
    return {"floor": floor, "ours": ours}


def summarise(reps: list[dict]) -> dict:
    """Medians of every measure over the repetitions, and ours / floor for wall and CPU seconds."""
    out: dict = {}
    for name in reps[0]:
        if isinstance(reps[0][name], dict):
            out[name] = {key: statistics.median(rep[name][key] for rep in reps) for key in reps[0][name]}
    for name in [n for n in out if n.startswith("floor")]:
        suffix = name.removeprefix("floor")
        for key in ("s", "cpu_s"):
            out[f"ours / floor{suffix} ({key})"] = round(out["ours"][key] / out[name][key], 2)
    out["runs"] = reps
    return out


def run_mode(mode: str, workload, reps: int) -> dict:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if mode == "busy" else None
    started = os.getloadavg()
    try:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            performance = workload.performance.assign(
                date=workload.performance["date"].dt.strftime("%Y-%m-%d")
            )
            rows = list(zip(*(performance[column].tolist() for column in performance.columns), strict=True))
            ad_ids = [(ad_id,) for ad_id in workload.ads["ad_id"].tolist()]
            imports = [import_rep(folder, workload, rows, ad_ids) for _ in range(reps)]
            pristine = folder / "pristine.db"
            workspace(folder, workload, with_rows=True).close()
            (folder / "workspace.db").rename(pristine)
            refreshes = [refresh_rep(folder, pristine, workload.as_of) for _ in range(reps)]
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    return {
        "load_average_start": started,
        "load_average_end": os.getloadavg(),
        "import": summarise(imports),
        "refresh": summarise(refreshes),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--modes", default="idle,busy", help="idle and/or busy (a busy-loop process runs)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    workload = build_workload(args.rows)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit.strip(),
        "daily_rows": args.rows,
        "ads": len(workload.ads),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "modes": {mode: run_mode(mode, workload, args.reps) for mode in args.modes.split(",")},
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    for mode, result in results["modes"].items():
        for job in ("import", "refresh"):
            ratios = {key: value for key, value in result[job].items() if key.startswith("ours /")}
            print(
                mode,
                job,
                f"ours {result[job]['ours']['s']:.2f} s",
                ratios,
                "load",
                result["load_average_start"],
            )
    return results


if __name__ == "__main__":
    main()
