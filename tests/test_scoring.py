import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from genome.errors import Problem, ValidationError
from genome.scoring import (
    BREAKDOWN_COLUMNS,
    NEUTRAL_SCORE,
    NO_DATA_UNCERTAINTY,
    NOT_SCORED,
    NOT_TRACKED,
    SCORED,
    pre_gen_score,
)
from genome.settings import Settings
from tests.factories import scores_frame

SETTINGS = Settings()


SCORES = scores_frame(
    [
        ("hook_type", "question", 40.0, 10.0, 48),
        ("hook_type", "statistic", 10.0, 40.0, 48),
        ("color_mode", "dark", 30.0, 30.0, 58),
        ("campaign_mood", "calm", 9.0, 1.0, 8),  # scored, but not a tracked element by default
    ]
)


def beta_variance(a, b):
    return a * b / ((a + b) ** 2 * (a + b + 1))


def test_score_is_the_mean_of_posterior_means_with_the_sd_of_that_mean():
    result = pre_gen_score(SCORES, {"hook_type": "question", "color_mode": "dark"}, SETTINGS)
    assert result.score == pytest.approx((0.8 + 0.5) / 2)
    assert result.uncertainty == pytest.approx(math.sqrt(beta_variance(40, 10) + beta_variance(30, 30)) / 2)
    assert result.known_elements == 2


@pytest.mark.parametrize("tags", [{}, {"hook_type": "never_seen"}, {"layout": "grid"}])
def test_with_nothing_scored_the_score_is_neutral_with_the_uniform_sd(tags):
    result = pre_gen_score(SCORES, tags, SETTINGS)
    assert result.score == NEUTRAL_SCORE == 0.5
    assert result.uncertainty == NO_DATA_UNCERTAINTY == pytest.approx(math.sqrt(1 / 12))


def test_unknown_names_and_values_are_reported_not_raised():
    tags = {"hook_type": "never_seen", "layout": "grid", "color_mode": "dark"}
    result = pre_gen_score(SCORES, tags, SETTINGS)
    frame = result.breakdown_frame().set_index("element_name")
    assert result.score == pytest.approx(0.5)
    assert frame["known"].to_dict() == {"hook_type": False, "layout": False, "color_mode": True}
    assert frame["status"].to_dict() == {"hook_type": NOT_SCORED, "layout": NOT_TRACKED, "color_mode": SCORED}
    assert (
        frame.loc[["hook_type", "layout"], ["mean", "ci_low", "ci_high", "observations"]].isna().all().all()
    )


def test_untracked_elements_count_only_without_settings():
    tags = {"campaign_mood": "calm", "hook_type": "statistic"}
    assert pre_gen_score(SCORES, tags, SETTINGS).score == pytest.approx(0.2)
    assert pre_gen_score(SCORES, tags).score == pytest.approx((0.9 + 0.2) / 2)


def test_breakdown_has_the_interval_and_observations_of_each_value():
    result = pre_gen_score(SCORES, {"hook_type": "question"}, SETTINGS)
    frame = result.breakdown_frame()
    assert list(frame.columns) == BREAKDOWN_COLUMNS
    row = frame.iloc[0]
    low, high = stats.beta.interval(0.95, 40, 10)
    assert (row["element_name"], row["element_value"], row["observations"]) == ("hook_type", "question", 48)
    assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((0.8, low, high))


def test_to_dict_is_json_ready_with_unknowns_as_null():
    result = pre_gen_score(SCORES, {"hook_type": "never_seen", "color_mode": "dark"}, SETTINGS)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["score"] == pytest.approx(0.5)
    assert data["breakdown"][0]["mean"] is None
    assert data["breakdown"][1]["known"] is True
    assert "standard deviation" in data["uncertainty_method"]


@pytest.mark.parametrize("tags", [None, ["hook_type", "question"], "hook_type=question", 3])
def test_tags_that_are_not_a_mapping_are_refused(tags):
    with pytest.raises(ValidationError) as error:
        pre_gen_score(SCORES, tags)
    assert [p.column for p in error.value.problems] == ["element_tags"]


@pytest.mark.parametrize(
    ("tags", "bad_entries"),
    [
        ({"hook_type": 3}, 1),
        ({"hook_type": None, "color_mode": ["dark"]}, 2),
        ({7: "question"}, 1),
    ],
)
def test_every_non_text_entry_is_listed(tags, bad_entries):
    with pytest.raises(ValidationError) as error:
        pre_gen_score(SCORES, tags)
    assert len(error.value.problems) == bad_entries
    assert all(isinstance(p, Problem) and p.row == 0 for p in error.value.problems)


def test_scores_of_several_brands_are_refused():
    both = pd.concat([SCORES, SCORES.assign(brand_id="brand-2")])
    with pytest.raises(ValueError, match="one brand"):
        pre_gen_score(both, {"hook_type": "question"})


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0.01, 1e6), st.floats(0.01, 1e6)), min_size=1, max_size=6),
    st.data(),
)
def test_score_is_in_zero_one(parameters, data):
    rows = [(f"e{i}", "v", a, b, 1) for i, (a, b) in enumerate(parameters)]
    chosen = data.draw(st.sets(st.sampled_from([row[0] for row in rows])))
    tags = {name: "v" for name in chosen} | {"other": "v"}
    result = pre_gen_score(scores_frame(rows), tags)
    assert 0 <= result.score <= 1
    assert 0 <= result.uncertainty <= 0.5  # a Beta variance is at most 1/4
    assert np.isfinite(result.uncertainty)
