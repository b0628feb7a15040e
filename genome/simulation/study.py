"""Run policies on the same simulated worlds and report regret and best-value share over time.

Each day every run (brand) generates `ads_per_day` ads with its policy. Every `refresh_every_days`
days the genome refreshes with `as_of` = yesterday: performance delivered so far is revealed, the
real reward code (`genome.rewards.compute_rewards`) scores the ads whose CTR has matured, and the
Beta posteriors are recomputed from all current rewards (fractional or binary, optional decay),
vectorised across runs as arrays shaped (runs, dimensions, values).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from genome.coldstart import exploration_parameters, exploration_rate
from genome.posteriors import BINARY_THRESHOLD
from genome.priors import borrowed_prior
from genome.rewards import compute_rewards
from genome.sampling import thompson_sample
from genome.simulation.world import Policy, StudyConfig, World, build_world

Progress = Callable[[float], None]
START_DATE = np.datetime64("2025-01-01", "D")  # day 0 of every simulated run
BAND = (10, 90)  # percentiles of the spread band reported beside mean and sd
METRICS = ("cumulative_regret", "regret_per_ad", "best_share", "worst_share")
SUMMARY_WINDOW_DAYS = 7  # the final best-value share is the mean over the last days


@dataclass(frozen=True)
class StudyResult:
    """Everything a table or plot needs.

    runs: policy, seed, day, regret_per_ad, cumulative_regret, best_share, worst_share, oracle_value
      (one row per policy × seed × day; regret is in conversions per 1,000 impressions, summed over
      ads for the cumulative column; worst_share: share of choices at the true worst value).
    curves: policy, day, metric, mean, std, low, high over seeds (low/high: the BAND percentiles).
    summary: one row per policy at the horizon (see `summarise`).
    """

    config: StudyConfig
    seeds: tuple[int, ...]
    runs: pd.DataFrame
    curves: pd.DataFrame
    summary: pd.DataFrame


def run_study(
    config: StudyConfig, seeds: int | Sequence[int], progress: Progress | None = None
) -> StudyResult:
    """Simulate every policy of `config` on the worlds of `seeds` (an int n means seeds 0..n-1).

    `progress(fraction)` is called after every simulated day with the share of the work done.
    """
    config.validate()
    seeds = _seeds(seeds)
    world = build_world(config, seeds)
    frames = []
    total = len(config.policies) * config.days
    for index, policy in enumerate(config.policies):

        def step(day: int, index: int = index) -> None:
            if progress is not None:
                progress((index * config.days + day + 1) / total)

        regret, best_share, worst_share, oracle_value = simulate_policy(world, policy, step)
        frames.append(
            _runs_frame(policy.name, seeds, regret, best_share, worst_share, oracle_value, config.ads_per_day)
        )
    runs = pd.concat(frames, ignore_index=True)
    return StudyResult(config, seeds, runs, curves(runs), summarise(runs, config))


def simulate_policy(
    world: World, policy: Policy, on_day: Callable[[int], None] | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """One policy on every run of `world`: (regret per ad, best-value share, worst-value share,
    oracle value), each (runs, days)."""
    config, runs, dims = world.config, len(world.seeds), len(world.sizes)
    per_day = runs * config.ads_per_day
    rng = np.random.default_rng([*world.seeds, zlib.crc32(policy.name.encode())])
    ads = _AdBook(runs, dims, config)
    prior = prior_arrays(world, policy)
    alpha, beta = prior
    matured = np.zeros(runs)
    regret = np.zeros((runs, config.days))
    best_share = np.zeros((runs, config.days))
    worst_share = np.zeros((runs, config.days))
    oracle_value = np.zeros((runs, config.days))
    for day in range(config.days):
        if day > 0 and day % config.refresh_every_days == 0:
            alpha, beta, matured = _refresh(world, policy, ads, day, rng, prior)
        block = slice(day * per_day, (day + 1) * per_day)
        choices = _choose(world, policy, alpha, beta, matured, rng)  # (runs, ads_per_day, dims)
        picked = choices.reshape(per_day, dims)
        before = world.quality(world.before, ads.run[block], picked)
        after = before if world.after is None else world.quality(world.after, ads.run[block], picked)
        ads.choice[block], ads.quality_before[block], ads.quality_after[block] = picked, before, after
        truth = world.truth_on(day)
        best = world.value(truth.oracle_quality)
        chosen = world.value(after if truth is world.after else before)
        regret[:, day] = best - chosen.reshape(runs, config.ads_per_day).mean(axis=1)
        best_share[:, day] = (choices == truth.oracle[:, None, :]).mean(axis=(1, 2))
        worst_share[:, day] = (choices == truth.worst[:, None, :]).mean(axis=(1, 2))
        oracle_value[:, day] = best
        if on_day is not None:
            on_day(day)
    return regret, best_share, worst_share, oracle_value


def prior_arrays(world: World, policy: Policy) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The prior (alpha, beta) per (run, dimension, value): Beta(1, 1), or with a network prior the
    network's data-only Beta(1 + n·m, 1 + n·(1 − m)) borrowed by the genome's rule
    (`genome.priors.borrowed_prior`) with the policy's cap."""
    shape = (len(world.seeds), len(world.sizes), world.valid.shape[1])
    network = world.config.network_prior
    if network is None or not policy.borrow or policy.kind == "uniform":
        return np.ones(shape), np.ones(shape)
    favourite = world.before.oracle if network.agrees else world.before.worst
    is_favourite = np.arange(shape[2])[None, None, :] == favourite[:, :, None]
    mean = np.where(is_favourite, network.favourite_reward, network.other_reward)
    settings = replace(world.config.settings, prior_max_weight=policy.prior_max_weight)
    alpha, beta = borrowed_prior(
        1.0 + network.observations * mean, 1.0 + network.observations * (1.0 - mean), settings
    )
    return alpha, beta


class _AdBook:
    """Every ad of one policy's simulation, preallocated in creation order (day, run, ad).

    Holds each ad's run, creation day, value indices, true quality before and after a drift, and
    its cumulative delivery (days, impressions, clicks, conversions).
    """

    def __init__(self, runs: int, dims: int, config: StudyConfig) -> None:
        total = config.days * runs * config.ads_per_day
        self.run = np.tile(np.repeat(np.arange(runs), config.ads_per_day), config.days)
        self.created = np.repeat(np.arange(config.days), runs * config.ads_per_day)
        self.choice = np.zeros((total, dims), dtype=np.int64)
        self.quality_before = np.zeros(total)
        self.quality_after = np.zeros(total)
        self.delivered_days = np.zeros(total, dtype=np.int64)
        self.counts = np.zeros((total, 3))  # impressions, clicks, conversions
        # string columns are built once and sliced: building Arrow strings on every refresh dominates
        self.ad_id = pd.array(np.arange(total).astype(str), dtype="str")
        self.brand_id = pd.array(np.char.add("run", self.run.astype(str)), dtype="str")
        self.objective = pd.array(np.full(total, config.campaign_objective), dtype="str")


def _choose(
    world: World,
    policy: Policy,
    alpha: NDArray[np.float64],
    beta: NDArray[np.float64],
    matured: NDArray[np.float64],
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """(runs, ads_per_day, dims) value indices for the day's ads."""
    runs, dims, width = alpha.shape
    shape = (runs, world.config.ads_per_day, dims)
    uniform = np.floor(rng.random(shape) * world.sizes).astype(np.int64)
    if policy.kind == "uniform":
        return uniform
    full = (runs, world.config.ads_per_day, dims, width)
    draws = thompson_sample(np.broadcast_to(alpha[:, None], full), np.broadcast_to(beta[:, None], full), rng)
    best = np.where(world.valid, draws, -np.inf).argmax(axis=3)
    if not policy.explore:
        return best
    parameters = (
        exploration_parameters(world.config.settings)
        if policy.exploration is None
        else dict(zip(("floor", "start", "scale"), policy.exploration, strict=True))
    )
    explores = rng.random(shape) < np.asarray(exploration_rate(matured, **parameters))[:, None, None]
    return np.where(explores, uniform, best)


def _refresh(
    world: World,
    policy: Policy,
    ads: _AdBook,
    day: int,
    rng: np.random.Generator,
    prior: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Reveal delivery up to yesterday, score rewards with the real reward code, rebuild posteriors."""
    config = world.config
    runs, dims, width = len(world.seeds), len(world.sizes), world.valid.shape[1]
    as_of_day = day - 1
    known = day * runs * config.ads_per_day  # ads created before today
    _deliver(world, ads, known, day, rng)
    first_date = np.where(
        ads.delivered_days[:known] > 0, START_DATE + ads.created[:known], np.datetime64("NaT")
    ).astype("datetime64[ns]")
    spend = ads.counts[:known, 0] * config.cpm / 1000.0
    frame = pd.DataFrame(
        {
            "ad_id": ads.ad_id[:known],
            "brand_id": ads.brand_id[:known],
            "impressions": ads.counts[:known, 0],
            "clicks": ads.counts[:known, 1],
            "conversions": ads.counts[:known, 2],
            "spend": spend,
            "revenue": ads.counts[:known, 2] * config.order_value,
            "first_date": first_date,
            "campaign_objective": ads.objective[:known],
        }
    )
    as_of = pd.Timestamp(START_DATE + as_of_day).date()
    rewards = compute_rewards(frame, as_of, config.settings)
    position = rewards["ad_id"].to_numpy().astype(np.int64)
    alpha, beta = posterior_arrays(
        ads.run[position],
        ads.choice[position],
        rewards["reward_score"].to_numpy(dtype=np.float64),
        as_of_day - ads.created[position],
        policy,
        (runs, dims, width),
        prior,
    )
    return alpha, beta, np.bincount(ads.run[position], minlength=runs).astype(float)


def posterior_arrays(
    run: NDArray[np.int64],
    choice: NDArray[np.int64],
    reward: NDArray[np.float64],
    age_days: NDArray[np.float64],
    policy: Policy,
    shape: tuple[int, int, int],
    prior: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Beta(α₀ + Σ w·s, β₀ + Σ w·(1 − s)) per (run, dimension, value) from rewarded ads, with the
    prior (α₀, β₀) arrays of `prior` (None: Beta(1, 1)).

    One ad per row: its run, its value index per dimension `choice` (n, dims), its reward and its
    age in days at the refresh. s is the reward (fractional) or [reward ≥ 0.5] (binary); w is
    0.5 ** (age / half-life) with decay, else 1 — the same rule as `genome.posteriors`, summed
    with one bincount over every run instead of a group-by per brand.
    """
    runs, dims, width = shape
    weight = np.ones(len(reward))
    if policy.decay_half_life_days > 0:
        weight = 0.5 ** (np.clip(age_days, 0, None) / policy.decay_half_life_days)
    share = (reward >= BINARY_THRESHOLD).astype(float) if policy.posterior_mode == "binary" else reward
    cells = ((run[:, None] * dims + np.arange(dims)) * width + choice).ravel()  # (n·dims,)
    size = runs * dims * width
    successes = np.bincount(cells, np.repeat(weight * share, dims), minlength=size)
    failures = np.bincount(cells, np.repeat(weight * (1.0 - share), dims), minlength=size)
    prior_alpha, prior_beta = (1.0, 1.0) if prior is None else prior
    return prior_alpha + successes.reshape(shape), prior_beta + failures.reshape(shape)


def _deliver(world: World, ads: _AdBook, known: int, day: int, rng: np.random.Generator) -> None:
    """Add the impressions, clicks and conversions each ad earned since the last refresh, up to yesterday.

    Delivery on a day follows the truth in force that day, so an ad that runs across the drift day
    performs by the old effects before it and by the new ones after.
    """
    config = world.config
    created = ads.created[:known]
    now = np.clip(day - created, 0, config.flight_days)
    active = np.flatnonzero(now > ads.delivered_days[:known])
    if active.size == 0:
        return
    start_day = created[active] + ads.delivered_days[active]
    end_day = created[active] + now[active]
    drift_day = config.drift_day if config.drift_day is not None else end_day.max() + 1
    days_before = np.clip(np.minimum(end_day, drift_day) - start_day, 0, None)
    days_after = (end_day - start_day) - days_before
    added = np.zeros((active.size, 3))
    for days, quality in ((days_before, ads.quality_before[active]), (days_after, ads.quality_after[active])):
        ctr, conversion_rate = world.rates(quality)
        impressions = rng.poisson(config.impressions_per_day * days)
        clicks = rng.binomial(impressions, ctr)
        added += np.column_stack([impressions, clicks, rng.binomial(clicks, conversion_rate)])
    ads.counts[active] += added
    ads.delivered_days[active] = now[active]


def _seeds(seeds: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be at least 1, got {seeds}")
        return tuple(range(int(seeds)))
    values = tuple(seeds)
    if not values:
        raise ValueError("seeds must not be empty")
    if any(isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 0 for s in values):
        raise ValueError("seeds must be non-negative integers")
    if len(set(values)) != len(values):
        raise ValueError("seeds must be distinct")
    return tuple(int(s) for s in values)


def _runs_frame(
    policy: str,
    seeds: tuple[int, ...],
    regret: NDArray[np.float64],
    best_share: NDArray[np.float64],
    worst_share: NDArray[np.float64],
    oracle_value: NDArray[np.float64],
    ads_per_day: int,
) -> pd.DataFrame:
    runs, days = regret.shape
    return pd.DataFrame(
        {
            "policy": policy,
            "seed": np.repeat(np.asarray(seeds, dtype=np.int64), days),
            "day": np.tile(np.arange(days), runs),
            "regret_per_ad": regret.ravel(),
            "cumulative_regret": np.cumsum(regret * ads_per_day, axis=1).ravel(),
            "best_share": best_share.ravel(),
            "worst_share": worst_share.ravel(),
            "oracle_value": oracle_value.ravel(),
        }
    )


def curves(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd and the BAND percentiles over seeds of every metric, per policy and day (long format)."""
    long = runs.melt(id_vars=["policy", "seed", "day"], value_vars=list(METRICS), var_name="metric")
    grouped = long.groupby(["policy", "metric", "day"], sort=False)["value"]
    low, high = BAND
    frame = pd.DataFrame(
        {
            "mean": grouped.mean(),
            "std": grouped.std(),
            "low": grouped.quantile(low / 100),
            "high": grouped.quantile(high / 100),
        }
    ).reset_index()
    return frame[["policy", "day", "metric", "mean", "std", "low", "high"]]


def first_day_reaching(curves: pd.DataFrame, metric: str, level: float) -> pd.Series:
    """Per policy, the first day the seed-mean of `metric` reaches `level` (NaN if it never does)."""
    rows = curves[curves["metric"] == metric]
    reached = rows[rows["mean"] >= level].groupby("policy", sort=False)["day"].min()
    policies = rows["policy"].drop_duplicates()
    return reached.reindex(policies.to_numpy()).rename(f"first_day_{metric}_{level:g}")


def summarise(runs: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """One row per policy (in config order) at the horizon.

    cumulative_regret_{mean,std,low,high}: over seeds, at the last day; regret_vs_uniform: mean
    cumulative regret as a share of the uniform policy's (NaN without a uniform policy);
    value_lost: Σ regret / Σ oracle value; best_share_final: mean share of dimensions at their true
    best value over the last SUMMARY_WINDOW_DAYS days; with drift also regret_after_drift_{mean,std}:
    cumulative regret from the drift day on.
    """
    last = runs["day"] == runs["day"].max()
    window = runs["day"] > runs["day"].max() - SUMMARY_WINDOW_DAYS
    by_seed = runs.groupby(["policy", "seed"], sort=False)
    final = runs[last].set_index(["policy", "seed"])
    per_seed = pd.DataFrame(
        {
            "cumulative_regret": final["cumulative_regret"],
            "value_lost": by_seed["regret_per_ad"].sum() / by_seed["oracle_value"].sum(),
            "best_share_final": runs[window].groupby(["policy", "seed"], sort=False)["best_share"].mean(),
        }
    )
    if config.drift_day is not None:
        after = runs[runs["day"] >= config.drift_day]
        per_seed["regret_after_drift"] = (
            after.groupby(["policy", "seed"], sort=False)["regret_per_ad"].sum() * config.ads_per_day
        )
    low, high = BAND
    grouped = per_seed.groupby(level="policy", sort=False)
    table = pd.DataFrame(
        {
            "cumulative_regret_mean": grouped["cumulative_regret"].mean(),
            "cumulative_regret_std": grouped["cumulative_regret"].std(),
            "cumulative_regret_low": grouped["cumulative_regret"].quantile(low / 100),
            "cumulative_regret_high": grouped["cumulative_regret"].quantile(high / 100),
            "value_lost": grouped["value_lost"].mean(),
            "best_share_final": grouped["best_share_final"].mean(),
            "best_share_final_std": grouped["best_share_final"].std(),
        }
    )
    if config.drift_day is not None:
        table["regret_after_drift_mean"] = grouped["regret_after_drift"].mean()
        table["regret_after_drift_std"] = grouped["regret_after_drift"].std()
    uniform = [p.name for p in config.policies if p.kind == "uniform"]
    table.insert(
        4,
        "regret_vs_uniform",
        table["cumulative_regret_mean"] / table.loc[uniform[0], "cumulative_regret_mean"]
        if uniform
        else np.nan,
    )
    order = [p.name for p in config.policies if p.name in table.index]
    return table.loc[order].rename_axis("policy").reset_index()
