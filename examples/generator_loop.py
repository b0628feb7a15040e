"""The generation loop end to end, as an ad generator uses the genome.

context -> recommend -> score -> save -> performance import -> daily job -> context again, which now
shows what the brand's own ads taught. Runs on a fresh SQLite file unless given a database:

    python examples/generator_loop.py [--database URL]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

import genome

BRAND = "acme-shoes"
TODAY = date(2026, 3, 1)
ADS = 40  # enough matured ads for cold-start level 2
CTR_BY_HOOK = {"question": 0.05, "statistic": 0.02}  # what the (pretend) market rewards


def main(database: str) -> None:
    g = genome.open(database, config={})  # settings from the arguments here, not the environment
    try:
        before = g.performance_context(BRAND, seed=1)
        print(f"1. context before: level {before.cold_start_level}, evidence {before.evidence!r}")

        performance = []
        for n in range(ADS):  # a generator makes one ad after another
            made_on = TODAY - timedelta(days=30 - n // 4)
            tags = {**g.recommend(BRAND, seed=n), "hook_type": list(CTR_BY_HOOK)[n % 2]}
            score = g.pre_gen_score(BRAND, tags).score
            g.save_generated_ad(
                f"ad-{n}", BRAND, tags, pre_gen_score=score, final_status="approved", created_at=made_on
            )
            performance += daily_rows(f"ad-{n}", made_on, CTR_BY_HOOK[tags["hook_type"]])
        print(f"2. recommended, scored and saved {ADS} ads (last pre-generation score {score:.2f})")

        imported = g.import_performance(pd.DataFrame(performance))
        print(f"3. imported {imported.get('inserted', 0):,} daily performance rows")

        daily = g.daily(TODAY)
        print(
            f"4. daily job #{daily['job_id']}: {daily['refresh']['rewarded_ads']} ads rewarded, "
            f"{daily['validation']['metrics']} health metrics"
        )

        after = g.performance_context(BRAND, seed=1)
        best = after.top_performing_elements.get("hook_type", ())
        print(
            f"5. context after: level {after.cold_start_level}, evidence {after.evidence!r}, "
            f"best hook {best[0].element_value if best else None!r}"
        )
        print(after.to_prompt())
    finally:
        g.close()


def daily_rows(ad_id: str, made_on: date, ctr: float) -> list[dict]:
    """A week of performance for one ad."""
    return [
        {
            "ad_id": ad_id,
            "date": (made_on + timedelta(days=day)).isoformat(),
            "impressions": 1000,
            "clicks": round(1000 * ctr),
            "conversions": 0,
            "spend": 10.0,
            "revenue": 0.0,
        }
        for day in range(7)
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", metavar="URL", help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    if args.database:
        main(args.database)
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(f"sqlite:///{Path(folder) / 'genome.db'}")
