"""Decisions from Beta posteriors: Thompson draws, P(best), credible intervals, labels, recommendations.

Every random draw goes through a `numpy.random.Generator`; functions that take a seed report it,
so a draw can be replayed. Arguments are validated once here, at the boundary (ValueError).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from genome.posteriors import evidence_kind
from genome.settings import Settings

PROB_BEST_SEED = 0  # P(best) without an rng is a fixed function of (alpha, beta, draws)
CHUNK_CELLS = 1_000_000  # draws × arms per Monte Carlo chunk (≈ 8 MB of float64)
MAX_SEED = 2**32 - 1  # generated seeds are short enough to read out and type back
UNIFORM_PRIOR = (1.0, 1.0)  # Beta(1, 1) for a candidate value without a score

# The label rule, in order: the first that matches wins. It counts the brand's OWN observations:
# a value known only through a borrowed prior is always Learning.
LEARNING = "Learning"  # own observations < max(1, settings.label_min_observations)
BEST = "Best"  # P(best) in its dimension >= BEST_MIN_P_BEST + Monte Carlo margin, among >= 2 values
GOOD = "Good"  # posterior mean >= GOOD_MIN_MEAN
LOW = "Low"  # otherwise
BEST_MIN_P_BEST = 0.5
BEST_MARGIN_STANDARD_ERRORS = 3.0  # Best needs P(best) this many Monte Carlo standard errors above 50 %
GOOD_MIN_MEAN = 0.5
DEFAULT_DRAWS = 10_000
LABEL_RULE = (
    "Learning: fewer than {min_observations:g} of the brand's own ads (a value known only from a "
    "borrowed prior is always Learning). Otherwise Best: P(best) in its dimension ≥ {best_threshold:.1%} "
    f"({BEST_MIN_P_BEST:.0%} plus {BEST_MARGIN_STANDARD_ERRORS:g} Monte Carlo standard errors, so at most one "
    "value per dimension, never one of two values with the same posterior, and never by sampling noise; "
    f"with at least two values to compare); Good: posterior mean reward ≥ {GOOD_MIN_MEAN:.2f}; Low: the rest. "
    "Values with identical posteriors get identical P(best) and labels; P(best) uses fixed seeds per "
    "dimension, so every read shows the same numbers."
)


def best_threshold(draws: int = DEFAULT_DRAWS) -> float:
    """The P(best) a value needs to be labelled Best: 50 % plus BEST_MARGIN_STANDARD_ERRORS standard
    errors of a Monte Carlo estimate of 50 % from `draws` draws (0.515 at 10,000 draws)."""
    return BEST_MIN_P_BEST + BEST_MARGIN_STANDARD_ERRORS * float(np.sqrt(0.25 / draws))


def label_rule(settings: Settings) -> str:
    """LABEL_RULE with the numbers `settings` gives it."""
    return LABEL_RULE.format(
        min_observations=max(1.0, settings.label_min_observations),
        best_threshold=best_threshold(settings.prob_best_draws),
    )


POSTERIOR_COLUMNS = [
    "element_name", "element_value", "alpha", "beta", "mean", "ci_low", "ci_high",
    "p_best", "observations", "label", "prior_source", "evidence",
]  # fmt: skip


def new_seed() -> int:
    """A fresh seed from OS entropy (like `SeedSequence().entropy`), short enough to show a person."""
    return int(np.random.SeedSequence().entropy) % (MAX_SEED + 1)


def make_rng(seed: int | None) -> tuple[np.random.Generator, int]:
    """A generator and the seed that replays it; a seed is drawn when `seed` is None."""
    if seed is None:
        seed = new_seed()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.default_rng(int(seed)), int(seed)


def _beta_parameters(alpha: ArrayLike, beta: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    a = np.asarray(alpha, dtype=np.float64)
    b = np.asarray(beta, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"alpha and beta differ in shape: {a.shape} vs {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b)) and np.all(a > 0) and np.all(b > 0)):
        raise ValueError("alpha and beta must be finite and positive")
    return a, b


def thompson_sample(alpha: ArrayLike, beta: ArrayLike, rng: np.random.Generator) -> NDArray[np.float64]:
    """One draw from Beta(alpha_i, beta_i) for every arm i, in one vectorised call."""
    a, b = _beta_parameters(alpha, beta)
    return rng.beta(a, b)


def prob_best(
    alpha: ArrayLike,
    beta: ArrayLike,
    draws: int = 10_000,
    rng: np.random.Generator | None = None,
) -> NDArray[np.float64]:
    """P(arm i has the highest reward) by Monte Carlo over `draws` joint Thompson draws.

    A draw in which several arms tie for the maximum gives each an equal share, so the result
    always sums to 1; arms with identical (alpha, beta) get exactly the same P(best) (their
    estimates are averaged). Draws run in chunks of about CHUNK_CELLS values, so many arms stay
    memory-safe. Without `rng` a generator seeded with PROB_BEST_SEED is used: the same
    posteriors then always show the same P(best).
    """
    a, b = _beta_parameters(alpha, beta)
    if a.ndim != 1:
        raise ValueError("alpha and beta must be one-dimensional (one entry per arm)")
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    arms = a.size
    if arms == 0:
        return np.zeros(0)
    if arms == 1:
        return np.ones(1)
    rng = np.random.default_rng(PROB_BEST_SEED) if rng is None else rng
    chunk = max(1, CHUNK_CELLS // arms)
    wins = np.zeros(arms)
    for start in range(0, int(draws), chunk):
        rows = min(chunk, int(draws) - start)
        sample = rng.beta(a, b, size=(rows, arms))
        is_max = sample == sample.max(axis=1, keepdims=True)
        wins += (is_max / is_max.sum(axis=1, keepdims=True)).sum(axis=0)
    _, twins = np.unique(np.column_stack([a, b]), axis=0, return_inverse=True)
    twins = twins.ravel()
    return (np.bincount(twins, wins) / np.bincount(twins))[twins] / int(draws)


def credible_interval(
    alpha: ArrayLike, beta: ArrayLike, level: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Equal-tailed `level` credible interval of Beta(alpha, beta): (low, high) arrays."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    a, b = _beta_parameters(alpha, beta)
    tail = (1 - level) / 2
    return stats.beta.ppf(tail, a, b), stats.beta.ppf(1 - tail, a, b)


def label_values(
    mean: ArrayLike,
    p_best: ArrayLike,
    observations: ArrayLike,
    min_observations: float,
    dimension_sizes: ArrayLike | None = None,
    draws: int = DEFAULT_DRAWS,
) -> NDArray[np.str_]:
    """Label each value by the published rule (LABEL_RULE; first match wins):

    - "Learning": own observations < max(1, min_observations) (settings.label_min_observations),
      so a value with no own ads is never Best;
    - "Best": P(best) within its dimension >= `best_threshold(draws)` (0.515 for 10,000 draws), and
      the dimension has at least two values (`dimension_sizes`; None means every dimension does),
      since a lone value is best only vacuously;
    - "Good": posterior mean >= GOOD_MIN_MEAN (0.5);
    - "Low": otherwise.
    """
    means = np.asarray(mean, dtype=np.float64)
    p = np.asarray(p_best, dtype=np.float64)
    n = np.asarray(observations, dtype=np.float64)
    compared = True if dimension_sizes is None else np.asarray(dimension_sizes) >= 2
    conditions = [
        n < max(1.0, min_observations),
        (p >= best_threshold(draws)) & compared,
        means >= GOOD_MIN_MEAN,
    ]
    return np.select(conditions, [LEARNING, BEST, GOOD], default=LOW)


def dimension_seed(element_name: str) -> list[int]:
    """The fixed seed of one dimension's P(best): its own, so adding or removing a dimension never
    changes another's numbers."""
    return [PROB_BEST_SEED, zlib.crc32(element_name.encode("utf-8"))]


def _one_brand(scores: pd.DataFrame) -> pd.DataFrame:
    if "brand_id" in scores.columns and scores["brand_id"].nunique() > 1:
        raise ValueError("scores must hold one brand; filter by brand_id first")
    return scores


def describe_posteriors(scores: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The posteriors view of one brand's scores (docs/ARCHITECTURE.md), sorted by element, mean ↓.

    P(best) is computed per element dimension over its values, with `settings.prob_best_draws`
    draws from the dimension's fixed seed (`dimension_seed`): the same posteriors always show the
    same P(best) and labels, whoever reads them. `evidence` says what each value rests on:
    own ads, a borrowed prior only, or nothing yet (genome.posteriors.evidence_kind).
    """
    scores = _one_brand(scores)
    if scores.empty:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in POSTERIOR_COLUMNS})
    view = pd.DataFrame(
        {
            "element_name": scores["element_name"].to_numpy(),
            "element_value": scores["element_value"].to_numpy(),
            "alpha": scores["alpha"].to_numpy(dtype=np.float64),
            "beta": scores["beta"].to_numpy(dtype=np.float64),
            "observations": scores["total_observations"].to_numpy(dtype=np.float64),
            "prior_source": (
                scores["prior_source"].to_numpy() if "prior_source" in scores.columns else "uniform"
            ),
        }
    ).sort_values(["element_name", "element_value"], ignore_index=True)
    view["mean"] = view["alpha"] / (view["alpha"] + view["beta"])
    view["ci_low"], view["ci_high"] = credible_interval(view["alpha"], view["beta"])
    p_best = np.empty(len(view))
    for name, rows in view.groupby("element_name", sort=True).indices.items():
        rng = np.random.default_rng(dimension_seed(str(name)))
        alpha, beta = view["alpha"].to_numpy()[rows], view["beta"].to_numpy()[rows]
        p_best[rows] = prob_best(alpha, beta, settings.prob_best_draws, rng)
    view["p_best"] = p_best
    view["evidence"] = evidence_kind(view["observations"], view["prior_source"])
    sizes = view.groupby("element_name")["element_value"].transform("size")
    view["label"] = label_values(
        view["mean"],
        view["p_best"],
        view["observations"],
        settings.label_min_observations,
        sizes,
        settings.prob_best_draws,
    )
    view = view.sort_values(
        ["element_name", "mean"], ascending=[True, False], kind="stable", ignore_index=True
    )
    return view[POSTERIOR_COLUMNS]


@dataclass(frozen=True)
class Recommendation:
    """One Thompson draw per dimension: the chosen value, which dimensions explored, the seed."""

    elements: dict[str, str]
    explored: tuple[str, ...]
    exploration_rate: float
    seed: int | None = None  # None when the caller passed its own generator

    def to_dict(self) -> dict:
        return {
            "elements": dict(self.elements),
            "explored": list(self.explored),
            "exploration_rate": self.exploration_rate,
            "seed": self.seed,
        }


def _arms(
    scores: pd.DataFrame, candidates: Mapping[str, Sequence[str]] | None
) -> tuple[NDArray[np.str_], NDArray[np.str_], NDArray[np.float64], NDArray[np.float64]]:
    """(names, values, alpha, beta) of the arms, sorted by (name, value): plain numpy, because
    `recommend` sits on the generator's hot path and pandas costs milliseconds on small frames."""
    names = scores["element_name"].to_numpy(dtype=str)
    values = scores["element_value"].to_numpy(dtype=str)
    alpha = scores["alpha"].to_numpy(dtype=np.float64)
    beta = scores["beta"].to_numpy(dtype=np.float64)
    if candidates is not None:
        if not isinstance(candidates, Mapping):
            raise ValueError("candidates must map element names to lists of values")
        wanted = dict.fromkeys(
            (str(name), str(value)) for name, items in candidates.items() for value in items
        )
        scored = {pair: row for row, pair in enumerate(zip(names.tolist(), values.tolist(), strict=True))}
        rows = np.array([scored.get(pair, -1) for pair in wanted], dtype=np.int64)
        names = np.array([name for name, _ in wanted], dtype=str)
        values = np.array([value for _, value in wanted], dtype=str)
        # an unscored candidate (row -1) reads the uniform prior appended at the end
        alpha = np.append(alpha, UNIFORM_PRIOR[0])[rows]
        beta = np.append(beta, UNIFORM_PRIOR[1])[rows]
    order = np.lexsort((values, names))
    return names[order], values[order], alpha[order], beta[order]


def recommend(
    scores: pd.DataFrame,
    exploration_rate: float,
    rng: np.random.Generator | int | None = None,
    candidates: Mapping[str, Sequence[str]] | None = None,
    seed: int | None = None,
) -> Recommendation:
    """Pick one value per element dimension.

    With probability `exploration_rate` a dimension explores: a uniformly random candidate value.
    Otherwise it exploits: one Thompson draw per value, and the highest draw wins. Without
    `candidates` every dimension and value in `scores` takes part; with it, exactly the listed
    dimensions and values do, and a listed value without a score gets the uniform prior Beta(1, 1).
    `rng` may be a Generator (pass the `seed` that made it to have it reported), a seed, or None
    (a fresh seed is drawn); `.seed` replays the draw.
    """
    if not 0 <= exploration_rate <= 1:
        raise ValueError(f"exploration_rate must be between 0 and 1, got {exploration_rate!r}")
    if not isinstance(rng, np.random.Generator):
        if seed is not None and rng is not None and seed != rng:
            raise ValueError("give the seed once: as rng or as seed")
        rng, seed = make_rng(seed if rng is None else rng)
    names, values, alpha, beta = _arms(_one_brand(scores), candidates)
    if len(names) == 0:
        return Recommendation({}, (), float(exploration_rate), seed)
    dimensions, codes = np.unique(names, return_inverse=True)
    # Fixed draw order: exploration coins, then Thompson draws, then the exploring picks.
    explores = rng.random(len(dimensions)) < exploration_rate
    draws = thompson_sample(alpha, beta, rng)
    sizes = np.bincount(codes, minlength=len(dimensions))
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    random_pick = first + rng.integers(0, sizes)
    by_draw = np.lexsort((np.arange(len(draws)), -draws, codes))  # per dimension, highest draw first
    best_pick = by_draw[first]
    picks = np.where(explores, random_pick, best_pick)
    return Recommendation(
        elements=dict(zip(names[picks].tolist(), values[picks].tolist(), strict=True)),
        explored=tuple(dimensions[explores].tolist()),
        exploration_rate=float(exploration_rate),
        seed=seed,
    )
