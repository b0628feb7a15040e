"""genome.rewards: maturity windows, metrics, baselines, objective weights, clamping."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from genome.rewards import (
    BASELINE_COLUMNS,
    DEFAULT_BASELINES,
    OBJECTIVE_WEIGHTS,
    REWARD_COLUMNS,
    brand_baselines,
    compute_rewards,
    objective_weights,
)
from genome.settings import Settings

AS_OF = date(2024, 3, 31)
SETTINGS = Settings()


def ad(
    ad_id: str = "ad-1",
    brand_id: str = "brand-1",
    age_days: int | None = 30,
    impressions: float = 8000,
    clicks: float = 100,
    conversions: float = 3,
    spend: float = 10,
    revenue: float = 5,
    objective: str | None = "",
) -> dict:
    """One ad-aggregate row; the defaults score ctr 0.5, conversion 1.0, roas 0.0 on the default baselines."""
    first = None if age_days is None else pd.Timestamp(AS_OF - timedelta(days=age_days))
    return {
        "ad_id": ad_id,
        "brand_id": brand_id,
        "is_imported": False,
        "created_at": pd.Timestamp(AS_OF - timedelta(days=60)),
        "final_status": "approved",
        "pre_gen_score": np.nan,
        "impressions": float(impressions),
        "clicks": float(clicks),
        "conversions": float(conversions),
        "spend": float(spend),
        "revenue": float(revenue),
        "first_date": first,
        "last_date": None if first is None else pd.Timestamp(AS_OF),
        "campaign_objective": objective,
    }


def frame(*rows: dict) -> pd.DataFrame:
    ads = pd.DataFrame(list(rows))
    for column in ("created_at", "first_date", "last_date"):
        ads[column] = pd.to_datetime(ads[column]).astype("datetime64[ns]")
    return ads


def reward_of(row: dict, settings: Settings = SETTINGS) -> pd.Series:
    rewards = compute_rewards(frame(row), AS_OF, settings)
    assert len(rewards) == 1
    return rewards.iloc[0]


@pytest.mark.parametrize(
    ("objective", "weights"),
    [
        ("CONVERSIONS", (0.2, 0.5, 0.3)),
        ("SALES", (0.2, 0.3, 0.5)),
        ("TRAFFIC", (0.6, 0.2, 0.2)),
        ("AWARENESS", (0.7, 0.1, 0.2)),
        ("ENGAGEMENT", (0.5, 0.3, 0.2)),
        ("DEFAULT", (0.4, 0.3, 0.3)),
    ],
)
def test_objective_weights_are_the_reference_table(objective: str, weights: tuple) -> None:
    assert OBJECTIVE_WEIGHTS[objective] == weights


def test_objective_table_has_exactly_the_reference_objectives() -> None:
    assert set(OBJECTIVE_WEIGHTS) == {"CONVERSIONS", "SALES", "TRAFFIC", "AWARENESS", "ENGAGEMENT", "DEFAULT"}


@pytest.mark.parametrize(
    ("objective", "weights"),
    [
        ("conversions", (0.2, 0.5, 0.3)),
        (" Sales ", (0.2, 0.3, 0.5)),
        ("Traffic", (0.6, 0.2, 0.2)),
        ("LEAD_GENERATION", (0.2, 0.5, 0.3)),
        ("outcome_app_promotion", (0.2, 0.5, 0.3)),
        ("Website traffic", (0.6, 0.2, 0.2)),
        ("BRANDING", (0.4, 0.3, 0.3)),
        ("", (0.4, 0.3, 0.3)),
        (None, (0.4, 0.3, 0.3)),
    ],
)
def test_objective_lookup_is_case_insensitive_and_unknown_is_default(objective, weights) -> None:
    assert objective_weights(["AWARENESS", objective]).tolist() == [[0.7, 0.1, 0.2], list(weights)]


@pytest.mark.parametrize(
    ("objective", "expected"),
    [
        ("CONVERSIONS", 0.6),
        ("SALES", 0.4),
        ("TRAFFIC", 0.5),
        ("AWARENESS", 0.45),
        ("ENGAGEMENT", 0.55),
        ("", 0.5),
        ("unknown objective", 0.5),
    ],
)
def test_full_reward_is_the_weighted_sum_of_scores(objective: str, expected: float) -> None:
    reward = reward_of(ad(objective=objective))
    assert (reward["ctr_score"], reward["conversion_score"], reward["roas_score"]) == pytest.approx(
        (0.5, 1.0, 0.0)
    )
    assert reward["reward_score"] == pytest.approx(expected)
    assert reward["maturity"] == "full"


@pytest.mark.parametrize(
    ("age_days", "maturity", "weights", "expected"),
    [
        (5, "ctr", (1.0, 0.0, 0.0), 0.5),
        (7, "ctr+conversion", (0.2 / 0.7, 0.5 / 0.7, 0.0), 0.6 / 0.7),
        (10, "full", (0.2, 0.5, 0.3), 0.6),
    ],
)
def test_immature_components_are_left_out_and_weights_renormalised(
    age_days, maturity, weights, expected
) -> None:
    reward = reward_of(ad(age_days=age_days, objective="CONVERSIONS"))
    assert reward["maturity"] == maturity
    assert (reward["ctr_weight"], reward["conversion_weight"], reward["roas_weight"]) == pytest.approx(
        weights
    )
    assert reward["reward_score"] == pytest.approx(expected)


def test_conversions_at_day_five_give_the_ctr_score_and_nan_components() -> None:
    reward = reward_of(ad(age_days=5, objective="CONVERSIONS"))
    assert reward["reward_score"] == reward["ctr_score"] == pytest.approx(0.5)
    assert np.isnan(
        [reward["conversion_rate"], reward["conversion_score"], reward["roas"], reward["roas_score"]]
    ).all()


@pytest.mark.parametrize(
    ("age_days", "impressions", "maturity"),
    [
        (2, 8000, None),
        (3, 8000, "ctr"),
        (6, 8000, "ctr"),
        (7, 8000, "ctr+conversion"),
        (9, 8000, "ctr+conversion"),
        (10, 8000, "full"),
        (30, 499, None),
        (30, 500, "full"),
        (0, 8000, None),
    ],
)
def test_maturity_windows_at_their_boundaries(age_days: int, impressions: int, maturity: str | None) -> None:
    rewards = compute_rewards(frame(ad(age_days=age_days, impressions=impressions)), AS_OF, SETTINGS)
    assert rewards["maturity"].tolist() == ([] if maturity is None else [maturity])


def test_maturity_windows_come_from_settings() -> None:
    custom = replace(
        SETTINGS, ctr_maturity_days=1, conversion_maturity_days=2, roas_maturity_days=4, min_impressions=100
    )
    ads = frame(
        ad("a", age_days=1, impressions=100),
        ad("b", age_days=2, impressions=100),
        ad("c", age_days=4, impressions=100),
        ad("d", age_days=4, impressions=99),
    )
    rewards = compute_rewards(ads, AS_OF, custom)
    assert dict(zip(rewards["ad_id"], rewards["maturity"], strict=True)) == {
        "a": "ctr",
        "b": "ctr+conversion",
        "c": "full",
    }


def test_ads_without_delivery_get_no_reward() -> None:
    ads = frame(ad("a", age_days=None, impressions=0, clicks=0, conversions=0, spend=0, revenue=0))
    assert compute_rewards(ads, AS_OF, SETTINGS).empty


@pytest.mark.parametrize(
    ("clicks", "conversions", "spend", "revenue", "maturity", "weights", "expected"),
    [
        (0, 0, 10, 30, "ctr+roas", (4 / 7, 0.0, 3 / 7), 3 / 7),
        (100, 3, 0, 0, "ctr+conversion", (4 / 7, 3 / 7, 0.0), (0.4 * 0.5 + 0.3) / 0.7),
        (0, 0, 0, 0, "ctr", (1.0, 0.0, 0.0), 0.0),
    ],
)
def test_zero_clicks_or_spend_leave_their_component_out(
    clicks, conversions, spend, revenue, maturity, weights, expected
) -> None:
    reward = reward_of(ad(clicks=clicks, conversions=conversions, spend=spend, revenue=revenue))
    assert reward["maturity"] == maturity
    assert (reward["ctr_weight"], reward["conversion_weight"], reward["roas_weight"]) == pytest.approx(
        weights
    )
    assert reward["reward_score"] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("clicks", "conversions", "revenue", "scores"),
    [
        (4000, 4000, 1000, (1.0, 1.0, 1.0)),  # ctr 0.5, conversion rate 1, roas 100: all above p75
        (8, 0, 0, (0.0, 0.0, 0.0)),  # ctr 0.001, nothing converted or earned: all below p25
    ],
)
def test_scores_are_clamped_to_unit_interval(clicks, conversions, revenue, scores) -> None:
    reward = reward_of(ad(clicks=clicks, conversions=conversions, revenue=revenue))
    assert (reward["ctr_score"], reward["conversion_score"], reward["roas_score"]) == scores
    assert reward["reward_score"] == pytest.approx(scores[0])


def test_infinite_revenue_scores_one_and_nan_revenue_is_left_out() -> None:
    rewards = compute_rewards(
        frame(ad("inf", revenue=np.inf), ad("nan", revenue=np.nan), ad("nan-clicks", clicks=np.nan)),
        AS_OF,
        SETTINGS,
    ).set_index("ad_id")
    assert rewards.loc["inf", "roas_score"] == 1.0
    assert rewards.loc["nan", "maturity"] == "ctr+conversion"
    assert "nan-clicks" not in rewards.index
    assert np.isfinite(rewards["reward_score"]).all()


def test_matured_at_and_impressions_at_reward() -> None:
    reward = reward_of(ad(age_days=12, impressions=2500, clicks=30))
    assert reward["matured_at"] == pd.Timestamp(AS_OF - timedelta(days=9))
    assert reward["impressions_at_reward"] == 2500


def test_output_has_the_contract_columns_even_when_empty() -> None:
    assert tuple(compute_rewards(frame(ad(age_days=1)), AS_OF, SETTINGS).columns) == REWARD_COLUMNS
    assert tuple(compute_rewards(frame(ad()), AS_OF, SETTINGS).columns) == REWARD_COLUMNS


def test_missing_aggregate_column_is_refused() -> None:
    with pytest.raises(ValueError, match="revenue"):
        compute_rewards(frame(ad()).drop(columns="revenue"), AS_OF, SETTINGS)


def test_later_conversions_enter_a_recomputed_reward() -> None:
    """The reference froze the reward at day 3; here the same ad is rescored as data arrives."""
    early = reward_of(ad(age_days=3, conversions=0, revenue=0, objective="CONVERSIONS"))
    later = reward_of(ad(age_days=12, conversions=3, revenue=30, objective="CONVERSIONS"))
    assert (early["maturity"], early["reward_score"]) == ("ctr", pytest.approx(0.5))
    assert (later["maturity"], later["reward_score"]) == ("full", pytest.approx(0.1 + 0.5 + 0.3))


# --- baselines -------------------------------------------------------------------------------------


def brand_with_ctrs(count: int, age_days: int = 30, brand_id: str = "brand-1") -> list[dict]:
    """`count` ads with CTR k/1000 for k = 1..count."""
    return [
        ad(f"{brand_id}-{k}", brand_id, age_days, impressions=1000, clicks=k) for k in range(1, count + 1)
    ]


@pytest.mark.parametrize(
    ("ads", "expected_score"),
    [
        (19, (0.010 - 0.005) / (0.02 - 0.005)),  # default baseline
        (20, (10 - 5.75) / (15.25 - 5.75)),  # own p25 = 5.75/1000, p75 = 15.25/1000 (linear quantiles)
    ],
)
def test_brand_baseline_needs_twenty_matured_ads(ads: int, expected_score: float) -> None:
    rewards = compute_rewards(frame(*brand_with_ctrs(ads)), AS_OF, SETTINGS).set_index("ad_id")
    assert rewards.loc["brand-1-10", "ctr_score"] == pytest.approx(expected_score)


def test_brand_baselines_frame_per_metric() -> None:
    ads = frame(*brand_with_ctrs(20, age_days=5), *brand_with_ctrs(5, brand_id="brand-2"))
    rewards = compute_rewards(ads, AS_OF, SETTINGS)
    values = rewards[["brand_id", "ctr", "conversion_rate", "roas"]]
    baselines = brand_baselines(values, SETTINGS).set_index(["brand_id", "metric"])
    assert tuple(baselines.reset_index().columns) == BASELINE_COLUMNS
    assert baselines.loc[("brand-1", "ctr"), ["p25", "p75", "matured_values", "source"]].tolist() == [
        pytest.approx(0.00575),
        pytest.approx(0.01525),
        20,
        "brand",
    ]
    # at day 5 no conversion rate is mature: the default stays
    assert baselines.loc[
        ("brand-1", "conversion_rate"), ["p25", "p75", "matured_values", "source"]
    ].tolist() == [
        *DEFAULT_BASELINES["conversion_rate"],
        0,
        "default",
    ]
    assert baselines.loc[("brand-2", "ctr"), "source"] == "default"


def test_brand_without_spread_keeps_the_default_baseline() -> None:
    ads = frame(*[ad(f"a{k}", impressions=1000, clicks=10) for k in range(25)])
    rewards = compute_rewards(ads, AS_OF, SETTINGS)
    assert rewards["ctr_score"].tolist() == pytest.approx([1 / 3] * 25)


def test_baseline_minimum_comes_from_settings() -> None:
    rewards = compute_rewards(frame(*brand_with_ctrs(5)), AS_OF, replace(SETTINGS, baseline_min_ads=5))
    # own p25 = 2/1000, p75 = 4/1000
    assert rewards.set_index("ad_id").loc["brand-1-3", "ctr_score"] == pytest.approx(0.5)


# --- properties ------------------------------------------------------------------------------------

counts = st.one_of(st.just(0.0), st.floats(min_value=0, max_value=1e300), st.integers(0, 10**12).map(float))
ad_rows = st.builds(
    ad,
    brand_id=st.sampled_from(["brand-1", "brand-2"]),
    age_days=st.one_of(st.none(), st.integers(0, 40)),
    impressions=counts,
    clicks=counts,
    conversions=counts,
    spend=counts,
    revenue=counts,
    objective=st.sampled_from(["", "SALES", "conversions", "traffic", "bogus"]),
)


@hypothesis_settings(max_examples=100, deadline=None)
@given(rows=st.lists(ad_rows, min_size=1, max_size=30))
def test_rewards_are_always_finite_and_in_unit_interval(rows: list[dict]) -> None:
    rows = [{**row, "ad_id": f"ad-{i}"} for i, row in enumerate(rows)]
    rewards = compute_rewards(frame(*rows), AS_OF, replace(SETTINGS, baseline_min_ads=2))
    scores = rewards["reward_score"].to_numpy()
    assert np.isfinite(scores).all()
    assert ((scores >= 0) & (scores <= 1)).all()
    weights = rewards[["ctr_weight", "conversion_weight", "roas_weight"]].to_numpy()
    assert weights.sum(axis=1) == pytest.approx(np.ones(len(rewards)))


@hypothesis_settings(max_examples=100, deadline=None)
@given(
    impressions=st.integers(500, 10**9),
    clicks=st.lists(st.integers(0, 10**9), min_size=2, max_size=2),
    age_days=st.integers(3, 6),
)
def test_reward_is_monotone_in_clicks_at_fixed_impressions(
    impressions: int, clicks: list[int], age_days: int
) -> None:
    fewer, more = sorted(clicks)
    ads = frame(
        ad("fewer", age_days=age_days, impressions=impressions, clicks=fewer),
        ad("more", age_days=age_days, impressions=impressions, clicks=more),
    )
    rewards = compute_rewards(ads, AS_OF, SETTINGS).set_index("ad_id")
    assert rewards["maturity"].tolist() == ["ctr", "ctr"]
    assert rewards.loc["fewer", "reward_score"] <= rewards.loc["more", "reward_score"]
