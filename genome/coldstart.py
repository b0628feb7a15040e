"""Cold start: how much a brand's own data can be trusted yet, and how much to explore.

Both rules depend only on the number of matured ads n (ads whose CTR has matured into a reward):
- level 0 if n = 0, 1 if n < 30, 2 if n < 100, else 3;
- exploration rate = max(floor, start · exp(−n / scale)), by default max(0.05, 0.30 · exp(−n / 100))
  (settings GENOME_EXPLORATION_FLOOR, _START, _SCALE_ADS; `brand_exploration_rate` reads them).

Both accept a scalar (returning a Python scalar) or an array (returning an array of the same
shape), and refuse negative or non-finite counts with ValueError.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genome.settings import Settings

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


def exploration_rule(
    floor: float = EXPLORATION_FLOOR, start: float = EXPLORATION_START, scale: float = EXPLORATION_SCALE_ADS
) -> str:
    """The exploration rule in words, with its parameters."""
    return (
        f"Exploration rate = max({floor:.2f}, {start:.2f} × exp(−n / {scale:g})) for n matured ads: "
        "the share of dimensions given a uniformly random value instead of the Thompson-sampled best."
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


def exploration_rate(
    matured_ads: ArrayLike,
    *,
    floor: float = EXPLORATION_FLOOR,
    start: float = EXPLORATION_START,
    scale: float = EXPLORATION_SCALE_ADS,
) -> float | NDArray[np.float64]:
    """Share of dimensions to explore: max(floor, start·exp(−n/scale)), by default
    max(0.05, 0.30·exp(−n/100)) (scalar → float, array → array)."""
    if not (0 <= floor <= 1 and 0 <= start <= 1 and scale > 0):
        raise ValueError("floor and start must be between 0 and 1, scale positive")
    counts = _counts(matured_ads)
    rates = np.maximum(floor, start * np.exp(-counts / scale))
    return float(rates) if rates.ndim == 0 else rates


def brand_exploration_rate(matured_ads: ArrayLike, settings: Settings) -> float | NDArray[np.float64]:
    """`exploration_rate` with the floor, start and scale of `settings`."""
    return exploration_rate(matured_ads, **exploration_parameters(settings))


def exploration_parameters(settings: Settings) -> dict[str, float]:
    """The keyword arguments of `exploration_rate` and `exploration_rule` that `settings` sets."""
    return {
        "floor": settings.exploration_floor,
        "start": settings.exploration_start,
        "scale": settings.exploration_scale_ads,
    }
