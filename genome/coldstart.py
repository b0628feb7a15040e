"""Cold start: how much a brand's own data can be trusted yet, and how much to explore.

Both rules depend only on the number of matured ads n (ads whose CTR has matured into a reward):
- level 0 if n = 0, 1 if n < 30, 2 if n < 100, else 3;
- exploration rate = max(0.05, 0.30 · exp(−n / 100)).

Both accept a scalar (returning a Python scalar) or an array (returning an array of the same
shape), and refuse negative or non-finite counts with ValueError.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

LEVEL_1_BELOW = 30  # 1 ≤ n < 30 matured ads: level 1
LEVEL_2_BELOW = 100  # 30 ≤ n < 100: level 2; n ≥ 100: level 3
MAX_LEVEL = 3

EXPLORATION_START = 0.30  # exploration rate with no matured ads
EXPLORATION_FLOOR = 0.05  # the rate never falls below this
EXPLORATION_SCALE_ADS = 100.0  # the rate decays by a factor e every this many matured ads

LEVEL_RULES: dict[int, str] = {
    0: "Level 0: no matured ads yet — recommendations rest on priors alone.",
    1: f"Level 1: fewer than {LEVEL_1_BELOW} matured ads — little own data, explore broadly.",
    2: f"Level 2: {LEVEL_1_BELOW} to {LEVEL_2_BELOW - 1} matured ads — patterns are forming.",
    3: f"Level 3: {LEVEL_2_BELOW} or more matured ads — the brand's own data leads.",
}
EXPLORATION_RULE = (
    f"Exploration rate = max({EXPLORATION_FLOOR:.2f}, {EXPLORATION_START:.2f} × exp(−n / "
    f"{EXPLORATION_SCALE_ADS:g})) for n matured ads: the share of dimensions given a uniformly random "
    "value instead of the Thompson-sampled best."
)


def _counts(matured_ads: ArrayLike) -> NDArray[np.float64]:
    counts = np.asarray(matured_ads, dtype=np.float64)
    if not np.all(np.isfinite(counts)):
        raise ValueError("matured_ads must be finite")
    if np.any(counts < 0):
        raise ValueError("matured_ads cannot be negative")
    return counts


def cold_start_level(matured_ads: ArrayLike) -> int | NDArray[np.int64]:
    """Cold-start level 0–3 for `matured_ads` (scalar → int, array → int array)."""
    counts = _counts(matured_ads)
    levels = np.select(
        [counts == 0, counts < LEVEL_1_BELOW, counts < LEVEL_2_BELOW], [0, 1, 2], default=MAX_LEVEL
    ).astype(np.int64)
    return int(levels) if levels.ndim == 0 else levels


def exploration_rate(matured_ads: ArrayLike) -> float | NDArray[np.float64]:
    """Share of dimensions to explore: max(0.05, 0.30·exp(−n/100)) (scalar → float, array → array)."""
    counts = _counts(matured_ads)
    rates = np.maximum(EXPLORATION_FLOOR, EXPLORATION_START * np.exp(-counts / EXPLORATION_SCALE_ADS))
    return float(rates) if rates.ndim == 0 else rates
