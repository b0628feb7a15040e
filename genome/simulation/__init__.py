"""Learning-quality simulator: does the genome find what works, how fast, and at what cost per setting.

Pure and seeded: numpy/pandas in, frames and frozen dataclasses out; no I/O. The public entry points:

- `run_study(config, seeds, progress=None) -> StudyResult`: policies compared on the same worlds;
  regret against the oracle configuration and share of ads at the true best value, over time.
- `bernoulli_check(k, delta, horizon, seeds, progress=None) -> DataFrame` and
  `lai_robbins_curve(means, steps)`: `thompson_sample` on the Chapelle & Li (2011) Bernoulli bandit.

See docs/SIMULATION.md for the model, the results and what they mean for the settings.
"""

from __future__ import annotations

from genome.simulation.bandit import CHECK_COLUMNS, bernoulli_check, bernoulli_kl, lai_robbins_curve
from genome.simulation.study import (
    METRICS,
    StudyResult,
    curves,
    first_day_reaching,
    run_study,
    simulate_policy,
    summarise,
)
from genome.simulation.world import (
    DEFAULT_DIMENSIONS,
    NetworkPrior,
    Policy,
    StudyConfig,
    World,
    build_world,
    default_policies,
)

__all__ = [
    "CHECK_COLUMNS",
    "DEFAULT_DIMENSIONS",
    "METRICS",
    "NetworkPrior",
    "Policy",
    "StudyConfig",
    "StudyResult",
    "World",
    "bernoulli_check",
    "bernoulli_kl",
    "build_world",
    "curves",
    "default_policies",
    "first_day_reaching",
    "lai_robbins_curve",
    "run_study",
    "simulate_policy",
    "summarise",
]
