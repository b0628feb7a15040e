"""Rewards x element tags (+ priors) -> Beta posteriors per (brand, element, value).

Posteriors are derived state: evidence is summed from the current rewards and added to the
priors, never incremented in place, so the same rewards always give the same posteriors whatever
their row order, and evidence summed over batches equals the evidence of their union.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import numpy as np
import pandas as pd

from genome.settings import Settings

KEY: Final = ["brand_id", "element_name", "element_value"]
EVIDENCE_COLUMNS: Final = (*KEY, "successes", "failures", "observations")
PRIOR_COLUMNS: Final = (*KEY, "prior_alpha", "prior_beta", "prior_source")
SCORE_COLUMNS: Final = (
    *KEY,
    "alpha",
    "beta",
    "prior_alpha",
    "prior_beta",
    "prior_source",
    "total_observations",
    "mean_reward",
)
UNIFORM_SOURCE: Final = "uniform"
# What a value's posterior rests on: the brand's own ads, only a prior borrowed from sharing
# brands, or nothing yet (the uniform prior).
OWN: Final = "own"
BORROWED: Final = "borrowed"
NO_EVIDENCE: Final = "none"
BINARY_THRESHOLD: Final = 0.5  # binary mode: a reward at or above this is a success


def ad_weights(rewards: pd.DataFrame, as_of: date, settings: Settings) -> np.ndarray:
    """Weight of each rewarded ad: imported `imported_ad_weight`, native 1.0, times time decay.

    Decay (when `decay_half_life_days` > 0) is 0.5 ** (age_days / half_life) with age from the ad's
    `created_at` to `as_of`, clipped at 0; an unknown `created_at` counts as age 0.
    """
    imported = rewards["is_imported"].fillna(False).to_numpy(dtype=bool)
    weights = np.where(imported, settings.imported_ad_weight, 1.0)
    if settings.decay_half_life_days > 0:
        created = pd.to_datetime(rewards["created_at"]).astype("datetime64[ns]")
        age_days = ((pd.Timestamp(as_of) - created) / pd.Timedelta(days=1)).to_numpy(float, na_value=0.0)
        weights = weights * 0.5 ** (np.clip(age_days, 0.0, None) / settings.decay_half_life_days)
    return weights


def element_evidence(
    rewards: pd.DataFrame, elements: pd.DataFrame, as_of: date, settings: Settings
) -> pd.DataFrame:
    """Weighted successes and failures per (brand, element, value), EVIDENCE_COLUMNS.

    `rewards` carries ad_id, brand_id, reward_score, is_imported, created_at; `elements` one row per
    (ad, element): ad_id, element_name, element_value (the brand is the rewarded ad's). Fractional mode adds w·r to
    successes and w·(1 − r) to failures; binary adds w to successes when r >= 0.5, else to failures.
    `observations` counts ads. Rows are summed in ad_id order, so row order never changes a bit.
    """
    _require(rewards, ("ad_id", "brand_id", "reward_score", "is_imported", "created_at"), "rewards")
    _require(elements, ("ad_id", "element_name", "element_value"), "elements")
    reward = rewards["reward_score"].to_numpy(dtype=float, na_value=np.nan)
    weight = ad_weights(rewards, as_of, settings)
    if settings.posterior_mode == "binary":
        success_share = (reward >= BINARY_THRESHOLD).astype(float)
    else:
        success_share = np.clip(reward, 0.0, 1.0)
    # rewarded ads in ad_id order, so sums accumulate in one order whatever order the rows came in
    all_ids = rewards["ad_id"].astype(str).array
    keep = np.flatnonzero(np.isfinite(reward))
    keep = keep[np.argsort(all_ids[keep], kind="stable")]
    ad_ids = all_ids[keep]
    if not pd.Index(ad_ids).is_unique:
        raise ValueError("rewards hold an ad_id more than once")
    successes, failures = (weight * success_share)[keep], (weight * (1.0 - success_share))[keep]
    brand_codes, brands = pd.factorize(rewards["brand_id"].astype(str).array[keep])

    # element rows of rewarded ads, in the same ad order; an untagged value (null) is skipped
    row = _reward_rows(ad_ids, elements["ad_id"].astype(str))
    tagged_rows = (
        (row >= 0)
        & elements["element_name"].notna().to_numpy()
        & elements["element_value"].notna().to_numpy()
    )
    tagged = np.flatnonzero(tagged_rows)
    tagged = tagged[np.argsort(row[tagged], kind="stable")]
    row = row[tagged]
    name_codes, names = pd.factorize(elements["element_name"].astype(str).array[tagged])
    value_codes, values = pd.factorize(elements["element_value"].astype(str).array[tagged])
    name_count, value_count = max(len(names), 1), max(len(values), 1)
    key = (brand_codes[row].astype(np.int64) * name_count + name_codes) * value_count + value_codes
    group, group_keys = pd.factorize(key)
    brand_code, rest = np.divmod(np.asarray(group_keys, dtype=np.int64), name_count * value_count)
    name_code, value_code = np.divmod(rest, value_count)
    evidence = pd.DataFrame(
        {
            "brand_id": brands.take(brand_code),
            "element_name": names.take(name_code),
            "element_value": values.take(value_code),
            "successes": np.bincount(group, weights=successes[row], minlength=len(group_keys)),
            "failures": np.bincount(group, weights=failures[row], minlength=len(group_keys)),
            "observations": np.bincount(group, minlength=len(group_keys)),
        }
    )
    return _evidence_frame(evidence.sort_values(KEY, ignore_index=True))


def _reward_rows(ad_ids: pd.api.extensions.ExtensionArray, element_ad_ids: pd.Series) -> np.ndarray:
    """For each element row, the position of its ad in `ad_ids` (-1 when the ad has no reward)."""
    codes, _ = pd.factorize(pd.concat([pd.Series(ad_ids), element_ad_ids], ignore_index=True))
    # one spare slot at the end: a missing id has code -1 and lands on it
    position = np.full(codes.max(initial=-1) + 2, -1, dtype=np.int64)
    position[codes[: len(ad_ids)]] = np.arange(len(ad_ids))
    return position[codes[len(ad_ids) :]]


def combine_evidence(*frames: pd.DataFrame) -> pd.DataFrame:
    """Sum evidence frames (e.g. batches of rewards) into one frame of EVIDENCE_COLUMNS."""
    stacked = pd.concat([frame[list(EVIDENCE_COLUMNS)] for frame in frames], ignore_index=True)
    summed = stacked.groupby(KEY, sort=True)[["successes", "failures", "observations"]].sum()
    return _evidence_frame(summed.reset_index())


def posterior_scores(evidence: pd.DataFrame, priors: pd.DataFrame | None = None) -> pd.DataFrame:
    """Beta posteriors: alpha = prior_alpha + successes, beta = prior_beta + failures (SCORE_COLUMNS).

    Values with a prior but no evidence get a row with zero observations; values without a prior
    use the uniform Beta(1, 1) and `prior_source` 'uniform'.
    """
    _require(evidence, EVIDENCE_COLUMNS, "evidence")
    if priors is None:
        priors = pd.DataFrame(columns=list(PRIOR_COLUMNS))
    _require(priors, PRIOR_COLUMNS, "priors")
    scores = evidence[list(EVIDENCE_COLUMNS)].merge(priors[list(PRIOR_COLUMNS)], on=KEY, how="outer")
    scores = scores.fillna(
        {
            "successes": 0.0,
            "failures": 0.0,
            "observations": 0,
            "prior_alpha": 1.0,
            "prior_beta": 1.0,
            "prior_source": UNIFORM_SOURCE,
        }
    )
    prior_alpha = scores["prior_alpha"].to_numpy(dtype=float)
    prior_beta = scores["prior_beta"].to_numpy(dtype=float)
    alpha = prior_alpha + scores["successes"].to_numpy(dtype=float)
    beta = prior_beta + scores["failures"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            **{column: scores[column].astype(str).array for column in KEY},
            "alpha": alpha,
            "beta": beta,
            "prior_alpha": prior_alpha,
            "prior_beta": prior_beta,
            "prior_source": scores["prior_source"].astype(str).array,
            "total_observations": scores["observations"].to_numpy(dtype=np.int64),
            "mean_reward": alpha / (alpha + beta),
        }
    )
    return frame.sort_values(KEY, ignore_index=True)


def evidence_from_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Data-only evidence of stored scores: successes = alpha − prior_alpha, failures = beta − prior_beta.

    Used for brands that are not being refreshed, so their evidence can feed other brands' priors
    without a prior ever feeding on a prior. Float noise below zero is clipped to 0.
    """
    _require(
        scores,
        (
            "brand_id",
            "element_name",
            "element_value",
            "alpha",
            "beta",
            "prior_alpha",
            "prior_beta",
            "total_observations",
        ),
        "scores",
    )
    frame = pd.DataFrame(
        {
            **{column: scores[column].array for column in KEY},
            "successes": np.clip(
                scores["alpha"].to_numpy(float) - scores["prior_alpha"].to_numpy(float), 0, None
            ),
            "failures": np.clip(
                scores["beta"].to_numpy(float) - scores["prior_beta"].to_numpy(float), 0, None
            ),
            "observations": scores["total_observations"].fillna(0).to_numpy(dtype=np.int64),
        }
    )
    return _evidence_frame(frame)


def evidence_kind(observations: object, prior_source: object) -> np.ndarray:
    """OWN where the brand has own observations, else BORROWED for a non-uniform prior, else NO_EVIDENCE."""
    own = np.asarray(observations, dtype=np.float64) > 0
    borrowed = np.asarray(prior_source, dtype=object) != UNIFORM_SOURCE
    return np.select([own, borrowed], [OWN, BORROWED], default=NO_EVIDENCE).astype(object)


def _evidence_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """EVIDENCE_COLUMNS with fixed dtypes (float successes/failures, int observations)."""
    return pd.DataFrame(
        {
            **{column: frame[column].astype(str).array for column in KEY},
            "successes": frame["successes"].to_numpy(dtype=float),
            "failures": frame["failures"].to_numpy(dtype=float),
            "observations": frame["observations"].to_numpy(dtype=np.int64),
        }
    )


def _require(frame: pd.DataFrame, columns: tuple[str, ...] | list[str], name: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lack column(s): {', '.join(missing)}")
