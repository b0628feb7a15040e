"""The classic Bernoulli bandit check of Thompson sampling (Chapelle & Li, 2011).

K arms; the best has mean `best_mean` (0.5), the others `best_mean − delta`. Every step each run
draws once from every arm's Beta posterior with `genome.sampling.thompson_sample`, pulls the arm
with the highest draw, and updates it with the Bernoulli outcome. Regret is the expected
(pseudo-)regret Σ (μ* − μ_arm pulled). Lai & Robbins (1985): no consistent policy does better,
asymptotically, than Σ_{i suboptimal} (μ* − μ_i) / KL(μ_i, μ*) · log t.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from genome.sampling import thompson_sample
from genome.simulation.study import BAND, _seeds

BANDIT_STREAM = 1  # the generator of a check is default_rng([*seeds, BANDIT_STREAM, k])
PROGRESS_EVERY = 1_000  # steps between progress callbacks
CHECK_COLUMNS = (
    "step",
    "regret_mean",
    "regret_std",
    "regret_low",
    "regret_high",
    "lai_robbins",
    "k",
    "delta",
)


def bernoulli_kl(p: ArrayLike, q: ArrayLike) -> NDArray[np.float64]:
    """KL(Bernoulli(p) ‖ Bernoulli(q)) in nats; p and q in (0, 1)."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


def lai_robbins_curve(means: ArrayLike, steps: ArrayLike) -> NDArray[np.float64]:
    """The Lai–Robbins lower bound on expected regret at each step t: Σ Δ_i / KL(μ_i, μ*) · log t."""
    means = np.asarray(means, dtype=np.float64)
    best = means.max()
    suboptimal = means[means < best]
    constant = float(np.sum((best - suboptimal) / bernoulli_kl(suboptimal, best)))
    return constant * np.log(np.asarray(steps, dtype=np.float64))


def bernoulli_check(
    k: int,
    delta: float,
    horizon: int,
    seeds: int | Sequence[int],
    progress: Callable[[float], None] | None = None,
    best_mean: float = 0.5,
    checkpoints: int = 200,
) -> pd.DataFrame:
    """Regret of Thompson sampling over time against the Lai–Robbins curve, over seeds.

    Returns CHECK_COLUMNS at about `checkpoints` log-spaced steps up to `horizon` (the last row is
    the horizon): regret mean, sd and BAND percentiles over the runs, and the bound at that step.
    All runs step together, so the seeds are simulated as one vectorised batch.
    """
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    if not 0 < delta < best_mean < 1:
        raise ValueError("need 0 < delta < best_mean < 1")
    if horizon < 1 or checkpoints < 1:
        raise ValueError("horizon and checkpoints must be at least 1")
    seeds = _seeds(seeds)
    runs = len(seeds)
    means = np.full(k, best_mean - delta)
    means[0] = best_mean
    gaps = best_mean - means
    rng = np.random.default_rng([*seeds, BANDIT_STREAM, k])
    alpha = np.ones((runs, k))
    beta = np.ones((runs, k))
    regret = np.zeros(runs)
    steps = np.unique(np.geomspace(1, horizon, checkpoints).round().astype(np.int64))
    recorded = np.zeros((len(steps), runs))
    rows = np.arange(runs)
    next_checkpoint = 0
    for t in range(1, horizon + 1):
        arm = thompson_sample(alpha, beta, rng).argmax(axis=1)
        reward = rng.random(runs) < means[arm]
        alpha[rows, arm] += reward
        beta[rows, arm] += ~reward
        regret += gaps[arm]
        if t == steps[next_checkpoint]:
            recorded[next_checkpoint] = regret
            next_checkpoint += 1
        if progress is not None and (t % PROGRESS_EVERY == 0 or t == horizon):
            progress(t / horizon)
    low, high = np.percentile(recorded, BAND, axis=1)
    return pd.DataFrame(
        {
            "step": steps,
            "regret_mean": recorded.mean(axis=1),
            "regret_std": recorded.std(axis=1, ddof=1) if runs > 1 else np.nan,
            "regret_low": low,
            "regret_high": high,
            "lai_robbins": lai_robbins_curve(means, steps),
            "k": k,
            "delta": delta,
        }
    )
