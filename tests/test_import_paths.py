"""Every way a daily-rows import meets the stored rows gives the same counts and totals on every backend.

The SQLite store inserts rows dated after all of their ad's stored days as they are and carries that
ad's totals on from the stored ones (a new ad, a new day); other rows are updated where they differ
or inserted where missing, and their ads summed again. Either way the totals must be the date-ordered
sums of all stored days, bit for bit (tests/test_money_sums.py has the amounts that show an order).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from genome.errors import StoreError
from tests.test_money_sums import AD_IDS, ads_frame, daily_rows, folded, sums

COUNTS = ("inserted", "updated", "unchanged")


def counts(summary: dict) -> tuple[int, int, int]:
    return tuple(summary[key] for key in COUNTS)


def test_days_imported_in_date_order_carry_the_totals_on_bit_for_bit(store):
    rows = daily_rows()
    store.import_ads(ads_frame())
    days = sorted(rows["date"].unique())
    for chunk in range(6):  # each import holds only days after every stored one; one ad starts late
        part = rows[rows["date"].isin(days[chunk * 250 : (chunk + 1) * 250])]
        part = part[(part["ad_id"] != AD_IDS[-1]) | (chunk >= 2)]
        store.import_performance(part.sample(frac=1.0, random_state=chunk).reset_index(drop=True))
    late = rows[(rows["ad_id"] == AD_IDS[-1]) & (rows["date"] < days[500])]
    assert counts(store.import_performance(late)) == (len(late), 0, 0)  # days before the stored ones
    for as_of in (None, date(2021, 6, 1)):
        assert sums(store, as_of) == folded(rows, as_of)


def test_one_import_of_new_corrected_unchanged_and_missing_days_counts_each(store):
    rows = daily_rows().head(10)  # ad-0, days 1-10
    store.import_ads(ads_frame())
    stored = rows.drop(index=[4, 9])  # day 5 missing, day 10 not yet
    assert counts(store.import_performance(stored)) == (8, 0, 0)
    again = pd.concat(
        [
            rows.loc[[9]],  # a new day
            rows.loc[[4]],  # the missing day
            rows.loc[[2]].assign(spend=99.5, campaign_objective="LEADS"),  # a correction
            rows.loc[[3]],  # the same values
            rows.loc[[6]].assign(campaign_objective="  "),  # blank objective: stored as none
        ]
    )
    assert counts(store.import_performance(again)) == (2, 2, 1)
    expected = pd.concat([rows.drop(index=[2, 6]), again.loc[[2, 6]]])
    expected["campaign_objective"] = expected["campaign_objective"].str.strip().replace("", None)
    aggregates = store.ad_aggregates(None, None).set_index("ad_id").loc["ad-0"]
    assert (aggregates["spend"], aggregates["revenue"]) == folded(expected, None)["ad-0"]
    assert aggregates["impressions"] == expected["impressions"].sum()
    assert aggregates["campaign_objective"] == "SALES"  # the latest day that names one
    assert counts(store.import_performance(again)) == (0, 0, 5)


def test_a_key_given_twice_counts_once_and_the_last_row_wins(store):
    rows = daily_rows().head(3)
    store.import_ads(ads_frame())
    twice = pd.concat([rows, rows.loc[[1]].assign(clicks=3)], ignore_index=True)
    assert counts(store.import_performance(twice)) == (3, 0, 0)
    assert store.ad_aggregates(None, None).set_index("ad_id").loc["ad-0", "clicks"] == 23


@pytest.mark.parametrize("where", ["a new day", "a stored day"])
def test_a_refused_row_writes_nothing_whichever_way_it_goes(store, where):
    rows = daily_rows().head(5)
    store.import_ads(ads_frame())
    store.import_performance(rows.head(3))
    before = store.ad_aggregates(None, None)
    bad = rows.loc[[4 if where == "a new day" else 1]].assign(clicks=5000)  # more clicks than impressions
    with pytest.raises(StoreError):
        store.import_performance(pd.concat([rows.loc[[3]], bad]))
    pd.testing.assert_frame_equal(store.ad_aggregates(None, None), before)
