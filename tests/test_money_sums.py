"""Money sums are one defined computation: an ad's amounts added one after another in date order. So the
ad aggregates a refresh reads (the totals kept at import, and the days summed for a refresh back in
time) are bit-identical whatever order the rows were imported in, whatever plan Postgres picks (after
ANALYZE, with parallel workers forced or forbidden), and on both backends.

The amounts mix 0.1 and 1e6 + 0.01 over ~1,500 days per ad: adding them in another order gives other
bits (checked below), so a plan that reorders would show."""

from __future__ import annotations

import functools
import operator
from datetime import date, timedelta

import numpy as np
import pandas as pd
import psycopg
import pytest

from genome.store.postgres import PostgresStore

START = date(2020, 1, 1)
DAYS = 1500
AD_IDS = [f"ad-{i}" for i in range(4)]
AMOUNTS = np.array([0.1, 1e6 + 0.01, 0.7, 123.456789, 1e-3, 3.3, 2e5 + 0.07])
AS_OFS = (None, START + timedelta(DAYS // 2), START + timedelta(DAYS - 2))
READ = "select ad_id, spend, revenue from public.genome_ad_aggregates(null, %s) order by ad_id"
TOTALS = "select generated_ad_id, spend, revenue from public.ad_performance_totals"
SEQUENTIAL = {"max_parallel_workers_per_gather": "0"}
PARALLEL = {
    "max_parallel_workers_per_gather": "4",
    "parallel_setup_cost": "0",
    "parallel_tuple_cost": "0",
    "min_parallel_table_scan_size": "0",
    "min_parallel_index_scan_size": "0",
    "enable_indexscan": "off",
    "enable_sort": "off",
}


def daily_rows() -> pd.DataFrame:
    days = pd.date_range(START, periods=DAYS, freq="D")
    frames = []
    for number, ad_id in enumerate(AD_IDS):
        picks = (np.arange(DAYS) * (number + 3)) % len(AMOUNTS)
        frames.append(
            pd.DataFrame(
                {
                    "ad_id": ad_id,
                    "date": days,
                    "impressions": 1000,
                    "clicks": 10,
                    "conversions": 1,
                    "spend": AMOUNTS[picks],
                    "revenue": AMOUNTS[::-1][picks],
                    "campaign_objective": "SALES",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def folded(rows: pd.DataFrame, as_of: date | None) -> dict[str, tuple[float, float]]:
    """Per ad: its amounts up to `as_of` added one after another in date order (no compensation)."""
    if as_of is not None:
        rows = rows[rows["date"] <= pd.Timestamp(as_of)]
    ordered = rows.sort_values(["ad_id", "date"])
    return {
        ad_id: tuple(
            functools.reduce(operator.add, group[column].tolist()) for column in ("spend", "revenue")
        )
        for ad_id, group in ordered.groupby("ad_id")
    }


def ads_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ad_id": AD_IDS,
            "brand_id": "b1",
            "element_tags": "{}",
            "final_status": "approved",
            "is_imported": False,
            "created_at": pd.Timestamp("2019-12-01", tz="UTC"),
        }
    )


def sums(store, as_of: date | None) -> dict[str, tuple[float, float]]:
    frame = store.ad_aggregates(None, as_of)
    return {row.ad_id: (row.spend, row.revenue) for row in frame.itertuples()}


def test_the_amounts_give_other_bits_in_another_order():
    rows = daily_rows()
    forward = folded(rows, None)
    backward = {
        ad_id: functools.reduce(operator.add, group["spend"].tolist()[::-1])
        for ad_id, group in rows.sort_values(["ad_id", "date"]).groupby("ad_id")
    }
    assert any(forward[ad_id][0] != backward[ad_id] for ad_id in AD_IDS)


def test_totals_are_the_date_ordered_sums_whatever_the_import_order(store):
    rows = daily_rows()
    store.import_ads(ads_frame())
    shuffled = rows.sample(frac=1.0, random_state=3)
    for part in range(5):  # later days before earlier ones, across imports
        store.import_performance(shuffled.iloc[part::5].reset_index(drop=True))
    store.import_performance(shuffled.iloc[::7].reset_index(drop=True))  # rewrites: same values
    for as_of in AS_OFS:  # None and the last-but-one day read the totals; the middle one sums days
        assert sums(store, as_of) == folded(rows, as_of), as_of


@pytest.mark.postgres
def test_postgres_sums_are_bit_identical_after_analyze_and_with_parallel_plans(postgres_database):
    rows = daily_rows()
    store = PostgresStore(postgres_database)
    try:
        store.import_ads(ads_frame())
        store.import_performance(rows.sample(frac=1.0, random_state=5).reset_index(drop=True))
    finally:
        store.close()
    expected = {as_of: folded(rows, as_of) for as_of in AS_OFS}
    every_ad = rows.iloc[:: DAYS // 2].assign(date=rows["date"].dt.strftime("%Y-%m-%d"))
    with psycopg.connect(postgres_database, autocommit=True) as connection:
        for run, (analyzed, plan) in enumerate((a, p) for a in (False, True) for p in (SEQUENTIAL, PARALLEL)):
            if analyzed:
                connection.execute("analyze")
            with connection.transaction():
                for name, value in plan.items():
                    connection.execute(f"set local {name} = {value}")
                for as_of in AS_OFS:
                    got = {
                        ad_id: (spend, revenue)
                        for ad_id, spend, revenue in connection.execute(READ, (as_of,))
                    }
                    assert got == expected[as_of], (analyzed, plan, as_of)
                # a day of every ad rewritten (its objective), so the import rebuilds every total under this plan
                changed = every_ad.assign(campaign_objective=f"OBJECTIVE_{run}").to_json(orient="records")
                connection.execute("select public.genome_import_performance(%s::jsonb)", (changed,))
                totals = {ad_id: (spend, revenue) for ad_id, spend, revenue in connection.execute(TOTALS)}
                assert totals == expected[None], (analyzed, plan)
