"""Benchmark workloads: brands x ads x days of daily performance, drawn at once with numpy.

The frames have the shapes `genome.validation` returns (like `genome.demo`), so they load through
the store's own import path. Every ad delivers for exactly `days_per_ad` consecutive days that all
end before `as_of`, so the daily rows a refresh reads equal `daily_rows` exactly and every ad with
enough impressions is CTR-mature; later components (conversion, ROAS) mature for most of them too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import pandas as pd
from scipy.special import expit

from genome.demo import ELEMENT_TAXONOMY, OBJECTIVE_SHARES, OBJECTIVES
from genome.validation import element_tags_json

AS_OF: Final = date(2026, 3, 1)
DAYS_PER_AD: Final = 20
OLDEST_AD_DAYS: Final = 240  # ads were created up to this many days before AS_OF
REJECTED_SHARE: Final = 0.15  # native ads that were rejected: tagged, but no performance rows
IMPORTED_SHARE: Final = 0.1
DAILY_IMPRESSIONS: Final = 400.0  # median per ad and day
BASE_CTR_LOGIT: Final = -4.4  # about 1.2 %
BASE_CONVERSION_LOGIT: Final = -3.5  # about 3 %
EFFECT_SCALE: Final = 0.25
UNTRACKED_TAG: Final = ("headline_length", ("short", "medium", "long"))  # kept in the JSON, not learned


@dataclass(frozen=True, eq=False)
class Workload:
    """Frames ready for `store.save_brands`, `store.import_ads`, `store.import_performance`."""

    brands: pd.DataFrame  # id, name, organization_id, cross_brand_sharing
    ads: pd.DataFrame  # ad_id, brand_id, created_at, final_status, is_imported, pre_gen_score, element_tags
    performance: (
        pd.DataFrame
    )  # ad_id, date, impressions, clicks, conversions, spend, revenue, campaign_objective
    as_of: date

    @property
    def delivering_ads(self) -> int:
        return int(self.performance["ad_id"].nunique())


def build_workload(
    daily_rows: int,
    brands: int = 1,
    ads: int | None = None,
    days_per_ad: int = DAYS_PER_AD,
    seed: int = 0,
    as_of: date = AS_OF,
    prefix: str = "bench",
) -> Workload:
    """`brands` brands sharing `daily_rows` daily rows (`days_per_ad` per delivering ad) evenly.

    `ads` sets the total number of ads (the rest are rejected, without rows); by default it is the
    delivering ads plus REJECTED_SHARE more. Brands do not share evidence across brands, so each
    brand's posteriors start from uniform priors (what the per-row baseline assumes).
    """
    if daily_rows < 0 or brands < 1 or days_per_ad < 1 or days_per_ad >= OLDEST_AD_DAYS:
        raise ValueError("need daily_rows >= 0, brands >= 1 and 1 <= days_per_ad < OLDEST_AD_DAYS")
    rng = np.random.default_rng(seed)
    delivering = -(-daily_rows // days_per_ad)  # ceil: the last ad may deliver fewer days
    total_ads = ads if ads is not None else delivering + round(delivering * REJECTED_SHARE)
    if total_ads < delivering:
        raise ValueError(f"{daily_rows:,} rows at {days_per_ad} days per ad need at least {delivering:,} ads")
    brand_ids = np.array([f"{prefix}-{i:03d}" for i in range(brands)], dtype=object)
    brand_frame = pd.DataFrame(
        {
            "id": brand_ids,
            "name": [f"Bench brand {i}" for i in range(brands)],
            "organization_id": f"{prefix}-org",
            "cross_brand_sharing": False,
        }
    ).astype({"id": "str", "name": "str", "organization_id": "str"})

    brand = np.arange(total_ads) % brands  # delivering ads and rejected ones spread over every brand
    codes = {name: rng.integers(0, len(values), total_ads) for name, values in ELEMENT_TAXONOMY.items()}
    ad_frame = _ads(rng, brand_ids[brand], codes, delivering, as_of, days_per_ad, prefix)
    performance = _performance(rng, ad_frame, codes, delivering, daily_rows, days_per_ad)
    return Workload(brand_frame, ad_frame, performance, as_of)


def _ads(
    rng: np.random.Generator,
    brand_ids: np.ndarray,
    codes: dict[str, np.ndarray],
    delivering: int,
    as_of: date,
    days_per_ad: int,
    prefix: str,
) -> pd.DataFrame:
    count = len(brand_ids)
    days_ago = rng.integers(days_per_ad + 1, OLDEST_AD_DAYS + 1, size=count)
    seconds = rng.integers(0, 86_400, size=count)
    created_at = (np.datetime64(as_of, "D") - days_ago).astype("datetime64[s]") + seconds
    status = np.where(np.arange(count) < delivering, "approved", "rejected")
    tags = pd.DataFrame(
        {name: np.array(values, dtype=object)[codes[name]] for name, values in ELEMENT_TAXONOMY.items()}
    )
    untracked_name, untracked_values = UNTRACKED_TAG
    tags[untracked_name] = rng.choice(np.array(untracked_values, dtype=object), size=count)
    return pd.DataFrame(
        {
            "ad_id": prefix + "-ad-" + pd.Series(np.arange(count)).astype(str).str.zfill(8),
            "brand_id": brand_ids,
            "created_at": created_at.astype("datetime64[ns]"),
            "final_status": status,
            "is_imported": rng.random(count) < IMPORTED_SHARE,
            "pre_gen_score": rng.uniform(0.0, 1.0, count).round(3),
            "element_tags": element_tags_json(tags),
        }
    ).astype({"ad_id": "str", "brand_id": "str", "final_status": "str"})


def _performance(
    rng: np.random.Generator,
    ads: pd.DataFrame,
    codes: dict[str, np.ndarray],
    delivering: int,
    daily_rows: int,
    days_per_ad: int,
) -> pd.DataFrame:
    """`days_per_ad` rows for each delivering ad from the day after its creation (the last ad fewer)."""
    days = np.full(delivering, days_per_ad)
    if delivering:
        days[-1] = daily_rows - days_per_ad * (delivering - 1)
    row_ad = np.repeat(np.arange(delivering), days)
    day_number = np.arange(len(row_ad)) - np.repeat(np.cumsum(days) - days, days)
    first_day = ads["created_at"].to_numpy()[:delivering].astype("datetime64[D]") + 1

    effect = sum(
        rng.normal(0.0, EFFECT_SCALE, len(v))[codes[n][:delivering]] for n, v in ELEMENT_TAXONOMY.items()
    )
    ctr = expit(BASE_CTR_LOGIT + effect + rng.normal(0.0, 0.15, delivering))
    conversion = expit(BASE_CONVERSION_LOGIT + 0.5 * effect + rng.normal(0.0, 0.15, delivering))
    daily = DAILY_IMPRESSIONS * rng.lognormal(0.0, 0.5, delivering)
    impressions = rng.poisson(daily[row_ad] * rng.lognormal(0.0, 0.25, len(row_ad)))
    clicks = rng.binomial(impressions, ctr[row_ad])
    conversions = rng.binomial(clicks, conversion[row_ad])
    cost_per_mille = 9.0 * rng.lognormal(0.0, 0.2, delivering)
    order_value = 55.0 * rng.lognormal(0.0, 0.3, delivering)
    objective = rng.choice(np.array(OBJECTIVES, dtype=object), size=delivering, p=OBJECTIVE_SHARES)
    return pd.DataFrame(
        {
            "ad_id": ads["ad_id"].to_numpy()[row_ad],
            "date": (first_day[row_ad] + day_number).astype("datetime64[ns]"),
            "impressions": impressions.astype("int64"),
            "clicks": clicks.astype("int64"),
            "conversions": conversions.astype("int64"),
            "spend": (impressions * cost_per_mille[row_ad] / 1000).round(2),
            "revenue": (conversions * order_value[row_ad]).round(2),
            "campaign_objective": objective[row_ad],
        }
    ).astype({"ad_id": "str", "campaign_objective": "str"})


def load(store: object, workload: Workload, chunk_rows: int = 250_000) -> dict:
    """Write a workload through the store's own import calls (performance in chunks); seconds per step."""
    started = time.perf_counter()
    store.save_brands(workload.brands)
    store.import_ads(workload.ads)
    ads_done = time.perf_counter()
    for start in range(0, len(workload.performance), chunk_rows):
        store.import_performance(workload.performance.iloc[start : start + chunk_rows])
    return {
        "import_ads_s": ads_done - started,
        "import_performance_s": time.perf_counter() - ads_done,
        "ads": len(workload.ads),
        "delivering_ads": workload.delivering_ads,
        "daily_rows": len(workload.performance),
    }
