"""Trustworthy numbers on the paths real users take: cold and unknown brands, the consent boundary,
own evidence over borrowed evidence, and the approval rate of the context.

Storage-backed tests run on every backend (`store_url`: SQLite and the throwaway Postgres server).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

import genome
from genome import coldstart, context, posteriors, priors, sampling
from genome.errors import GenomeError
from genome.settings import Settings, SettingsError

AS_OF = date(2026, 10, 20)
FIRST_DAY = date(2026, 10, 1)
SECRET_HOOK = "secret_hook"  # a hook only the non-sharing brand has
SECRET_SIZE = "secret_size"  # a canvas size only the non-sharing brand has (a dimension others lack)


def ads_rows(brand_id: str, count: int, tags: list[dict], created: date = FIRST_DAY, **columns) -> list[dict]:
    return [
        {
            "ad_id": f"{brand_id}-{index}",
            "brand_id": brand_id,
            "created_at": columns.get("created_at", created).isoformat(),
            "final_status": columns.get("final_status", "approved"),
            "is_imported": columns.get("is_imported", False),
            "pre_gen_score": 0.5,
            "element_tags": json.dumps(tags[index % len(tags)]),
        }
        for index in range(count)
    ]


def performance_rows(ad_ids: list[str], clicks: int) -> pd.DataFrame:
    """Five days of 200 impressions from FIRST_DAY: mature by AS_OF."""
    return pd.DataFrame(
        [
            {
                "ad_id": ad_id,
                "date": (FIRST_DAY + timedelta(days=day)).isoformat(),
                "impressions": 200,
                "clicks": clicks,
                "conversions": 0,
                "spend": 2.0,
                "revenue": 0.0,
                "campaign_objective": "TRAFFIC",
            }
            for ad_id in ad_ids
            for day in range(5)
        ]
    )


@pytest.fixture
def workspace(store_url: str) -> Iterator[genome.Genome]:
    """sharer (shares, scored), private (does not share, scored, holds the secret values) and fresh
    (ads imported after the refresh: no scores)."""
    g = genome.open(store_url, config={})
    g.store.save_brands(
        pd.DataFrame(
            {
                "id": ["sharer", "private", "fresh"],
                "name": ["Sharer", "Private", "Fresh"],
                "organization_id": ["org-1", "org-1", "org-1"],
                "cross_brand_sharing": [True, False, False],
                "created_at": [datetime(2026, 9, 1, tzinfo=UTC)] * 3,
            }
        )
    )
    sharer = ads_rows("sharer", 20, [{"hook_type": "question", "color_mode": "dark"}, {"hook_type": "story"}])
    private = ads_rows(
        "private", 20, [{"hook_type": SECRET_HOOK, "canvas_size": SECRET_SIZE}, {"hook_type": "question"}]
    )
    g.import_ads(pd.DataFrame(sharer + private))
    g.import_performance(performance_rows([row["ad_id"] for row in sharer + private], clicks=4))
    g.refresh(as_of=AS_OF)
    g.import_ads(pd.DataFrame(ads_rows("fresh", 4, [{"hook_type": "own_hook", "color_mode": "light"}])))
    yield g
    g.close()


def everything_shown(g: genome.Genome, brand_id: str, seeds: range) -> str:
    """Every text and value a generator or page can see for a brand, as one string."""
    parts = [json.dumps(g.recommend(brand_id, seed=seed)) for seed in seeds]
    parts += [g.performance_context(brand_id, seed=seed).to_prompt() for seed in seeds[:3]]
    parts += [json.dumps(g.performance_context(brand_id, seed=0).to_dict())]
    if brand_id in set(g.brands()["id"]):
        parts += [g.posteriors(brand_id).to_csv(), g.priors(brand_id).to_csv()]
    return "\n".join(parts)


# --- item 2: a brand with no scores yet, and a brand never seen -----------------------------------------
def test_a_brand_with_ads_but_no_scores_answers_at_level_0_from_what_it_may_borrow(workspace):
    recommendation = workspace.recommend("fresh", seed=3)
    assert set(recommendation) == {"hook_type", "color_mode"}  # the dimensions it and sharers have
    assert recommendation["hook_type"] in {"question", "story", "own_hook"}
    result = workspace.performance_context("fresh", seed=3)
    assert (result.cold_start_level, result.total_matured_ads, result.evidence) == (0, 0, "borrowed")
    assert result.top_performing_elements == {}
    assert "question" in [top.element_value for top in result.borrowed_elements["hook_type"]]
    assert context.BORROWED_NOTE in result.optimization_notes
    assert "evidence: borrowed" in result.to_prompt()
    score = workspace.pre_gen_score("fresh", {"hook_type": "question", "color_mode": "light"})
    assert score.evidence == "borrowed"
    assert [item.evidence for item in score.breakdown] == ["borrowed", "none"]


def test_an_unscored_brands_own_values_take_part_with_the_uniform_prior(workspace):
    view = workspace.posteriors("fresh").set_index(["element_name", "element_value"])
    assert view.loc[("hook_type", "own_hook"), ["alpha", "beta", "evidence"]].tolist() == [1.0, 1.0, "none"]
    assert view.loc[("hook_type", "question"), "evidence"] == "borrowed"
    assert set(view["label"]) == {"Learning"}


@pytest.mark.parametrize("brand_id", ["never-seen", "fresh"])
def test_recommend_score_and_context_never_fail_for_a_brand_without_scores(workspace, brand_id):
    for seed in range(20):
        assert workspace.recommend(brand_id, seed=seed)
    assert 0 <= workspace.pre_gen_score(brand_id, {"hook_type": "story"}).score <= 1
    assert workspace.performance_context(brand_id, seed=1).cold_start_level == 0


def test_a_brand_never_seen_borrows_by_the_network_rule_and_says_so(workspace):
    result = workspace.performance_context("never-seen", seed=4)
    assert (result.cold_start_level, result.exploration_rate, result.evidence) == (0, 0.30, "borrowed")
    assert result.recommended_elements == workspace.recommend("never-seen", seed=4)
    assert (
        workspace.pre_gen_score("never-seen", {"hook_type": "question"}).breakdown[0].evidence == "borrowed"
    )
    assert "never-seen" not in set(workspace.brands()["id"])  # reading writes nothing


def test_a_brand_never_seen_with_no_sharing_brand_gets_an_empty_uniform_answer(sqlite_url):
    g = genome.open(sqlite_url, config={})
    try:
        assert g.recommend("nobody-yet", seed=1) == {}
        result = g.performance_context("nobody-yet", seed=1)
        assert (result.cold_start_level, result.evidence) == (0, "none")
        assert context.NO_EVIDENCE_NOTE in result.optimization_notes
        assert g.pre_gen_score("nobody-yet", {"hook_type": "question"}).score == 0.5
    finally:
        g.close()


@pytest.mark.parametrize("brand_id", ["", "   ", 7, None])
def test_the_brand_id_of_a_level_0_answer_is_still_validated(sqlite_url, brand_id):
    g = genome.open(sqlite_url, config={})
    try:
        with pytest.raises(GenomeError, match=r"brand id (is required|must be text)"):
            g.recommend(brand_id)
        with pytest.raises(GenomeError, match=r"brand id (is required|must be text)"):
            g.performance_context(brand_id)
    finally:
        g.close()


def test_unscored_candidates_no_longer_index_into_empty_scores():
    empty = pd.DataFrame(columns=list(posteriors.SCORE_COLUMNS))
    result = sampling.recommend(empty, 0.0, 1, candidates={"hook_type": ["question", "story"]})
    assert result.elements["hook_type"] in {"question", "story"}


# --- item 3: the consent boundary ------------------------------------------------------------------------
@pytest.mark.parametrize("brand_id", ["sharer", "fresh", "never-seen"])
def test_values_only_non_sharing_brands_have_never_reach_another_brand(workspace, brand_id):
    shown = everything_shown(workspace, brand_id, range(40))
    assert SECRET_HOOK not in shown
    assert SECRET_SIZE not in shown


@pytest.mark.parametrize("brand_id", ["sharer", "private", "fresh", "never-seen"])
@pytest.mark.parametrize("seed", [0, 1, 17, 2**40])
def test_recommend_and_the_contexts_recommendation_are_the_same_configuration(workspace, brand_id, seed):
    assert workspace.recommend(brand_id, seed=seed) == (
        workspace.performance_context(brand_id, seed=seed).recommended_elements
    )


def test_a_non_sharing_brand_still_sees_its_own_values(workspace):
    assert SECRET_HOOK in set(workspace.posteriors("private")["element_value"])


# --- item 4: own evidence outweighs borrowed evidence ------------------------------------------------------
BIG_AND_TARGET = pd.DataFrame(
    [
        ("big", "hook_type", "loved", 950.0, 50.0, 1000),
        ("big", "hook_type", "plain", 500.0, 500.0, 1000),
        ("target", "hook_type", "loved", 0.0, 120.0, 120),  # 120 own ads at reward 0
        ("target", "hook_type", "plain", 60.0, 60.0, 120),
    ],
    columns=list(posteriors.EVIDENCE_COLUMNS),
)
BRANDS = pd.DataFrame(
    {
        "id": ["big", "target"],
        "name": ["Big", "Target"],
        "organization_id": [None, None],
        "cross_brand_sharing": [True, True],
    }
)


def target_view(settings: Settings) -> pd.DataFrame:
    borrowed = priors.cold_start_priors(BIG_AND_TARGET, BRANDS, settings, brand_ids=["target"])
    own = BIG_AND_TARGET[BIG_AND_TARGET["brand_id"] == "target"]
    scores = posteriors.posterior_scores(own, borrowed)
    return sampling.describe_posteriors(scores, settings).set_index("element_value")


@pytest.mark.parametrize(("cap", "label"), [(0.0, "Best"), (10.0, "Low"), (50.0, "Low")])
def test_a_value_a_big_brand_loved_is_not_best_after_120_own_ads_at_reward_0(cap, label):
    view = target_view(replace(Settings(), prior_max_weight=cap))
    assert view.loc["loved", "label"] == label  # uncapped (0) the borrowed prior still wins: the old bug
    assert view.loc["loved", "evidence"] == "own"


def test_the_default_cap_is_the_simulated_choice():
    assert Settings().prior_max_weight == 10.0
    assert Settings.load({"GENOME_PRIOR_MAX_WEIGHT": "0"}).prior_max_weight == 0.0


@pytest.mark.parametrize("cap", [1.0, 5.0, 10.0, 300.0])
def test_the_cap_scales_a_borrowed_prior_keeping_its_mean(cap):
    settings = replace(Settings(), prior_max_weight=cap)
    pooled_alpha, pooled_beta = np.array([951.0, 1.5, 40.0]), np.array([51.0, 1.5, 3.0])
    uncapped = priors.borrowed_prior(pooled_alpha, pooled_beta, replace(settings, prior_max_weight=0.0))
    alpha, beta = priors.borrowed_prior(pooled_alpha, pooled_beta, settings)
    np.testing.assert_allclose(alpha + beta, np.minimum(uncapped[0] + uncapped[1], cap))
    np.testing.assert_allclose(alpha / (alpha + beta), uncapped[0] / (uncapped[0] + uncapped[1]))


def test_refresh_stores_capped_priors(workspace):
    borrowed = workspace.priors("private").query("prior_source != 'uniform'")
    assert not borrowed.empty
    assert ((borrowed["prior_alpha"] + borrowed["prior_beta"]) <= 10.0 + 1e-9).all()


BORROWED_STAR = pd.DataFrame(
    {
        "brand_id": "b",
        "element_name": "hook_type",
        "element_value": ["borrowed_star", "own_value", "other_own"],
        "alpha": [9.0, 30.0, 10.0],
        "beta": [1.0, 10.0, 30.0],
        "prior_alpha": [9.0, 1.0, 1.0],
        "prior_beta": [1.0, 1.0, 1.0],
        "prior_source": ["network", "uniform", "uniform"],
        "total_observations": [0, 38, 38],
        "mean_reward": [0.9, 0.75, 0.25],
    }
)


@pytest.mark.parametrize("min_observations", [0.0, 5.0])
def test_a_value_without_own_ads_is_never_best_top_or_a_strong_signal(min_observations):
    settings = replace(Settings(), label_min_observations=min_observations)
    view = sampling.describe_posteriors(BORROWED_STAR, settings).set_index("element_value")
    assert (view.loc["borrowed_star", "label"], view.loc["borrowed_star", "evidence"]) == (
        "Learning",
        "borrowed",
    )
    result = context.build_context("b", BORROWED_STAR, 76, 0.5, settings, seed=1)
    assert [top.element_value for top in result.top_performing_elements["hook_type"]] == [
        "own_value",
        "other_own",
    ]
    assert [top.element_value for top in result.borrowed_elements["hook_type"]] == ["borrowed_star"]
    assert [note for note in result.optimization_notes if "Strong signal" in note] == [
        context.STRONG_SIGNAL_NOTE.format(
            element="hook_type", value="own_value", mean=0.75, low=view.loc["own_value", "ci_low"],
            high=view.loc["own_value", "ci_high"], ads="38 ads",
        )
    ]  # fmt: skip
    assert "Borrowed, not this brand's results" in result.to_prompt()


EXPLORATION = {
    "GENOME_EXPLORATION_START": "0.5",
    "GENOME_EXPLORATION_FLOOR": "0.1",
    "GENOME_EXPLORATION_SCALE_ADS": "10",
}


def test_exploration_settings_reach_every_caller(workspace):
    g = genome.Genome(workspace.store, Settings.load(EXPLORATION))
    expected_private = max(0.1, 0.5 * np.exp(-20 / 10))  # private has 20 matured ads
    assert g.cold_start("private").exploration_rate == pytest.approx(expected_private)
    assert g.cold_start("fresh").exploration_rate == pytest.approx(0.5)
    assert g.recommendation("private", seed=1).exploration_rate == pytest.approx(expected_private)
    assert g.performance_context("never-seen", seed=1).exploration_rate == pytest.approx(0.5)
    overview = g.overview().set_index("brand_id")["exploration_rate"]
    assert overview.to_dict() == pytest.approx(
        {"fresh": 0.5, "private": expected_private, "sharer": expected_private}
    )


def test_exploration_rate_keeps_its_public_signature_and_takes_the_parameters():
    assert coldstart.exploration_rate(0) == pytest.approx(0.30)
    assert coldstart.exploration_rate(1000, floor=0.0) == pytest.approx(0.30 * np.exp(-10))
    assert coldstart.exploration_rate(50, start=0.6, scale=50) == pytest.approx(0.6 * np.exp(-1))


@pytest.mark.parametrize(
    ("mapping", "match"),
    [
        ({"GENOME_EXPLORATION_FLOOR": "0.4"}, "cannot be above"),
        ({"GENOME_EXPLORATION_START": "1.5"}, "at most 1"),
        ({"GENOME_EXPLORATION_SCALE_ADS": "0"}, "at least 1"),
        ({"GENOME_PRIOR_MAX_WEIGHT": "-1"}, "at least 0"),
    ],
)
def test_bad_exploration_and_cap_settings_are_refused(mapping, match):
    with pytest.raises(SettingsError, match=match):
        Settings.load(mapping)


# --- item 10: the context's approval rate is the health metric's ------------------------------------------
def test_the_contexts_approval_rate_counts_native_ads_of_the_health_window_only(store_url):
    today = datetime.now(UTC).date()
    inside, edge, outside = today - timedelta(days=3), today - timedelta(days=29), today - timedelta(days=30)
    rows = (
        ads_rows("b", 7, [{"hook_type": "q"}], created=inside)
        + [{**row, "ad_id": f"edge-{i}"} for i, row in enumerate(ads_rows("b", 1, [{"hook_type": "q"}], created=edge))]
        + [{**row, "ad_id": f"no-{i}"} for i, row in enumerate(ads_rows("b", 2, [{"hook_type": "q"}], created=inside, final_status="rejected"))]
        + [{**row, "ad_id": f"old-{i}"} for i, row in enumerate(ads_rows("b", 9, [{"hook_type": "q"}], created=outside, final_status="rejected"))]
        + [{**row, "ad_id": f"imp-{i}"} for i, row in enumerate(ads_rows("b", 9, [{"hook_type": "q"}], created=inside, final_status="rejected", is_imported=True))]
    )  # fmt: skip
    g = genome.open(store_url, config={})
    try:
        g.import_ads(pd.DataFrame(rows))
        result = g.performance_context("b", seed=1)
        assert result.historical_approval_rate == pytest.approx(8 / 10)
        assert "Historical approval rate (last 30 days, generated ads): 80%." in result.to_prompt()
        window = (today - timedelta(days=29), today)
        assert g.store.brand_stats("b", window) == {"matured_ads": 0, "approved": 8, "rejected": 2}
        assert g.store.brand_stats("b", (outside, outside)) == {
            "matured_ads": 0,
            "approved": 0,
            "rejected": 9,
        }
    finally:
        g.close()


@pytest.mark.parametrize(
    ("approved", "rejected", "expected"), [(8, 2, 0.8), (5, 4, None), (0, 0, None), (0, 10, 0.0)]
)
def test_the_approval_rate_needs_the_health_metrics_minimum_sample(approved, rejected, expected):
    assert context.approval_rate(approved, rejected, Settings()) == expected


def test_one_matured_ad_and_one_own_ad_are_singular():
    scores = BORROWED_STAR.assign(total_observations=[0, 1, 2])
    result = context.build_context(
        "b", scores, 1, None, replace(Settings(), label_min_observations=1), seed=2
    )
    prompt = result.to_prompt()
    assert "Data: 1 matured ad; cold-start level 1 of 3" in prompt
    assert "0.75 (" in prompt and ", 1 ad, " in prompt and ", 2 ads, " in prompt
    assert "1 ads" not in prompt and "1 matured ads" not in prompt
    assert context.count_text(1, "day") == "1 day" and context.count_text(30, "day") == "30 days"
