"""The tables imports keep for fast reads (ad totals, element rows) always agree with the raw data.

Each scenario imports ads and daily rows in batches that overwrite days, blank the latest
objective, re-tag ads and move one to another brand; after every batch the store's ad aggregates
(at several `as_of`, before, inside and after the ads' days) and ad elements must equal what a
plain pandas computation over everything imported so far gives.
"""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from genome.errors import Problem, ValidationError
from genome.service import Genome

START = date(2025, 1, 1)
AS_OFS = (
    START - timedelta(days=1),
    START + timedelta(days=3),
    START + timedelta(days=6),
    START + timedelta(days=40),
)
TAGS = {
    "hook_type": ["question", "statement", ""],
    "color_mode": ["dark", "light"],
    "canvas_size": [1080, 1200],
}
MONEY = ["spend", "revenue"]
COUNTS = ["impressions", "clicks", "conversions"]


def ads_batch(rng: np.random.Generator, ad_ids: list[str], brands: list[str]) -> pd.DataFrame:
    tags = [
        json.dumps(
            {name: values[rng.integers(len(values))] for name, values in TAGS.items() if rng.random() < 0.8}
        )
        for _ in ad_ids
    ]
    return pd.DataFrame(
        {
            "ad_id": ad_ids,
            "brand_id": [brands[rng.integers(len(brands))] for _ in ad_ids],
            "created_at": pd.Timestamp(START) - pd.Timedelta(days=1),
            "final_status": "approved",
            "is_imported": False,
            "pre_gen_score": 0.5,
            "element_tags": tags,
        }
    )


def performance_batch(rng: np.random.Generator, ad_ids: list[str], rows: int) -> pd.DataFrame:
    impressions = rng.integers(0, 2000, rows)
    clicks = rng.binomial(impressions, 0.02)
    objectives = np.array(["SALES", "TRAFFIC", None], dtype=object)
    return pd.DataFrame(
        {
            "ad_id": rng.choice(ad_ids, rows),
            "date": pd.Timestamp(START) + pd.to_timedelta(rng.integers(0, 10, rows), unit="D"),
            "impressions": impressions,
            "clicks": clicks,
            "conversions": rng.binomial(clicks, 0.1),
            "spend": rng.random(rows) * 10,
            "revenue": rng.random(rows) * 30,
            "campaign_objective": objectives[rng.integers(0, 3, rows)],
        }
    ).drop_duplicates(["ad_id", "date"], keep="last")


def expected_aggregates(ads: pd.DataFrame, daily: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """What the ad aggregates must be: every latest daily row up to `as_of`, summed per ad."""
    rows = daily[daily["date"] <= pd.Timestamp(as_of)].sort_values(["ad_id", "date"])
    named = rows[rows["campaign_objective"].fillna("") != ""]
    sums = rows.groupby("ad_id").agg(
        **{column: (column, "sum") for column in COUNTS + MONEY},
        first_date=("date", "min"),
        last_date=("date", "max"),
    )
    sums["campaign_objective"] = named.groupby("ad_id")["campaign_objective"].last()
    shown = ads[ads["created_at"].dt.date <= as_of].set_index("ad_id")[["brand_id"]].join(sums)
    shown[COUNTS + MONEY] = shown[COUNTS + MONEY].fillna(0.0).astype(float)
    shown["campaign_objective"] = shown["campaign_objective"].fillna("").astype(str)
    return shown.sort_index()


def expected_elements(ads: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    rows = [
        (ad_id, brand_id, name, str(value))
        for ad_id, brand_id, tags in ads[["ad_id", "brand_id", "element_tags"]].itertuples(index=False)
        for name, value in json.loads(tags).items()
        if str(value) != ""
    ]
    return sorted(rows)


def assert_derived_reads_match(store, ads: pd.DataFrame, daily: pd.DataFrame) -> None:
    for as_of in AS_OFS:
        got = store.ad_aggregates(None, as_of).set_index("ad_id")
        want = expected_aggregates(ads, daily, as_of)
        assert got.index.tolist() == want.index.tolist(), as_of
        assert got["brand_id"].tolist() == want["brand_id"].tolist()
        np.testing.assert_array_equal(got[COUNTS].to_numpy(), want[COUNTS].to_numpy())
        np.testing.assert_allclose(got[MONEY].to_numpy(), want[MONEY].to_numpy(), rtol=1e-12)
        for column in ("first_date", "last_date"):
            expected = want[column].astype("datetime64[ns]")
            pd.testing.assert_series_equal(got[column], expected, obj=f"{column} as of {as_of}")
        assert got["campaign_objective"].tolist() == want["campaign_objective"].tolist(), as_of
    elements = store.ad_elements(None)
    assert list(elements.itertuples(index=False, name=None)) == expected_elements(ads)


@pytest.mark.parametrize("seed", range(3))
def test_aggregates_and_elements_follow_every_import(store, seed):
    rng = np.random.default_rng(seed)
    brands = ["b1", "b2", "b3"]
    ad_ids = [f"ad-{i:02d}" for i in range(12)]
    ads = ads_batch(rng, ad_ids, brands)
    store.import_ads(ads)
    daily = pd.DataFrame()
    for batch in range(4):
        rows = performance_batch(rng, ad_ids[:10], 40)  # two ads never deliver
        if batch == 3:  # the latest day of every ad that has one loses its objective
            latest = pd.concat([daily, rows]).sort_values("date").groupby("ad_id").tail(1)
            rows = pd.concat([rows, latest.assign(campaign_objective=None)]).drop_duplicates(
                ["ad_id", "date"], keep="last"
            )
        store.import_performance(rows)
        daily = pd.concat([daily, rows]).drop_duplicates(["ad_id", "date"], keep="last")
        retagged = ads_batch(rng, list(rng.choice(ad_ids, 4, replace=False)), brands)
        store.import_ads(retagged)
        ads = pd.concat([ads, retagged]).drop_duplicates("ad_id", keep="last").sort_values("ad_id")
        assert_derived_reads_match(store, ads, daily)


# --- what imports through Genome store, on every backend ---------------------------------------------------
AD_FILE = (
    "ad_id,brand_id,created_at,final_status,is_imported,pre_gen_score,hook_type\n"
    "t1,b1,2024-12-30,approved,no,0.5,question\n"
)
DAY_HEADER = "ad_id,date,impressions,clicks,conversions,spend,revenue,campaign_objective\n"


def days_file(*rows: str) -> io.StringIO:
    return io.StringIO(DAY_HEADER + "".join(f"{row}\n" for row in rows))


def test_a_later_blank_day_never_turns_an_objective_into_default(store):
    g = Genome(store)
    g.import_ads(io.StringIO(AD_FILE))
    g.import_performance(
        days_file("t1,2025-01-01,600,12,1,5,10,OUTCOME_SALES", "t1,2025-01-02,600,12,1,5,10,")
    )
    g.import_performance(
        days_file("t1,2025-01-03,600,12,1,5,10,Website traffic", "t1,2025-01-04,600,12,1,5,10,")
    )
    g.import_performance(days_file("t1,2025-01-20,600,12,1,5,10,  "))  # a later file of blank days only
    objective_as_of = {
        as_of: store.ad_aggregates(None, as_of)["campaign_objective"].tolist()
        for as_of in (date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 10), date(2025, 2, 1))
    }  # backdated (before the last day) and current reads
    assert objective_as_of == {
        date(2025, 1, 2): ["OUTCOME_SALES"],
        date(2025, 1, 3): ["Website traffic"],
        date(2025, 1, 10): ["Website traffic"],
        date(2025, 2, 1): ["Website traffic"],
    }
    g.refresh(as_of=date(2025, 1, 12))  # backdated: the ad has a day after it
    reward = store.rewards(None).set_index("ad_id").loc["t1"]
    assert reward["campaign_objective"] == "Website traffic"  # kept as given, weighed as TRAFFIC
    assert reward[["ctr_weight", "conversion_weight", "roas_weight"]].tolist() == pytest.approx(
        [0.6, 0.2, 0.2]
    )


def test_conversions_above_clicks_are_stored_and_their_rate_is_clamped(store):
    g = Genome(store)
    g.import_ads(io.StringIO(AD_FILE))
    summary = g.import_performance(
        days_file("t1,2025-01-01,600,10,25,5,10,OUTCOME_LEADS", "t1,2025-01-02,600,10,3,5,10,")
    )
    assert (summary["inserted"], summary["conversions_above_clicks"], summary["objective_fallbacks"]) == (
        2,
        1,
        {},
    )
    assert store.ad_aggregates(None, date(2025, 2, 1))[["clicks", "conversions"]].values.tolist() == [
        [20, 28]
    ]
    g.refresh(as_of=date(2025, 2, 1))
    reward = store.rewards(None).set_index("ad_id").loc["t1"]
    assert reward["conversion_rate"] == pytest.approx(1.4)
    assert reward["conversion_score"] == 1.0 and 0.0 <= reward["reward_score"] <= 1.0


def test_values_whose_sums_could_overflow_are_refused_by_row_and_nothing_is_written(store):
    g = Genome(store)
    g.import_ads(io.StringIO(AD_FILE))
    with pytest.raises(ValidationError) as refused:
        g.import_performance(
            days_file("t1,2025-01-01,600,10,1,1e308,10,SALES", "t1,2025-01-02,600,10,1,1e308,10,SALES")
        )
    reason = "larger than 1,000,000,000,000,000, more than any ad has in a day"
    assert refused.value.problems == [Problem(1, "spend", reason), Problem(2, "spend", reason)]
    assert store.ad_aggregates(None, date(2025, 2, 1))["impressions"].tolist() == [0]
    at_the_bounds = [
        f"t1,2025-01-{day:02d},1000000000000,1000000000000,1000000000000,1e15,1e15,SALES"
        for day in range(1, 31)
    ]
    g.import_performance(days_file(*at_the_bounds))  # 30 days at the bounds sum exactly, on every backend
    totals = store.ad_aggregates(None, date(2025, 2, 1)).iloc[0]
    assert totals[COUNTS].tolist() == [30e12] * 3 and totals[MONEY].tolist() == [30e15] * 2
