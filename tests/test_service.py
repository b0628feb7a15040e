"""The Genome facade end to end on the demo workspace, with the same expectations on every backend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import numpy as np
import pytest

import genome
from genome.demo import build_demo
from genome.sampling import POSTERIOR_COLUMNS
from tests.conftest import BACKENDS, _admin, database_url

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[genome.Genome]:
    """One demo workspace per backend, shared by the read-only tests of this module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'genome.db'}"
        drop = None
    else:
        server = request.getfixturevalue("postgres_url")
        name = f"genome_demo_{uuid.uuid4().hex[:8]}"
        _admin(server, f'create database "{name}" template "{request.getfixturevalue("postgres_template")}"')
        url, drop = database_url(server, name), name
    g = genome.open(url, config={})
    g.load_demo(seed=7, as_of=AS_OF)
    yield g
    g.close()
    if drop:
        _admin(request.getfixturevalue("postgres_url"), f'drop database "{drop}" with (force)')


def test_overview_spans_every_cold_start_level(demo):
    overview = demo.overview().set_index("brand_id")
    assert sorted(overview["cold_start_level"]) == [0, 1, 2, 2, 3]
    assert overview.loc["ember-kitchen", "matured_ads"] == 0
    assert overview.loc["ember-kitchen", "exploration_rate"] == pytest.approx(0.30)
    assert overview["last_refresh"].notna().all()


def test_posteriors_are_well_formed(demo):
    view = demo.posteriors("aurora-skincare")
    assert list(view.columns)[: len(POSTERIOR_COLUMNS)] == list(POSTERIOR_COLUMNS)
    assert set(view["element_name"]) == set(demo.settings.tracked_elements)
    assert ((view["ci_low"] <= view["mean"]) & (view["mean"] <= view["ci_high"])).all()
    assert view.groupby("element_name")["p_best"].sum().to_numpy() == pytest.approx(1.0, abs=1e-9)


def test_large_brand_finds_the_true_best_hook(demo):
    """The demo's ground truth is known: the learned leader should be among the true top two
    (reward mixes CTR and conversion, so the truth is ranked by the sum of both logit effects)."""
    truth = build_demo(seed=7, as_of=AS_OF).truth
    hooks = truth[(truth["brand_id"] == "aurora-skincare") & (truth["element_name"] == "hook_type")]
    hooks = hooks.assign(effect=hooks["ctr_effect"] + hooks["conversion_effect"])
    true_top_two = set(hooks.nlargest(2, "effect")["element_value"])
    view = demo.posteriors("aurora-skincare")
    learned = view[view["element_name"] == "hook_type"].iloc[0]["element_value"]
    assert learned in true_top_two


def test_brand_without_ads_borrows_priors_from_its_organization(demo):
    priors = demo.priors("ember-kitchen")
    assert len(priors) > 0
    assert set(priors["prior_source"]) <= {"organization", "network"}
    assert (priors["total_observations"] == 0).all()
    assert ((priors["prior_alpha"] >= 0.5) & (priors["prior_beta"] >= 0.5)).all()


def test_recommend_is_reproducible_for_a_seed_and_covers_every_dimension(demo):
    first = demo.recommend("bolt-athletics", seed=11)
    assert first == demo.recommend("bolt-athletics", seed=11)
    assert set(first) == set(demo.settings.tracked_elements)
    draws = {tuple(sorted(demo.recommend("bolt-athletics", seed=s).items())) for s in range(20)}
    assert len(draws) > 1  # different seeds explore different configurations


def test_recommend_for_a_brand_without_data_draws_every_dimension(demo):
    assert set(demo.recommend("ember-kitchen", seed=1)) == set(demo.settings.tracked_elements)


def test_pre_gen_score_averages_known_posterior_means(demo):
    view = demo.posteriors("aurora-skincare").set_index(["element_name", "element_value"])
    tags = {"hook_type": "question", "color_mode": "pastel", "not_tracked": "x"}
    result = demo.pre_gen_score("aurora-skincare", tags)
    expected = np.mean(
        [view.loc[("hook_type", "question"), "mean"], view.loc[("color_mode", "pastel"), "mean"]]
    )
    assert result.score == pytest.approx(expected)
    assert result.known_elements == 2


def test_context_is_deterministic_for_a_seed(demo):
    first = demo.performance_context("cedar-home", seed=5)
    assert first.to_dict() == demo.performance_context("cedar-home", seed=5).to_dict()
    assert first.to_prompt() == demo.performance_context("cedar-home", seed=5).to_prompt()
    assert "approval" in first.to_prompt().lower()


def test_brand_stats_agree_with_the_overview_on_matured_ads(demo):
    overview = demo.overview().set_index("brand_id")["matured_ads"]
    window = (date(2000, 1, 1), date(2199, 12, 31))
    assert {brand: demo.store.brand_stats(brand, window)["matured_ads"] for brand in overview.index} == (
        overview.to_dict()
    )
    assert demo.store.brand_stats("nobody", window) is None


def test_cold_start_matches_overview(demo):
    state = demo.cold_start("bolt-athletics")
    row = demo.overview().set_index("brand_id").loc["bolt-athletics"]
    assert (state.level, state.matured_ads) == (row["cold_start_level"], row["matured_ads"])


def test_demo_fires_the_alerts_it_was_built_to_fire(demo):
    unresolved = demo.alerts("unresolved")
    fired = set(zip(unresolved["brand_id"], unresolved["alert_type"], strict=True))
    assert ("dune-outdoor", "data_freshness_days") in fired
    assert ("cedar-home", "approval_rate") in fired


def test_second_refresh_changes_nothing(demo):
    before = demo.posteriors("aurora-skincare")
    summary = demo.refresh(as_of=AS_OF)
    assert summary["rewards_new"] == summary["rewards_updated"] == summary["rewards_removed"] == 0
    assert demo.posteriors("aurora-skincare").equals(before)


def test_the_service_passes_its_settings_so_an_unchanged_refresh_is_skipped(demo):
    demo.refresh(as_of=AS_OF)
    again = demo.refresh(as_of=AS_OF)
    assert again["skipped"] is True


def test_score_history_has_one_snapshot_per_weekly_refresh(demo):
    history = demo.score_history("aurora-skincare")
    assert history["as_of"].nunique() == 5


def test_acknowledge_then_resolve(store_url):
    g = genome.open(store_url, config={})
    g.load_demo(seed=7, as_of=AS_OF)
    alert_id = int(g.alerts("open").iloc[0]["id"])
    acknowledged = g.acknowledge(alert_id, by="Ada", note="looking into it")
    assert (acknowledged["status"], acknowledged["acknowledged_by"], acknowledged["ack_note"]) == (
        "acknowledged",
        "Ada",
        "looking into it",
    )
    resolved = g.resolve(alert_id, by="Ada", note="fixed the feed")
    assert (resolved["status"], resolved["resolved_by"], resolved["resolution_note"]) == (
        "resolved",
        "Ada",
        "fixed the feed",
    )
    assert alert_id not in set(g.alerts("unresolved")["id"])
    g.close()
