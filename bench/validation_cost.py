"""What computing rewards inside validation costs (issue item 6): validation no longer reads the
stored rewards (written by whichever refresh ran last) but computes them at as_of from the ad
aggregates it already reads, with the pure `genome.rewards.compute_rewards`.

Run by hand: `.venv/bin/python -m bench.validation_cost [DAILY_ROWS ...]` (default 200000 1000000).
Loads bench workloads (one brand) into a fresh SQLite file each, refreshes once, then times, median
of 3: the stored-rewards read validation used to make, compute_rewards on the aggregates that
replaces it, and one whole validation. Prints JSON and writes bench/results/validation_cost.json.

Measured 2026-12-02 (2-core shared machine, SQLite, one brand, medians of 3): at 1,000,000 daily
rows (57,500 ads, 50,000 rewarded) compute_rewards takes 0.05 s where the stored-rewards read it
replaces took 0.30 s; a whole validation 0.58 s, against 0.93 s before (the same script on commit
f4d5ce9). At 200,000 rows: 0.03 s against 0.13 s; validation 0.32 s.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import genome
from bench.workload import build_workload
from genome.rewards import compute_rewards

RESULTS = Path(__file__).with_name("results") / "validation_cost.json"
REPEATS = 3


def _median_seconds(call) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 4)


def measure(daily_rows: int) -> dict:
    workload = build_workload(daily_rows)
    with tempfile.TemporaryDirectory() as folder:
        g = genome.open(f"sqlite:///{folder}/bench.db")
        try:
            g.store.save_brands(workload.brands)
            g.store.import_ads(workload.ads)
            g.store.import_performance(workload.performance)
            g.refresh(as_of=workload.as_of)
            ads = g.store.ad_aggregates(None, workload.as_of)
            return {
                "daily_rows": daily_rows,
                "ads": len(ads),
                "rewarded_ads": len(compute_rewards(ads, workload.as_of, g.settings)),
                "stored_rewards_read_s": _median_seconds(lambda: g.store.rewards()),
                "compute_rewards_s": _median_seconds(
                    lambda: compute_rewards(ads, workload.as_of, g.settings)
                ),
                "ad_aggregates_read_s": _median_seconds(lambda: g.store.ad_aggregates(None, workload.as_of)),
                "validate_s": _median_seconds(lambda: g.validate(as_of=workload.as_of)),
            }
        finally:
            g.close()


def main(argv: list[str]) -> None:
    sizes = [int(arg) for arg in argv] or [200_000, 1_000_000]
    results = [measure(rows) for rows in sizes]
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
