"""The demo workspace: deterministic per seed, valid import data, every cold-start level, and the health
problems (low approval, failed generations, stale data) that make alerts fire."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from genome import monitoring, rewards
from genome.coldstart import cold_start_level
from genome.demo import DEMO_BRANDS, ELEMENT_TAXONOMY, IMPORTED_ELEMENTS, build_demo
from genome.settings import DEFAULT_TRACKED_ELEMENTS, Settings
from genome.validation import validate_ads, validate_performance

AS_OF = date(2025, 3, 1)
SEEDS = (1, 7, 42)
LARGE, MEDIUM, EMPTY, SMALL, STALE = (b.id for b in DEMO_BRANDS)
MATURED_DAYS, MATURED_IMPRESSIONS = 3, 500  # the CTR maturity defaults: a proxy for matured ads


@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed{seed}")
def workspace(request):
    return build_demo(seed=request.param, as_of=AS_OF)


def _matured_ads(workspace) -> pd.Series:
    """Ads with at least 3 days and 500 impressions, per brand (every brand, 0 when none)."""
    per_ad = workspace.performance.groupby("ad_id").agg(
        days=("date", "nunique"), impressions=("impressions", "sum")
    )
    matured = per_ad[(per_ad["days"] >= MATURED_DAYS) & (per_ad["impressions"] >= MATURED_IMPRESSIONS)]
    brand_of = workspace.ads.set_index("ad_id")["brand_id"]
    return brand_of[matured.index].value_counts().reindex(workspace.brands["id"], fill_value=0)


def _ad_aggregates(workspace) -> pd.DataFrame:
    """The ad-aggregates frame the store builds in SQL, built here with pandas."""
    daily = workspace.performance
    totals = daily.groupby("ad_id").agg(
        impressions=("impressions", "sum"),
        clicks=("clicks", "sum"),
        conversions=("conversions", "sum"),
        spend=("spend", "sum"),
        revenue=("revenue", "sum"),
        first_date=("date", "min"),
        last_date=("date", "max"),
        campaign_objective=("campaign_objective", "first"),
    )
    ads = workspace.ads.drop(columns="element_tags").merge(
        totals, left_on="ad_id", right_index=True, how="left"
    )
    counts = ["impressions", "clicks", "conversions", "spend", "revenue"]
    return ads.fillna({**dict.fromkeys(counts, 0.0), "campaign_objective": ""}).astype(
        dict.fromkeys(counts, float)
    )


def test_same_seed_same_workspace():
    first, second = build_demo(seed=7, as_of=AS_OF), build_demo(seed=7, as_of=AS_OF)
    for name in ("brands", "ads", "performance", "truth"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))


def test_different_seed_different_workspace():
    first, second = build_demo(seed=7, as_of=AS_OF), build_demo(seed=8, as_of=AS_OF)
    assert not first.ads["element_tags"].equals(second.ads["element_tags"])
    assert not first.truth["ctr_effect"].equals(second.truth["ctr_effect"])


def test_frames_pass_validation_unchanged(workspace):
    ads = validate_ads(workspace.ads, today=AS_OF)
    performance = validate_performance(workspace.performance, known_ad_ids=set(ads["ad_id"]), today=AS_OF)
    pd.testing.assert_frame_equal(ads, workspace.ads)
    pd.testing.assert_frame_equal(performance, workspace.performance)


def test_brands_span_two_organizations():
    brands = build_demo(seed=7, as_of=AS_OF).brands
    assert list(brands.columns) == ["id", "name", "organization_id", "cross_brand_sharing"]
    assert brands.groupby("organization_id").size().tolist() == [2, 3]
    assert brands["cross_brand_sharing"].any() and not brands["cross_brand_sharing"].all()


def test_every_cold_start_level(workspace):
    matured = _matured_ads(workspace)
    assert matured[EMPTY] == 0
    assert 0 < matured[SMALL] < 30
    assert 30 <= matured[MEDIUM] < 100
    assert 100 <= matured[LARGE] < 1000
    assert set(cold_start_level(matured.to_numpy())) == {0, 1, 2, 3}


def test_only_the_stale_brand_stops_delivering_early(workspace):
    last_day = (
        workspace.performance.merge(workspace.ads[["ad_id", "brand_id"]]).groupby("brand_id")["date"].max()
    )
    assert last_day[STALE] < pd.Timestamp(AS_OF - timedelta(days=30))
    assert (last_day.drop(STALE) == pd.Timestamp(AS_OF - timedelta(days=1))).all()


def test_ads_were_created_over_the_last_ninety_or_so_days(workspace):
    created = workspace.ads["created_at"]
    assert created.min() >= pd.Timestamp(AS_OF - timedelta(days=95))
    assert created.max() < pd.Timestamp(AS_OF)


def test_only_native_ads_have_a_pre_gen_score(workspace):
    ads = workspace.ads
    assert ads.loc[ads["is_imported"], "pre_gen_score"].isna().all()
    assert ads.loc[~ads["is_imported"], "pre_gen_score"].between(0, 1).all()


def test_elements_come_from_the_taxonomy(workspace):
    tags = pd.DataFrame([json.loads(text) for text in workspace.ads["element_tags"]])
    for name, values in ELEMENT_TAXONOMY.items():
        assert set(tags[name].dropna()) <= set(values)
    imported = workspace.ads["is_imported"].to_numpy()
    assert set(tags.loc[imported].columns[tags.loc[imported].notna().any()]) == set(IMPORTED_ELEMENTS)
    assert tags.loc[~imported].notna().all().all()


def test_taxonomy_names_the_tracked_elements():
    assert tuple(ELEMENT_TAXONOMY) == DEFAULT_TRACKED_ELEMENTS


def test_truth_covers_every_brand_and_value(workspace):
    truth = workspace.truth
    expected = len(DEMO_BRANDS) * sum(len(values) for values in ELEMENT_TAXONOMY.values())
    assert len(truth) == expected
    assert not truth.duplicated(["brand_id", "element_name", "element_value"]).any()


def test_only_approved_ads_deliver(workspace):
    delivered = workspace.ads[workspace.ads["ad_id"].isin(workspace.performance["ad_id"])]
    assert set(delivered["final_status"]) == {"approved"}


def test_performance_follows_the_ground_truth(workspace):
    """An ad's summed true CTR effects rank its realised CTR (the large brand, where data is plentiful)."""
    ads = workspace.ads[workspace.ads["brand_id"] == LARGE]
    tags = pd.DataFrame([json.loads(text) for text in ads["element_tags"]], index=ads["ad_id"])
    long = tags.stack().rename("element_value").rename_axis(["ad_id", "element_name"]).reset_index()
    truth = workspace.truth[workspace.truth["brand_id"] == LARGE]
    effect = long.merge(truth, on=["element_name", "element_value"]).groupby("ad_id")["ctr_effect"].sum()
    totals = workspace.performance.groupby("ad_id")[["clicks", "impressions"]].sum()
    ctr = (totals["clicks"] / totals["impressions"]).reindex(effect.index).dropna()
    assert spearmanr(effect[ctr.index], ctr).statistic > 0.3


def test_health_metrics_breach_where_alerts_should_fire(workspace):
    settings = Settings()
    ads = _ad_aggregates(workspace)
    metrics = monitoring.health_metrics(ads, rewards.compute_rewards(ads, AS_OF, settings), AS_OF, settings)
    value = metrics.set_index(["brand_id", "metric_name"])["metric_value"]
    thresholds = settings.alert_thresholds
    assert value[SMALL, "approval_rate"] < thresholds["approval_rate"].warning
    assert value[SMALL, "generation_success_rate"] < thresholds["generation_success_rate"].warning
    assert value[STALE, "data_freshness_days"] > thresholds["data_freshness_days"].critical
    healthy = value.drop(index=[SMALL, STALE], level="brand_id")
    assert (healthy.xs("approval_rate", level="metric_name") > thresholds["approval_rate"].warning).all()
    assert (
        healthy.xs("data_freshness_days", level="metric_name") <= thresholds["data_freshness_days"].warning
    ).all()
    assert np.isfinite(value[LARGE, "prediction_accuracy"])
