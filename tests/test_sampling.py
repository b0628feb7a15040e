from collections import Counter
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from genome import sampling
from genome.sampling import (
    POSTERIOR_COLUMNS,
    credible_interval,
    describe_posteriors,
    label_values,
    prob_best,
    recommend,
    thompson_sample,
)
from genome.settings import Settings
from tests.factories import scores_frame

SETTINGS = Settings()


SCORES = scores_frame(
    [
        ("hook_type", "question", 40.0, 10.0, 48),
        ("hook_type", "statistic", 10.0, 40.0, 48),
        ("hook_type", "story", 3.0, 3.0, 4),
        ("color_mode", "bright", 45.0, 15.0, 58),
        ("color_mode", "dark", 30.0, 30.0, 58),
        ("color_mode", "light", 1.0, 1.0, 0),
    ]
)


class RecordingRng:
    """A real Generator that records the `size` of every Beta draw (to observe chunking)."""

    def __init__(self, seed):
        self.generator = np.random.default_rng(seed)
        self.sizes = []

    def beta(self, a, b, size=None):
        self.sizes.append(size)
        return self.generator.beta(a, b, size=size)


class FixedDraws:
    """Hands back prepared draws, to make exact ties happen."""

    def __init__(self, draws):
        self.draws = np.asarray(draws, dtype=float)

    def beta(self, a, b, size=None):
        assert size == self.draws.shape
        return self.draws


# --- thompson_sample ----------------------------------------------------------------------------
def test_thompson_sample_is_one_vectorised_draw_per_arm():
    alpha, beta = np.array([1.0, 2.0, 30.0]), np.array([1.0, 5.0, 3.0])
    draws = thompson_sample(alpha, beta, np.random.default_rng(7))
    np.testing.assert_array_equal(draws, np.random.default_rng(7).beta(alpha, beta))
    assert draws.shape == (3,)


@pytest.mark.parametrize(
    ("alpha", "beta"),
    [([0.0], [1.0]), ([1.0], [-1.0]), ([np.nan], [1.0]), ([np.inf], [1.0]), ([1.0, 2.0], [1.0])],
)
def test_thompson_sample_refuses_impossible_parameters(alpha, beta):
    with pytest.raises(ValueError, match="alpha and beta"):
        thompson_sample(alpha, beta, np.random.default_rng(0))


# --- prob_best --------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_identical_arms_get_exactly_the_same_probability_whatever_the_seed(seed):
    result = prob_best([5.0, 5.0, 2.0], [5.0, 5.0, 3.0], draws=2_000, rng=np.random.default_rng(seed))
    assert result[0] == result[1]
    assert result.sum() == pytest.approx(1.0)


def test_a_dominated_arm_is_never_best():
    result = prob_best([1000.0, 10.0], [10.0, 1000.0], draws=5_000, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(result, [1.0, 0.0])


def test_exact_ties_split_the_credit_equally():
    draws = [[0.5, 0.5, 0.1], [0.9, 0.2, 0.9]]
    result = prob_best([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], draws=2, rng=FixedDraws(draws))
    np.testing.assert_array_equal(result, [0.5, 0.25, 0.25])


@pytest.mark.parametrize(("alpha", "expected"), [([], []), ([3.0], [1.0])])
def test_no_arm_or_one_arm(alpha, expected):
    np.testing.assert_array_equal(prob_best(alpha, alpha, draws=10), expected)


def test_draws_are_chunked_to_bound_memory(monkeypatch):
    monkeypatch.setattr(sampling, "CHUNK_CELLS", 4)
    rng = RecordingRng(3)
    result = prob_best([2.0, 3.0], [3.0, 2.0], draws=5, rng=rng)
    assert rng.sizes == [(2, 2), (2, 2), (1, 2)]
    assert result.sum() == pytest.approx(1.0)


def test_prob_best_is_reproducible_for_a_seed_and_fixed_without_one():
    alpha, beta = [3.0, 4.0, 5.0], [5.0, 4.0, 3.0]
    seeded = [prob_best(alpha, beta, 1000, np.random.default_rng(11)) for _ in range(2)]
    np.testing.assert_array_equal(seeded[0], seeded[1])
    np.testing.assert_array_equal(prob_best(alpha, beta, 1000), prob_best(alpha, beta, 1000))


@pytest.mark.parametrize("draws", [0, -5, 2.5, True])
def test_prob_best_refuses_a_bad_number_of_draws(draws):
    with pytest.raises(ValueError, match="draws"):
        prob_best([1.0, 1.0], [1.0, 1.0], draws=draws)


beta_parameters = st.lists(st.tuples(st.floats(0.05, 500), st.floats(0.05, 500)), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(beta_parameters, st.integers(0, 2**32 - 1))
def test_prob_best_is_a_distribution(arms, seed):
    alpha, beta = np.array(arms).T
    result = prob_best(alpha, beta, draws=300, rng=np.random.default_rng(seed))
    assert result.sum() == pytest.approx(1.0)
    assert np.all((result >= 0) & (result <= 1))


@settings(max_examples=25, deadline=None)
@given(beta_parameters, st.integers(0, 2**32 - 1))
def test_seeded_draws_are_reproducible(arms, seed):
    alpha, beta = np.array(arms).T
    first = thompson_sample(alpha, beta, np.random.default_rng(seed))
    np.testing.assert_array_equal(first, thompson_sample(alpha, beta, np.random.default_rng(seed)))
    np.testing.assert_array_equal(
        prob_best(alpha, beta, 200, np.random.default_rng(seed)),
        prob_best(alpha, beta, 200, np.random.default_rng(seed)),
    )


# --- credible_interval ------------------------------------------------------------------------------
@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99])
def test_credible_interval_matches_scipy(level):
    alpha, beta = np.array([1.0, 2.5, 40.0]), np.array([1.0, 7.0, 3.0])
    low, high = credible_interval(alpha, beta, level)
    expected_low, expected_high = stats.beta.interval(level, alpha, beta)
    np.testing.assert_allclose(low, expected_low, rtol=1e-12)
    np.testing.assert_allclose(high, expected_high, rtol=1e-12)


def test_uniform_interval_is_exact():
    low, high = credible_interval([1.0], [1.0])
    np.testing.assert_allclose([low[0], high[0]], [0.025, 0.975])


@pytest.mark.parametrize("level", [0.0, 1.0, -0.5, 95])
def test_credible_interval_refuses_a_level_outside_zero_one(level):
    with pytest.raises(ValueError, match="level"):
        credible_interval([1.0], [1.0], level)


# --- label_values -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mean", "p_best", "observations", "label"),
    [
        (0.9, 0.9, 4.999, "Learning"),
        (0.9, 0.9, 0, "Learning"),
        (0.1, 0.515, 5, "Best"),  # 50 % + 3 Monte Carlo standard errors at 10,000 draws
        (0.1, 0.5149, 5, "Low"),
        (0.5, 0.5, 5, "Good"),  # one of two identical leaders: never Best
        (0.5, 0.4999, 5, "Good"),
        (0.4999, 0.4999, 5, "Low"),
        (0.2, 0.0, 1000, "Low"),
    ],
)
def test_label_rule_boundaries(mean, p_best, observations, label):
    assert label_values([mean], [p_best], [observations], min_observations=5.0).tolist() == [label]


@pytest.mark.parametrize(("dimension_size", "label"), [(1, "Good"), (2, "Best")])
def test_a_lone_value_is_not_best_by_default(dimension_size, label):
    assert label_values([0.6], [1.0], [50], 5.0, dimension_sizes=[dimension_size]).tolist() == [label]


@pytest.mark.parametrize(
    ("min_observations", "observations", "label"), [(0.0, 0, "Learning"), (0.0, 1, "Best")]
)
def test_a_value_without_own_ads_is_never_best_whatever_the_minimum(min_observations, observations, label):
    assert label_values([0.9], [1.0], [observations], min_observations).tolist() == [label]


@pytest.mark.parametrize(("draws", "threshold"), [(10_000, 0.515), (100, 0.65), (1_000_000, 0.5015)])
def test_the_best_threshold_is_three_monte_carlo_standard_errors_above_a_half(draws, threshold):
    assert sampling.best_threshold(draws) == pytest.approx(threshold)


def test_label_rule_is_published_with_its_thresholds():
    rule = sampling.label_rule(SETTINGS)
    assert rule.startswith("Learning: fewer than 5 of the brand's own ads")
    assert "P(best) in its dimension ≥ 51.5% (50% plus 3 Monte Carlo standard errors" in rule
    assert "posterior mean reward ≥ 0.50" in rule


# --- describe_posteriors ------------------------------------------------------------------------------
def test_posteriors_view_columns_order_and_exact_columns():
    view = describe_posteriors(SCORES, SETTINGS)
    assert list(view.columns) == POSTERIOR_COLUMNS
    assert list(zip(view["element_name"], view["element_value"], strict=True)) == [
        ("color_mode", "bright"),
        ("color_mode", "dark"),
        ("color_mode", "light"),
        ("hook_type", "question"),
        ("hook_type", "story"),
        ("hook_type", "statistic"),
    ]
    np.testing.assert_allclose(view["mean"], [0.75, 0.5, 0.5, 0.8, 0.5, 0.2])
    low, high = stats.beta.interval(0.95, view["alpha"], view["beta"])
    np.testing.assert_allclose(view["ci_low"], low)
    np.testing.assert_allclose(view["ci_high"], high)
    assert view["label"].tolist() == ["Best", "Good", "Learning", "Best", "Learning", "Low"]
    assert view["observations"].tolist() == [58, 58, 0, 48, 4, 48]
    assert view["evidence"].tolist() == ["own", "own", "none", "own", "own", "own"]


def test_p_best_is_per_dimension():
    view = describe_posteriors(SCORES, SETTINGS)
    np.testing.assert_allclose(view.groupby("element_name")["p_best"].sum(), [1.0, 1.0])
    assert view.set_index("element_value").loc["statistic", "p_best"] < 0.01


def test_posteriors_view_is_the_same_on_every_read():
    pd.testing.assert_frame_equal(
        describe_posteriors(SCORES, SETTINGS), describe_posteriors(SCORES, SETTINGS)
    )


def test_adding_a_dimension_does_not_change_another_dimensions_p_best():
    extra = scores_frame(
        [("awareness_stage", "unaware", 3.0, 4.0, 6), ("awareness_stage", "aware", 4.0, 3.0, 6)]
    )
    alone = describe_posteriors(SCORES, SETTINGS).set_index(["element_name", "element_value"])["p_best"]
    together = describe_posteriors(pd.concat([SCORES, extra], ignore_index=True), SETTINGS)
    together = together.set_index(["element_name", "element_value"])["p_best"]
    pd.testing.assert_series_equal(together.loc[alone.index], alone)


TWIN_LEADERS = scores_frame(
    [
        ("hook_type", "question", 30.0, 10.0, 40),
        ("hook_type", "story", 30.0, 10.0, 40),
        ("hook_type", "statistic", 10.0, 30.0, 40),
    ]
)


@pytest.mark.parametrize("draws", [1_000, 2_000, 10_000, 50_000])
def test_identical_leaders_get_identical_p_best_and_labels_never_best(draws):
    view = describe_posteriors(TWIN_LEADERS, replace(SETTINGS, prob_best_draws=draws)).set_index(
        "element_value"
    )
    assert view.loc["question", "p_best"] == view.loc["story", "p_best"]
    assert view.loc["question", "label"] == view.loc["story", "label"] == "Good"


def test_posteriors_view_of_no_scores_is_empty_with_the_columns():
    view = describe_posteriors(SCORES.iloc[:0], SETTINGS)
    assert view.empty
    assert list(view.columns) == POSTERIOR_COLUMNS


def test_posteriors_view_refuses_several_brands():
    both = pd.concat([SCORES, SCORES.assign(brand_id="brand-2")])
    with pytest.raises(ValueError, match="one brand"):
        describe_posteriors(both, SETTINGS)


# --- recommend --------------------------------------------------------------------------------------
def test_without_exploration_the_clear_winner_of_each_dimension_is_chosen():
    clear = scores_frame(
        [
            ("hook_type", "question", 900.0, 100.0, 1000),
            ("hook_type", "statistic", 100.0, 900.0, 1000),
            ("color_mode", "dark", 100.0, 900.0, 1000),
            ("color_mode", "light", 900.0, 100.0, 1000),
        ]
    )
    result = recommend(clear, 0.0, 42)
    assert result.elements == {"color_mode": "light", "hook_type": "question"}
    assert result.explored == ()
    assert result.seed == 42


def many_dimensions(values, dimensions=300):
    """The same values repeated over many dimensions, so one call makes many independent picks."""
    return scores_frame(
        [(f"d{i:03d}", value, a, b, n) for i in range(dimensions) for value, a, b, n in values]
    )


def test_with_full_exploration_every_dimension_explores_uniformly():
    values = [("question", 900.0, 100.0, 1000), ("statistic", 100.0, 900.0, 1000), ("story", 1.0, 1.0, 0)]
    result = recommend(many_dimensions(values), 1.0, 8)
    picks = Counter(result.elements.values())
    assert set(picks) == {"question", "statistic", "story"}
    assert all(60 <= count <= 140 for count in picks.values())  # expected 100 each, sd ≈ 8
    assert len(result.explored) == 300


def test_exploration_happens_at_the_given_rate():
    explored = len(recommend(many_dimensions([("a", 1.0, 1.0, 0)], 1000), 0.3, 9).explored)
    assert 240 <= explored <= 360  # expected 300, sd ≈ 14.5


def test_a_recommendation_replays_from_its_seed():
    drawn = recommend(SCORES, 0.3)
    assert isinstance(drawn.seed, int)
    assert recommend(SCORES, 0.3, drawn.seed) == drawn
    assert recommend(SCORES, 0.3, np.random.default_rng(drawn.seed), seed=drawn.seed) == drawn


def test_candidates_restrict_dimensions_and_values():
    result = recommend(SCORES, 0.0, 1, candidates={"hook_type": ["statistic"]})
    assert result.elements == {"hook_type": "statistic"}


def test_an_unscored_candidate_gets_the_uniform_prior():
    scores = many_dimensions([("statistic", 10.0, 40.0, 48)], 200)
    candidates = {name: ["statistic", "brand_new"] for name in scores["element_name"]}
    picks = Counter(recommend(scores, 0.0, 10, candidates=candidates).elements.values())
    # P(Beta(1, 1) > Beta(10, 40)) = 1 − 0.2 = 0.8: expected 160 of 200, sd ≈ 5.7
    assert 130 <= picks["brand_new"] <= 190


def test_no_scores_recommend_nothing():
    assert recommend(SCORES.iloc[:0], 0.2, 3).elements == {}


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_recommend_refuses_an_exploration_rate_outside_zero_one(rate):
    with pytest.raises(ValueError, match="exploration_rate"):
        recommend(SCORES, rate, 0)


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_recommend_refuses_a_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        recommend(SCORES, 0.1, seed)


def test_recommendation_to_dict_is_plain_data():
    assert recommend(SCORES, 1.0, 4).to_dict() == {
        "elements": recommend(SCORES, 1.0, 4).elements,
        "explored": ["color_mode", "hook_type"],
        "exploration_rate": 1.0,
        "seed": 4,
    }
