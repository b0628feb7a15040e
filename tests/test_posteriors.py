"""genome.posteriors: weighted evidence (fractional / binary, imported weight, decay) and Beta posteriors."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from genome.posteriors import (
    EVIDENCE_COLUMNS,
    SCORE_COLUMNS,
    ad_weights,
    combine_evidence,
    element_evidence,
    evidence_from_scores,
    posterior_scores,
)
from genome.settings import Settings

AS_OF = date(2024, 6, 30)
SETTINGS = Settings()


def rewards_frame(*rows: tuple) -> pd.DataFrame:
    """Rows of (ad_id, brand_id, reward_score, is_imported, age_days since created_at)."""
    return pd.DataFrame(
        {
            "ad_id": [row[0] for row in rows],
            "brand_id": [row[1] for row in rows],
            "reward_score": [float(row[2]) for row in rows],
            "is_imported": [row[3] for row in rows],
            "created_at": pd.to_datetime([pd.Timestamp(AS_OF - timedelta(days=row[4])) for row in rows]),
        }
    )


def elements_frame(*rows: tuple) -> pd.DataFrame:
    """Rows of (ad_id, brand_id, element_name, element_value)."""
    return pd.DataFrame(rows, columns=["ad_id", "brand_id", "element_name", "element_value"])


def priors_frame(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=["brand_id", "element_name", "element_value", "prior_alpha", "prior_beta", "prior_source"],
    )


def evidence_of(rewards: pd.DataFrame, elements: pd.DataFrame, settings: Settings = SETTINGS) -> dict:
    evidence = element_evidence(rewards, elements, AS_OF, settings)
    return {
        tuple(row[:3]): (pytest.approx(row[3]), pytest.approx(row[4]), row[5])
        for row in evidence.itertuples(index=False)
    }


TWO_ADS = rewards_frame(("a1", "b1", 0.8, False, 0), ("a2", "b1", 0.3, False, 0))
HOOKS = elements_frame(("a1", "b1", "hook_type", "question"), ("a2", "b1", "hook_type", "question"))


@pytest.mark.parametrize(
    ("mode", "successes", "failures"),
    [("fractional", 1.1, 0.9), ("binary", 1.0, 1.0)],
)
def test_fractional_and_binary_evidence(mode: str, successes: float, failures: float) -> None:
    evidence = evidence_of(TWO_ADS, HOOKS, replace(SETTINGS, posterior_mode=mode))
    assert evidence == {("b1", "hook_type", "question"): (successes, failures, 2)}


@pytest.mark.parametrize(("reward", "successes"), [(0.5, 1.0), (0.4999, 0.0), (1.0, 1.0), (0.0, 0.0)])
def test_binary_mode_counts_half_as_a_success(reward: float, successes: float) -> None:
    rewards = rewards_frame(("a1", "b1", reward, False, 0))
    evidence = evidence_of(rewards, HOOKS, replace(SETTINGS, posterior_mode="binary"))
    assert evidence == {("b1", "hook_type", "question"): (successes, 1.0 - successes, 1)}


@pytest.mark.parametrize(
    ("imported", "age_days", "half_life", "weight"),
    [
        (False, 0, 0.0, 1.0),
        (True, 0, 0.0, 0.3),
        (False, 400, 0.0, 1.0),  # decay off
        (False, 30, 30.0, 0.5),  # one half-life halves
        (False, 60, 30.0, 0.25),
        (True, 30, 30.0, 0.15),
        (False, -5, 30.0, 1.0),  # created after as_of: age clipped at 0
    ],
)
def test_ad_weights(imported: bool, age_days: int, half_life: float, weight: float) -> None:
    rewards = rewards_frame(("a1", "b1", 1.0, imported, age_days))
    weights = ad_weights(rewards, AS_OF, replace(SETTINGS, decay_half_life_days=half_life))
    assert weights.tolist() == [weight]


def test_imported_weight_comes_from_settings() -> None:
    rewards = rewards_frame(("a1", "b1", 1.0, True, 0))
    evidence = evidence_of(rewards, HOOKS, replace(SETTINGS, imported_ad_weight=0.6))
    assert evidence == {("b1", "hook_type", "question"): (0.6, 0.0, 1)}


def test_decayed_imported_ad_adds_its_weight_to_the_evidence() -> None:
    rewards = rewards_frame(("a1", "b1", 0.6, True, 30))
    evidence = evidence_of(rewards, HOOKS, replace(SETTINGS, decay_half_life_days=30.0))
    assert evidence == {("b1", "hook_type", "question"): (0.15 * 0.6, 0.15 * 0.4, 1)}


def test_unrewarded_ads_and_untagged_rewards_add_nothing() -> None:
    rewards = rewards_frame(("a1", "b1", 0.8, False, 0), ("untagged", "b1", 1.0, False, 0))
    elements = elements_frame(
        ("a1", "b1", "hook_type", "question"),
        ("a1", "b1", "color_mode", "dark"),
        ("immature", "b1", "hook_type", "question"),
    )
    assert evidence_of(rewards, elements) == {
        ("b1", "color_mode", "dark"): (0.8, 0.2, 1),
        ("b1", "hook_type", "question"): (0.8, 0.2, 1),
    }


def test_untagged_element_values_are_skipped() -> None:
    elements = elements_frame(("a1", "b1", "hook_type", None), ("a1", "b1", "color_mode", "dark"))
    assert evidence_of(rewards_frame(("a1", "b1", 0.8, False, 0)), elements) == {
        ("b1", "color_mode", "dark"): (0.8, 0.2, 1)
    }


def test_evidence_is_kept_per_brand() -> None:
    rewards = rewards_frame(("a1", "b1", 1.0, False, 0), ("a2", "b2", 0.0, False, 0))
    elements = elements_frame(("a1", "b1", "hook_type", "question"), ("a2", "b2", "hook_type", "question"))
    assert evidence_of(rewards, elements) == {
        ("b1", "hook_type", "question"): (1.0, 0.0, 1),
        ("b2", "hook_type", "question"): (0.0, 1.0, 1),
    }


def test_empty_inputs_give_empty_evidence_with_the_contract_columns() -> None:
    evidence = element_evidence(rewards_frame(), elements_frame(), AS_OF, SETTINGS)
    assert evidence.empty
    assert tuple(evidence.columns) == EVIDENCE_COLUMNS


@pytest.mark.parametrize("column", ["is_imported", "created_at", "reward_score"])
def test_rewards_without_a_required_column_are_refused(column: str) -> None:
    with pytest.raises(ValueError, match=column):
        element_evidence(TWO_ADS.drop(columns=column), HOOKS, AS_OF, SETTINGS)


def test_duplicate_reward_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="more than once"):
        element_evidence(pd.concat([TWO_ADS, TWO_ADS]), HOOKS, AS_OF, SETTINGS)


# --- posterior scores ------------------------------------------------------------------------------

EVIDENCE = pd.DataFrame(
    [("b1", "hook_type", "question", 3.0, 1.0, 4), ("b1", "hook_type", "stat", 0.5, 1.5, 2)],
    columns=list(EVIDENCE_COLUMNS),
)


def test_posterior_adds_evidence_to_priors_and_keeps_prior_only_values() -> None:
    priors = priors_frame(
        ("b1", "hook_type", "question", 1.9, 1.3, "organization"),
        ("b1", "hook_type", "story", 1.2, 0.8, "network"),
    )
    scores = posterior_scores(EVIDENCE, priors)
    assert tuple(scores.columns) == SCORE_COLUMNS
    rows = {row.element_value: row for row in scores.itertuples(index=False)}
    assert (rows["question"].alpha, rows["question"].beta) == pytest.approx((4.9, 2.3))
    assert (rows["question"].prior_source, rows["question"].total_observations) == ("organization", 4)
    assert rows["question"].mean_reward == pytest.approx(4.9 / 7.2)
    assert (rows["stat"].alpha, rows["stat"].beta, rows["stat"].prior_source) == (1.5, 2.5, "uniform")
    assert (rows["story"].alpha, rows["story"].beta, rows["story"].total_observations) == (1.2, 0.8, 0)
    assert rows["story"].mean_reward == pytest.approx(0.6)


def test_posterior_without_priors_is_uniform() -> None:
    scores = posterior_scores(EVIDENCE)
    assert scores[["alpha", "beta", "prior_alpha", "prior_beta"]].to_numpy().tolist() == [
        [4.0, 2.0, 1.0, 1.0],
        [1.5, 2.5, 1.0, 1.0],
    ]
    assert scores["prior_source"].tolist() == ["uniform", "uniform"]


def test_stored_scores_give_back_their_data_only_evidence() -> None:
    priors = priors_frame(("b1", "hook_type", "question", 1.9, 1.3, "organization"))
    recovered = evidence_from_scores(posterior_scores(EVIDENCE, priors))
    pd.testing.assert_frame_equal(recovered, EVIDENCE.astype({"element_value": "str"}), check_dtype=False)


def test_combined_batches_sum_their_evidence() -> None:
    combined = combine_evidence(EVIDENCE, EVIDENCE.iloc[:1])
    assert combined[["successes", "failures", "observations"]].to_numpy().tolist() == [
        [6.0, 2.0, 8],
        [0.5, 1.5, 2],
    ]


# --- properties ------------------------------------------------------------------------------------

VALUES = ["question", "stat", "story"]


@st.composite
def rewarded_ads(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    count = draw(st.integers(1, 25))
    rows = [
        (
            f"ad-{i}",
            draw(st.sampled_from(["b1", "b2"])),
            draw(st.floats(0, 1)),
            draw(st.booleans()),
            draw(st.integers(-3, 200)),
        )
        for i in range(count)
    ]
    rewards = rewards_frame(*rows)
    elements = elements_frame(
        *[(ad_id, brand, "hook_type", draw(st.sampled_from(VALUES))) for ad_id, brand, *_ in rows],
        *[
            (ad_id, brand, "color_mode", draw(st.sampled_from(["dark", "light"])))
            for ad_id, brand, *_ in rows
        ],
    )
    return rewards, elements


modes = st.builds(
    lambda mode, half_life: replace(SETTINGS, posterior_mode=mode, decay_half_life_days=half_life),
    st.sampled_from(["fractional", "binary"]),
    st.sampled_from([0.0, 45.0]),
)
PRIORS = priors_frame(
    ("b1", "hook_type", "story", 1.4, 0.9, "network"), ("b2", "color_mode", "dark", 2, 1, "organization")
)


@hypothesis_settings(max_examples=60, deadline=None)
@given(data=rewarded_ads(), settings=modes, seed=st.integers(0, 2**32 - 1))
def test_evidence_and_posteriors_ignore_row_order(data, settings: Settings, seed: int) -> None:
    rewards, elements = data
    rng = np.random.default_rng(seed)
    shuffled_rewards = rewards.iloc[rng.permutation(len(rewards))]
    shuffled_elements = elements.iloc[rng.permutation(len(elements))]
    evidence = element_evidence(rewards, elements, AS_OF, settings)
    shuffled = element_evidence(shuffled_rewards, shuffled_elements, AS_OF, settings)
    pd.testing.assert_frame_equal(evidence, shuffled, check_exact=True)
    pd.testing.assert_frame_equal(posterior_scores(evidence, PRIORS), posterior_scores(shuffled, PRIORS))


@hypothesis_settings(max_examples=60, deadline=None)
@given(data=rewarded_ads(), settings=modes, split=st.floats(0, 1))
def test_evidence_of_batches_sums_to_evidence_of_the_union(data, settings: Settings, split: float) -> None:
    rewards, elements = data
    cut = round(split * len(rewards))
    first = element_evidence(rewards.iloc[:cut], elements, AS_OF, settings)
    second = element_evidence(rewards.iloc[cut:], elements, AS_OF, settings)
    union = element_evidence(rewards, elements, AS_OF, settings)
    pd.testing.assert_frame_equal(combine_evidence(first, second), union, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(
        posterior_scores(combine_evidence(first, second), PRIORS),
        posterior_scores(union, PRIORS),
        check_exact=False,
        rtol=1e-12,
    )
