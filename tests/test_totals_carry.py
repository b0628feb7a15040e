"""The daily import carries an ad's totals on from the stored ones when it only adds days after them, and
sums its stored days again otherwise (a back-filled or corrected day, no totals yet); either way the
totals are bit for bit those of a store that got every day in one import.

The amounts mix 1e16, 1e-17 and 0.1: added one after another in date order they give other bits than
numpy's pairwise sum or an exact sum (checked below), so a carry that added in another order would show.
"""

from __future__ import annotations

import functools
import math
import operator
import sqlite3

import numpy as np
import pandas as pd
import psycopg

AMOUNTS = np.array([0.1, 1e16, 1e-17, 0.3, 1.0, 7e15, 0.7, 2.5e-3, 3.3, 1e-3])
DAYS = pd.date_range("2024-03-01", periods=13, freq="D")  # 12 stored days, then the new one
TOTALS = ["impressions", "clicks", "conversions", "spend", "revenue", "campaign_objective"]


def ads(prefix: str) -> list[str]:
    return [f"{prefix}-{number}" for number in range(4)]


def ads_frame(ad_ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ad_id": ad_ids,
            "brand_id": "b1",
            "element_tags": "{}",
            "final_status": "approved",
            "is_imported": False,
            "created_at": pd.Timestamp("2024-01-01", tz="UTC"),
        }
    )


def days_of(ad_ids: list[str]) -> pd.DataFrame:
    """Every day of each ad: awkward amounts, objective SALES then LEADS on ad 0's and blank on ad 1's new day."""
    frames = []
    for number, ad_id in enumerate(ad_ids):
        picks = (np.arange(len(DAYS)) * (number + 3) + number) % len(AMOUNTS)
        objective = ["SALES"] * (len(DAYS) - 1) + [["LEADS", "  ", None, "SALES"][number]]
        frames.append(
            pd.DataFrame(
                {
                    "ad_id": ad_id,
                    "date": DAYS,
                    "impressions": 1000 + number,
                    "clicks": 10,
                    "conversions": 1,
                    "spend": AMOUNTS[picks],
                    "revenue": AMOUNTS[::-1][picks],
                    "campaign_objective": objective,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def folded(rows: pd.DataFrame, column: str) -> dict[str, float]:
    """Per ad: its amounts added one after another in date order."""
    ordered = rows.sort_values(["ad_id", "date"])
    return {
        ad: functools.reduce(operator.add, group[column].tolist()) for ad, group in ordered.groupby("ad_id")
    }


def totals(store, prefix: str) -> pd.DataFrame:
    frame = store.ad_aggregates(None, None).set_index("ad_id")
    frame = frame[frame.index.str.startswith(prefix)]
    return frame.set_axis(frame.index.str.removeprefix(prefix)).sort_index()


def hexes(frame: pd.DataFrame) -> list[str]:
    return [value.hex() for value in frame[["spend", "revenue"]].to_numpy().ravel().tolist()]


def execute(store_url: str, sql: str) -> None:
    """`sql` on the store's database, beside the store (to plant a marker in the totals)."""
    if store_url.startswith("sqlite"):
        with sqlite3.connect(store_url.removeprefix("sqlite:///")) as connection:
            connection.execute(sql)
        connection.close()
    else:
        with psycopg.connect(store_url) as connection:
            connection.execute(sql)


def test_the_amounts_give_other_bits_summed_pairwise_or_exactly():
    rows = days_of(ads("x"))
    for column in ("spend", "revenue"):
        fold = folded(rows, column)
        by_ad = rows.sort_values(["ad_id", "date"]).groupby("ad_id")[column]
        assert any(fold[ad] != np.sum(values.to_numpy()) for ad, values in by_ad)
        assert any(fold[ad] != math.fsum(values) for ad, values in by_ad)


def test_a_new_day_carried_on_equals_every_day_in_one_import_bit_for_bit(store):
    carried, fresh = ads("carried"), ads("fresh")
    store.import_ads(ads_frame(carried + fresh))
    rows = days_of(carried)
    stored = rows[(rows["date"] < DAYS[-1]) & ~((rows["ad_id"] == "carried-2") & (rows["date"] == DAYS[4]))]
    store.import_performance(stored.sample(frac=1.0, random_state=1).reset_index(drop=True))
    new_day = rows[(rows["date"] == DAYS[-1]) & (rows["ad_id"] != "carried-3")]
    back_filled = rows[(rows["ad_id"] == "carried-2") & (rows["date"] == DAYS[4])]
    corrected = stored[(stored["ad_id"] == "carried-3") & (stored["date"] == DAYS[2])].assign(spend=0.1)
    summary = store.import_performance(pd.concat([new_day, back_filled, corrected, stored.head(2)]))
    assert (summary["inserted"], summary["updated"], summary["unchanged"]) == (4, 1, 2)

    final = pd.concat([stored.drop(index=corrected.index), new_day, back_filled, corrected])
    store.import_performance(final.assign(ad_id=final["ad_id"].str.replace("carried", "fresh")))
    got, expected = totals(store, "carried"), totals(store, "fresh")
    assert hexes(got) == hexes(expected)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    for column in ("spend", "revenue"):
        assert got[column].tolist() == [folded(final, column)[ad] for ad in carried]
    assert got["campaign_objective"].tolist() == ["LEADS", "SALES", "SALES", "SALES"]
    assert got["impressions"].tolist() == [13 * 1000, 13 * 1001, 13 * 1002, 12 * 1003]


def test_a_new_day_adds_to_the_stored_totals_and_a_back_filled_day_sums_every_day(store, store_url):
    ad_ids = ads("ad")[:2]
    store.import_ads(ads_frame(ad_ids))
    rows = days_of(ad_ids)
    store.import_performance(rows[rows["date"].between(DAYS[1], DAYS[-2])])
    execute(store_url, "update ad_performance_totals set spend = 1000.0")  # a marker the sums never give
    new_day = rows[(rows["ad_id"] == "ad-0") & (rows["date"] == DAYS[-1])]
    back_filled = rows[(rows["ad_id"] == "ad-1") & (rows["date"] == DAYS[0])]
    store.import_performance(pd.concat([new_day, back_filled]))
    got = totals(store, "ad-")
    assert got.loc["0", "spend"] == 1000.0 + new_day["spend"].iloc[0]  # carried on from the stored totals
    assert got.loc["1", "spend"] == folded(rows[rows["ad_id"] == "ad-1"], "spend")["ad-1"]  # summed again
