"""Per-ad rewards: maturity, metrics, baselines and objective weights -> one score in [0, 1].

Rewards are recomputed in full from the ad aggregates on every refresh, so a component that
matures later (conversion rate after day 7, ROAS after day 10) enters an ad's reward when it does.

A component is *included* when it is mature (days since first delivery >= its maturity days and
impressions >= `min_impressions`) and defined (impressions > 0 for CTR, clicks > 0 for conversion
rate, spend > 0 for ROAS). An ad earns a reward once CTR is included; the objective's weights are
renormalised over the included components. Scores are (value - p25) / (p75 - p25) clamped to
[0, 1], so an infinite ratio scores 1 and a reward is always finite.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd

from genome.objectives import DEFAULT_OBJECTIVE, weight_rows
from genome.settings import Settings

METRICS: Final = ("ctr", "conversion_rate", "roas")
COMPONENT_SCORE_COLUMNS: Final = ("ctr_score", "conversion_score", "roas_score")
WEIGHT_COLUMNS: Final = ("ctr_weight", "conversion_weight", "roas_weight")

#: weight row (genome.objectives maps platform objective names onto these) -> weights of (ctr, conversion
#: rate, roas)
OBJECTIVE_WEIGHTS: Final = MappingProxyType(
    {
        "CONVERSIONS": (0.2, 0.5, 0.3),
        "SALES": (0.2, 0.3, 0.5),
        "TRAFFIC": (0.6, 0.2, 0.2),
        "AWARENESS": (0.7, 0.1, 0.2),
        "ENGAGEMENT": (0.5, 0.3, 0.2),
        DEFAULT_OBJECTIVE: (0.4, 0.3, 0.3),
    }
)
#: metric -> (p25, p75) used until a brand has `baseline_min_ads` matured values of its own
DEFAULT_BASELINES: Final = MappingProxyType(
    {"ctr": (0.005, 0.02), "conversion_rate": (0.005, 0.03), "roas": (0.5, 3.0)}
)

AD_AGGREGATE_COLUMNS: Final = (
    "ad_id",
    "brand_id",
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "revenue",
    "first_date",
    "campaign_objective",
)
REWARD_COLUMNS: Final = (
    "ad_id",
    "brand_id",
    "reward_score",
    *METRICS,
    *COMPONENT_SCORE_COLUMNS,
    *WEIGHT_COLUMNS,
    "campaign_objective",
    "maturity",
    "impressions_at_reward",
    "matured_at",
)
BASELINE_COLUMNS: Final = ("brand_id", "metric", "p25", "p75", "matured_values", "source")


def objective_weights(objectives: pd.Series | Sequence[str | None]) -> np.ndarray:
    """(n, 3) weights (ctr, conversion rate, roas) per objective name, by genome.objectives' table
    (case-insensitive; blank and unknown names -> DEFAULT)."""
    rows = weight_rows(pd.Series(objectives, dtype=object))
    order = {row: i for i, row in enumerate(OBJECTIVE_WEIGHTS)}
    return np.array(list(OBJECTIVE_WEIGHTS.values()), dtype=float)[rows.map(order).to_numpy(dtype=np.int64)]


def brand_baselines(values: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """p25/p75 per (brand, metric): the brand's own when it has enough matured values, else the default.

    `values` has `brand_id` and one column per metric (NaN where the ad's metric is not matured).
    A brand uses its own quartiles for a metric once it has `settings.baseline_min_ads` finite matured
    values of it and they have a spread (p75 > p25); otherwise that metric uses DEFAULT_BASELINES.
    Returns BASELINE_COLUMNS, `source` 'brand' or 'default', one row per brand and metric.
    """
    finite = values[list(METRICS)].astype(float)
    finite = finite.where(np.isfinite(finite))
    grouped = finite.groupby(values["brand_id"].to_numpy(), sort=True)
    counts, low, high = grouped.count(), grouped.quantile(0.25), grouped.quantile(0.75)
    pieces = []
    for metric in METRICS:
        default_low, default_high = DEFAULT_BASELINES[metric]
        p25, p75 = low[metric].to_numpy(float), high[metric].to_numpy(float)
        own = (counts[metric].to_numpy() >= settings.baseline_min_ads) & (p75 > p25)
        pieces.append(
            pd.DataFrame(
                {
                    "brand_id": counts.index.to_numpy(),
                    "metric": metric,
                    "p25": np.where(own, p25, default_low),
                    "p75": np.where(own, p75, default_high),
                    "matured_values": counts[metric].to_numpy(dtype=np.int64),
                    "source": np.where(own, "brand", "default"),
                }
            )
        )
    frame = pd.concat(pieces, ignore_index=True)
    return frame.sort_values(["brand_id", "metric"], ignore_index=True)[list(BASELINE_COLUMNS)]


def compute_rewards(ads: pd.DataFrame, as_of: date, settings: Settings) -> pd.DataFrame:
    """Rewards of the ads whose CTR is mature at `as_of` (REWARD_COLUMNS, see docs/ARCHITECTURE.md).

    Components that are not included have NaN value and score and weight 0; the weights of the
    included ones sum to 1. `matured_at` = first_date + ctr_maturity_days. `impressions_at_reward` is
    the ad's impressions up to `as_of`: those the reward was computed from. (It was named
    impressions_at_maturity but never held that: the aggregates hold no daily history, and summing each
    ad's days up to its maturity on every refresh would cost what the derived totals save.)
    """
    missing = [column for column in AD_AGGREGATE_COLUMNS if column not in ads.columns]
    if missing:
        raise ValueError(f"ad aggregates lack column(s): {', '.join(missing)}")
    counts = {name: ads[name].to_numpy(dtype=float, na_value=np.nan) for name in AD_AGGREGATE_COLUMNS[2:7]}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        values = np.column_stack(
            [
                counts["clicks"] / counts["impressions"],
                counts["conversions"] / counts["clicks"],
                counts["revenue"] / counts["spend"],
            ]
        ).reshape(-1, 3)
    denominators = np.column_stack([counts["impressions"], counts["clicks"], counts["spend"]]).reshape(-1, 3)
    included = _mature(ads, as_of, settings) & (denominators > 0) & ~np.isnan(values)
    rewarded = included[:, 0]
    included &= rewarded[:, None]
    values = np.where(included, values, np.nan)

    brand_codes, brand_names = pd.factorize(ads["brand_id"], use_na_sentinel=False)
    metric_values = pd.DataFrame(values[rewarded], columns=list(METRICS))
    metric_values.insert(0, "brand_id", brand_codes[rewarded])
    low, high = _baseline_arrays(brand_baselines(metric_values, settings), brand_codes, len(brand_names))
    with np.errstate(invalid="ignore", over="ignore"):
        scores = np.where(included, np.clip((values - low) / (high - low), 0.0, 1.0), np.nan)

    weights = objective_weights(ads["campaign_objective"]) * included
    total = weights.sum(axis=1, keepdims=True)
    weights = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
    reward = np.clip((weights * np.nan_to_num(scores)).sum(axis=1), 0.0, 1.0)

    maturity = np.select(
        [included[:, 1] & included[:, 2], included[:, 1], included[:, 2]],
        ["full", "ctr+conversion", "ctr+roas"],
        default="ctr",
    )
    first_date = pd.to_datetime(ads["first_date"]).astype("datetime64[ns]")
    frame = pd.DataFrame(
        {
            "ad_id": ads["ad_id"].array,
            "brand_id": ads["brand_id"].array,
            "reward_score": reward,
            **dict(zip(METRICS, values.T, strict=True)),
            **dict(zip(COMPONENT_SCORE_COLUMNS, scores.T, strict=True)),
            **dict(zip(WEIGHT_COLUMNS, weights.T, strict=True)),
            "campaign_objective": ads["campaign_objective"].fillna("").astype(str).array,
            "maturity": maturity,
            "impressions_at_reward": counts["impressions"],
            "matured_at": (first_date + pd.Timedelta(days=settings.ctr_maturity_days)).to_numpy(),
        }
    )
    return frame[rewarded].reset_index(drop=True)


def _mature(ads: pd.DataFrame, as_of: date, settings: Settings) -> np.ndarray:
    """(n, 3) bool: each component's maturity window has passed and impressions are enough."""
    first = pd.to_datetime(ads["first_date"]).to_numpy(dtype="datetime64[D]")
    age_days = (np.datetime64(pd.Timestamp(as_of).date(), "D") - first) / np.timedelta64(1, "D")
    windows = np.array(
        [settings.ctr_maturity_days, settings.conversion_maturity_days, settings.roas_maturity_days],
        dtype=float,
    )
    impressions = ads["impressions"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        return (age_days[:, None] >= windows) & (impressions >= settings.min_impressions)[:, None]


def _baseline_arrays(
    baselines: pd.DataFrame, brand_codes: np.ndarray, brand_count: int
) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3) p25 and p75 per ad from baselines keyed by brand code; brands without a row get defaults."""
    low = np.tile([DEFAULT_BASELINES[metric][0] for metric in METRICS], (brand_count, 1))
    high = np.tile([DEFAULT_BASELINES[metric][1] for metric in METRICS], (brand_count, 1))
    column = pd.Index(METRICS).get_indexer(baselines["metric"])
    code = baselines["brand_id"].to_numpy(dtype=np.int64)
    low[code, column] = baselines["p25"].to_numpy(float)
    high[code, column] = baselines["p75"].to_numpy(float)
    return low[brand_codes], high[brand_codes]
