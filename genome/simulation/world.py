"""The simulated world: true element effects, the oracle, policies, and ad performance.

Every run (one seed) is one brand. An ad's true quality is additive on the logit scale: the sum
of the effects of its element values, plus an optional interaction between the first two
dimensions. Quality raises CTR and conversion rate alike (and so ROAS):
ctr = sigmoid(logit(base_ctr) + q), conversion rate = sigmoid(logit(base_conversion_rate) + q).
The *value* of a configuration is its true expected conversions per 1,000 impressions; the oracle
configuration maximises it, and regret is the value an ad gives up against the oracle.

Arrays are shaped (runs, dimensions, values); dimensions with fewer values are padded and the
padding is masked out (`World.valid`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from genome.settings import DEFAULT_TRACKED_ELEMENTS, PosteriorMode, Settings

#: values per tracked element in the default world (a plausible brand: 6 hooks, 4 colour modes, …)
DEFAULT_DIMENSIONS: Mapping[str, int] = MappingProxyType(
    dict(zip(DEFAULT_TRACKED_ELEMENTS, (6, 4, 5, 3, 4, 3), strict=True))
)
WORLD_STREAM = 0  # the world of seed s comes from default_rng([s, WORLD_STREAM]), whatever else runs


@dataclass(frozen=True)
class Policy:
    """How a simulated brand picks element values for its next ads.

    `uniform` picks every value uniformly at random. `thompson` draws once from each value's Beta
    posterior and takes the best, except that each dimension explores (a uniform value) with the
    cold-start exploration rate when `explore` is on.
    """

    name: str
    kind: Literal["uniform", "thompson"]
    posterior_mode: PosteriorMode = "fractional"
    decay_half_life_days: float = 0.0
    explore: bool = True
    #: with a `StudyConfig.network_prior`: borrow it (False: start from Beta(1, 1)), capped at this
    #: many pseudo-observations (0: no cap) — the GENOME_PRIOR_MAX_WEIGHT rule
    borrow: bool = True
    prior_max_weight: float = 0.0
    #: (floor, start, scale) of the exploration rate; None: those of `StudyConfig.settings`
    exploration: tuple[float, float, float] | None = None


def default_policies(decay_half_life_days: float = 30.0) -> tuple[Policy, ...]:
    """The four policies the issue compares: uniform, reference rule, genome default, genome + decay."""
    return (
        Policy("uniform random", "uniform"),
        Policy("reference (binary)", "thompson", posterior_mode="binary"),
        Policy("genome (fractional)", "thompson", posterior_mode="fractional"),
        Policy(
            f"genome + decay {decay_half_life_days:g}d",
            "thompson",
            posterior_mode="fractional",
            decay_half_life_days=decay_half_life_days,
        ),
    )


@dataclass(frozen=True)
class NetworkPrior:
    """What a large sharing brand reports about every value, as the brand's borrowed prior.

    Its favourite value of each dimension (mean reward `favourite_reward`) is the brand's true
    worst value when `agrees` is False (an adversarial network) or its true best when True; every
    other value has mean reward `other_reward`. Each value has `observations` of its ads behind it.
    The brand borrows it through `genome.priors.borrowed_prior` (shrinkage, floor and cap).
    """

    agrees: bool = False
    observations: float = 1000.0
    favourite_reward: float = 0.8
    other_reward: float = 0.3


@dataclass(frozen=True)
class StudyConfig:
    """One simulated setting: the world, the ad flow, the refresh cadence and the policies compared."""

    dimensions: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_DIMENSIONS))
    days: int = 90
    ads_per_day: int = 10
    refresh_every_days: int = 3
    effect_scale: float = 0.15  # sd of the true logit effect of an element value
    interaction_scale: float = 0.0  # sd of the logit interaction of the first two dimensions' values
    drift_day: int | None = None  # from this day on, the true effects are the drifted ones
    drift_correlation: float = 0.0  # correlation of drifted and original effects (−1: reversed)
    impressions_per_day: float = 300.0
    flight_days: int = 14  # days an ad delivers
    base_ctr: float = 0.01
    base_conversion_rate: float = 0.02
    cpm: float = 10.0  # spend per 1,000 impressions
    order_value: float = 60.0  # revenue per conversion
    campaign_objective: str = ""  # '' → DEFAULT reward weights
    policies: tuple[Policy, ...] = field(default_factory=default_policies)
    settings: Settings = field(default_factory=Settings)  # maturity, baselines, prior and exploration rules
    network_prior: NetworkPrior | None = None  # None: every value starts from Beta(1, 1)

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot be simulated."""
        problems = [
            (not self.dimensions, "name at least one dimension"),
            (any(int(n) < 2 for n in self.dimensions.values()), "every dimension needs at least 2 values"),
            (self.days < 1, "days must be at least 1"),
            (self.ads_per_day < 1, "ads_per_day must be at least 1"),
            (self.refresh_every_days < 1, "refresh_every_days must be at least 1"),
            (self.flight_days < 1, "flight_days must be at least 1"),
            (self.effect_scale < 0 or self.interaction_scale < 0, "effect scales cannot be negative"),
            (self.interaction_scale > 0 and len(self.dimensions) < 2, "an interaction needs 2 dimensions"),
            (
                self.drift_day is not None and not 0 < self.drift_day < self.days,
                "drift_day must fall inside the run",
            ),
            (not -1 <= self.drift_correlation <= 1, "drift_correlation must be between -1 and 1"),
            (self.impressions_per_day <= 0, "impressions_per_day must be positive"),
            (
                not (0 < self.base_ctr < 1 and 0 < self.base_conversion_rate < 1),
                "base rates must be in (0, 1)",
            ),
            (self.cpm <= 0 or self.order_value <= 0, "cpm and order_value must be positive"),
            (not self.policies, "name at least one policy"),
            (len({p.name for p in self.policies}) != len(self.policies), "policy names must be unique"),
            (any(p.decay_half_life_days < 0 for p in self.policies), "decay half-life cannot be negative"),
        ]
        for failed, message in problems:
            if failed:
                raise ValueError(message)


@dataclass(frozen=True)
class Truth:
    """True logit effects in force over some days, with their oracle configuration."""

    effects: NDArray[np.float64]  # (runs, dims, values); padding 0
    interaction: NDArray[np.float64]  # (runs, values, values) between dimensions 0 and 1; zeros if none
    oracle: NDArray[np.int64]  # (runs, dims) the value index of the best configuration
    oracle_quality: NDArray[np.float64]  # (runs,) its logit quality
    worst: NDArray[np.int64]  # (runs, dims) the value index with the lowest effect in each dimension


@dataclass(frozen=True)
class World:
    """The truths of every run: `before` the drift day (or always), `after` it (None: no drift)."""

    config: StudyConfig
    seeds: tuple[int, ...]
    valid: NDArray[np.bool_]  # (dims, values) which padded slots are real values
    sizes: NDArray[np.int64]  # (dims,) values per dimension
    before: Truth
    after: Truth | None

    def truth_on(self, day: int) -> Truth:
        drift_day = self.config.drift_day
        return (
            self.after
            if self.after is not None and drift_day is not None and day >= drift_day
            else self.before
        )

    def quality(
        self, truth: Truth, runs: NDArray[np.int64], choices: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Logit quality of ads: `runs` (n,), `choices` (n, dims) value indices."""
        dims = np.arange(choices.shape[1])
        total = truth.effects[runs[:, None], dims, choices].sum(axis=1)
        return total + truth.interaction[runs, choices[:, 0], choices[:, min(1, choices.shape[1] - 1)]]

    def value(self, quality: NDArray[np.float64]) -> NDArray[np.float64]:
        """True expected conversions per 1,000 impressions at logit quality `quality`."""
        ctr, conversion_rate = self.rates(quality)
        return 1000.0 * ctr * conversion_rate

    def rates(self, quality: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """True (CTR, conversion rate) at logit quality `quality`."""
        return (
            _sigmoid(_logit(self.config.base_ctr) + quality),
            _sigmoid(_logit(self.config.base_conversion_rate) + quality),
        )


def build_world(config: StudyConfig, seeds: tuple[int, ...]) -> World:
    """The true effects of every seed; seed s always gets the same world, whatever runs beside it."""
    sizes = np.array([int(n) for n in config.dimensions.values()], dtype=np.int64)
    width = int(sizes.max())
    valid = np.arange(width)[None, :] < sizes[:, None]
    draws = [_draw_seed(seed, len(sizes), width) for seed in seeds]
    effects, interaction, fresh_effects, fresh_interaction = (
        np.stack(part) for part in zip(*draws, strict=True)
    )
    before = _truth(effects, interaction, valid, sizes, config)
    after = None
    if config.drift_day is not None:
        rho = config.drift_correlation
        mix = np.sqrt(1.0 - rho**2)
        after = _truth(
            rho * effects + mix * fresh_effects,
            rho * interaction + mix * fresh_interaction,
            valid,
            sizes,
            config,
        )
    return World(config, tuple(seeds), valid, sizes, before, after)


def _draw_seed(seed: int, dims: int, width: int) -> tuple[NDArray[np.float64], ...]:
    """Standard normal draws of one seed: effects, interaction, and the fresh parts of a drift."""
    rng = np.random.default_rng([seed, WORLD_STREAM])
    return (
        rng.standard_normal((dims, width)),
        rng.standard_normal((width, width)),
        rng.standard_normal((dims, width)),
        rng.standard_normal((width, width)),
    )


def _truth(
    effect_draws: NDArray[np.float64],
    interaction_draws: NDArray[np.float64],
    valid: NDArray[np.bool_],
    sizes: NDArray[np.int64],
    config: StudyConfig,
) -> Truth:
    """Scale and centre the draws, mask the padding, and find the oracle configuration."""
    dims, width = valid.shape
    effects = config.effect_scale * effect_draws * valid
    effects -= (effects.sum(axis=2, keepdims=True) / sizes[None, :, None]) * valid  # mean 0 per dimension
    interaction = config.interaction_scale * interaction_draws
    if dims >= 2:
        pair_valid = valid[0][:, None] & valid[1][None, :]
        interaction = interaction * pair_valid
    else:
        interaction = np.zeros_like(interaction)
    masked = np.where(valid, effects, -np.inf)
    oracle = masked.argmax(axis=2)
    if dims >= 2:
        pair = masked[:, 0, :, None] + masked[:, 1, None, :] + interaction  # (runs, v0, v1)
        best_pair = pair.reshape(len(pair), -1).argmax(axis=1)
        oracle[:, 0], oracle[:, 1] = np.divmod(best_pair, width)
    runs = np.arange(len(effects))
    quality = effects[runs[:, None], np.arange(dims), oracle].sum(axis=1)
    quality += interaction[runs, oracle[:, 0], oracle[:, min(1, dims - 1)]]
    worst = np.where(valid, effects, np.inf).argmin(axis=2)
    return Truth(effects, interaction, oracle.astype(np.int64), quality, worst.astype(np.int64))


def _sigmoid(x: NDArray[np.float64] | float) -> NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))
