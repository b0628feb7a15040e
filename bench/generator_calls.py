"""What each call an ad generator makes costs (ms, median and p95), on SQLite and Postgres.

Run by hand, once: `.venv/bin/python -m bench.generator_calls` (about ten minutes on a 2-core machine;
`--quick` runs a tiny workload and prints without writing). Loads the bench workload of 50 brands,
100,000 ads and 1,000,000 daily rows (the dashboard size of bench/run.py) into a SQLite file and a
throwaway PostgreSQL 15 database, refreshes every brand, then times CALLS calls of each generator-facing
call for a brand with its own scores (bench-000) and for a brand never seen (level 0, decided from
what it may borrow): performance_context (to the prompt text), recommend, pre_gen_score of a full
configuration, rank_templates of CANDIDATES templates, and save_generated_ad of a new ad. Writes
bench/results/generator_calls.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd

import genome
from bench.workload import AS_OF, build_workload, load
from genome.demo import ELEMENT_TAXONOMY

RESULTS = Path(__file__).with_name("results") / "generator_calls.json"
FULL = {"brands": 50, "ads": 100_000, "rows": 1_000_000}
QUICK = {"brands": 3, "ads": 300, "rows": 3_000}
CALLS = 50
CANDIDATES = 20
KNOWN_BRAND = "bench-000"
NEW_BRAND = "never-seen-brand"


def candidates(count: int, seed: int = 0) -> pd.DataFrame:
    """`count` templates with a base score, three tracked elements and one the genome does not track."""
    rng = np.random.default_rng(seed)
    columns = {
        name: rng.choice(np.array(ELEMENT_TAXONOMY[name], dtype=object), count)
        for name in ("template_category", "hook_type", "color_mode")
    }
    return pd.DataFrame(
        {
            "template_id": [f"template-{i:03d}" for i in range(count)],
            "base_score": rng.uniform(0, 1, count).round(3),
            **columns,
            "layout": rng.choice(np.array(["grid", "split", "full_bleed"], dtype=object), count),
        }
    )


def timings(call: Callable[[int], object], calls: int) -> dict:
    call(-1)  # warm caches and imports
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        call(i)
        samples.append(1000 * (time.perf_counter() - started))
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 2),
    }


def measure(g: genome.Genome, calls: int) -> dict:
    """Each generator-facing call, for the brand with own scores and for a brand never seen."""
    table = candidates(CANDIDATES)
    results = {}
    for kind, brand in (("own_scores", KNOWN_BRAND), ("never_seen", NEW_BRAND)):
        tags = g.recommend(brand, seed=0) or {"hook_type": "question"}
        prefix = uuid.uuid4().hex[:8]
        measured = {
            "performance_context": lambda i, b=brand: g.performance_context(b, seed=abs(i)).to_prompt(),
            "recommend": lambda i, b=brand: g.recommend(b, seed=abs(i)),
            "pre_gen_score": lambda i, b=brand, t=tags: g.pre_gen_score(b, t),
            "rank_templates": lambda i, b=brand: g.rank_templates(b, table),
            "save_generated_ad": lambda i, b=brand, t=tags, p=prefix: g.save_generated_ad(
                f"gen-{p}-{i}", b, t, 0.5, created_at=datetime.now(UTC)
            ),
        }
        results[kind] = {name: timings(call, calls) for name, call in measured.items()}
    return results


def prepare(g: genome.Genome, size: dict) -> dict:
    workload = build_workload(size["rows"], brands=size["brands"], ads=size["ads"], seed=1)
    loaded = load(g.store, workload, chunk_rows=100_000)
    started = time.perf_counter()
    g.refresh(None, AS_OF)
    return {**loaded, "brands": size["brands"], "refresh_all_s": round(time.perf_counter() - started, 2)}


@contextmanager
def postgres_url() -> Iterator[str]:
    import psycopg

    from genome.store.postgres import migrate
    from support.pg_server import PostgresServer

    server = PostgresServer()
    try:
        url = urlunsplit(urlsplit(server.start())._replace(path="/genome_bench"))
        with psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True) as admin:
            admin.execute('create database "genome_bench"')
        migrate(url)
        yield url
    finally:
        server.stop()


def run(size: dict, calls: int) -> dict:
    results = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "workload": size,
        "calls": calls,
        "candidates": CANDIDATES,
    }
    with tempfile.TemporaryDirectory() as folder:
        g = genome.open(f"sqlite:///{folder}/bench.db", config={})
        try:
            results["sqlite"] = {"load": prepare(g, size), **measure(g, calls)}
        finally:
            g.close()
    with postgres_url() as url:
        g = genome.open(url, config={})
        try:
            results["postgres"] = {"load": prepare(g, size), **measure(g, calls)}
        finally:
            g.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny workload; print, write nothing")
    args = parser.parse_args(argv)
    results = run(QUICK if args.quick else FULL, 3 if args.quick else CALLS)
    text = json.dumps(results, indent=2)
    if not args.quick:
        RESULTS.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
