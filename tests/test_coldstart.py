import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from genome.coldstart import (
    EXPLORATION_FLOOR,
    EXPLORATION_START,
    LEVEL_RULES,
    cold_start_level,
    exploration_rate,
)


@pytest.mark.parametrize(
    ("matured_ads", "level"), [(0, 0), (1, 1), (29, 1), (30, 2), (99, 2), (100, 3), (10_000, 3)]
)
def test_cold_start_level_boundaries(matured_ads, level):
    result = cold_start_level(matured_ads)
    assert result == level
    assert isinstance(result, int)


@pytest.mark.parametrize(
    ("matured_ads", "rate"),
    [(0, 0.30), (100, 0.30 / math.e), (500, 0.05), (50, 0.30 * math.exp(-0.5))],
)
def test_exploration_rate_reference_values(matured_ads, rate):
    result = exploration_rate(matured_ads)
    assert result == pytest.approx(rate, rel=1e-12)
    assert isinstance(result, float)


def test_exploration_rate_reaches_the_floor_where_the_curve_crosses_it():
    crossing = 100 * math.log(EXPLORATION_START / EXPLORATION_FLOOR)  # ≈ 179.2 ads
    assert exploration_rate(math.floor(crossing)) > EXPLORATION_FLOOR
    assert exploration_rate(math.ceil(crossing)) == EXPLORATION_FLOOR


def test_both_rules_are_vectorised():
    counts = np.array([[0, 1, 29], [30, 99, 100]])
    np.testing.assert_array_equal(cold_start_level(counts), [[0, 1, 1], [2, 2, 3]])
    np.testing.assert_allclose(exploration_rate(counts), np.maximum(0.05, 0.30 * np.exp(-counts / 100)))


@pytest.mark.parametrize("function", [cold_start_level, exploration_rate])
@pytest.mark.parametrize("bad", [-1, [3, -2], float("nan"), float("inf")])
def test_negative_or_non_finite_counts_are_refused(function, bad):
    with pytest.raises(ValueError, match="matured_ads"):
        function(bad)


def test_level_rules_describe_every_level_with_its_numbers():
    assert sorted(LEVEL_RULES) == [0, 1, 2, 3]
    assert LEVEL_RULES[1].startswith("Level 1: fewer than 30 matured ads")
    assert "30 to 99" in LEVEL_RULES[2]
    assert "100 or more" in LEVEL_RULES[3]


@given(st.integers(0, 100_000), st.integers(0, 100_000))
def test_exploration_rate_is_monotone_and_bounded(first, second):
    low, high = sorted((first, second))
    assert exploration_rate(high) <= exploration_rate(low)
    assert EXPLORATION_FLOOR <= exploration_rate(high) <= EXPLORATION_START


@given(st.integers(0, 100_000))
def test_level_is_monotone(matured_ads):
    assert cold_start_level(matured_ads) <= cold_start_level(matured_ads + 1)
