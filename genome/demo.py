"""The demo workspace: brands at every cold-start level, with ads and daily performance drawn from known
element effects.

Pure and deterministic for (seed, as_of): every draw comes from `numpy.random.default_rng(seed)`, and
the frames have the shapes `genome.validation` returns, so they load like imported files. Clicks and
conversions are binomial draws whose logits add up the ground-truth effects of the ad's elements
(`DemoWorkspace.truth`), so a learner can be checked against what really drives performance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from genome.validation import element_tags_json

#: element name -> its values; the tracked elements of the reference implementation
ELEMENT_TAXONOMY: Final = MappingProxyType(
    {
        "hook_type": (
            "question",
            "bold_claim",
            "social_proof",
            "problem_solution",
            "curiosity_gap",
            "testimonial",
        ),
        "color_mode": ("brand_primary", "high_contrast", "monochrome", "pastel", "dark_mode"),
        "template_category": ("product_showcase", "lifestyle", "before_after", "ugc_style", "minimal_text"),
        "awareness_stage": ("unaware", "problem_aware", "solution_aware", "product_aware", "most_aware"),
        "canvas_size": ("1080x1080", "1080x1350", "1080x1920", "1200x628"),
        "content_source": ("ai_generated", "brand_library", "stock", "user_generated"),
    }
)
#: imported ads come from older tooling that tagged only these elements
IMPORTED_ELEMENTS: Final = ("hook_type", "color_mode", "template_category", "canvas_size")
OBJECTIVES: Final = ("CONVERSIONS", "SALES", "TRAFFIC", "AWARENESS", "ENGAGEMENT")
OBJECTIVE_SHARES: Final = (0.35, 0.25, 0.2, 0.1, 0.1)
#: how a native ad that is not approved ends up: rejected, flagged or still pending review
NOT_APPROVED: Final = ("rejected", "flagged", "pending")
NOT_APPROVED_SHARES: Final = (0.75, 0.15, 0.10)
PENDING_DAYS: Final = 2  # ads created this recently are still in review

BASE_CTR: Final = 0.012
BASE_CONVERSION_RATE: Final = 0.03
EFFECT_SCALE: Final = 0.25  # sd of an element value's logit effect shared by every brand
BRAND_EFFECT_SCALE: Final = 0.08  # sd of a brand's own deviation from the shared effect
AD_NOISE: Final = 0.15  # sd of an ad's logit deviation that no element explains
SCORE_NOISE: Final = 0.12  # sd of the pre-generation score's error: it foresees the truth imperfectly
DELIVERY_DAYS: Final = (10, 36)  # an ad delivers for this many days (low inclusive, high exclusive)
COST_PER_MILLE: Final = 9.0  # median spend per 1,000 impressions
ORDER_VALUE: Final = 55.0  # median revenue per conversion


@dataclass(frozen=True)
class DemoBrand:
    """One demo brand and the shape of its history. Days count back from `as_of`."""

    id: str
    name: str
    organization_id: str
    cross_brand_sharing: bool
    native_ads: int
    imported_ads: int
    approval_rate: float  # of native ads that did not fail generation
    failure_rate: float  # of native ads: final_status generation_failed
    oldest_ad_days: int
    newest_ad_days: int
    delivery_ends_days: int  # the last day with performance; 1 = yesterday
    daily_impressions: float  # median per delivering ad and day


#: every cold-start level, a stale brand and a struggling one, in two organizations
DEMO_BRANDS: Final = (
    DemoBrand("aurora-skincare", "Aurora Skincare", "org-lumen", True, 320, 60, 0.82, 0.04, 90, 1, 1, 900),
    DemoBrand("bolt-athletics", "Bolt Athletics", "org-lumen", True, 75, 0, 0.80, 0.05, 88, 1, 1, 600),
    DemoBrand("ember-kitchen", "Ember Kitchen", "org-lumen", True, 0, 0, 0.80, 0.05, 1, 1, 1, 0),
    DemoBrand("cedar-home", "Cedar Home", "org-harbor", True, 100, 10, 0.10, 0.50, 60, 1, 1, 400),
    DemoBrand("dune-outdoor", "Dune Outdoor", "org-harbor", False, 55, 0, 0.85, 0.03, 95, 45, 35, 700),
)


@dataclass(frozen=True, eq=False)
class DemoWorkspace:
    """Frames ready to load: brands, ads and performance as validated, and the effects that made them."""

    seed: int
    as_of: date
    brands: pd.DataFrame  # id, name, organization_id, cross_brand_sharing
    ads: pd.DataFrame  # the genome.validation.validate_ads shape
    performance: pd.DataFrame  # the genome.validation.validate_performance shape
    truth: pd.DataFrame  # brand_id, element_name, element_value, ctr_effect, conversion_effect (logits)


def build_demo(seed: int = 7, as_of: date | None = None) -> DemoWorkspace:
    """The demo workspace for `seed`, with performance up to the day before `as_of` (default: today, UTC)."""
    as_of = as_of or datetime.now(UTC).date()
    rng = np.random.default_rng(seed)
    brands = pd.DataFrame(
        {
            "id": [b.id for b in DEMO_BRANDS],
            "name": [b.name for b in DEMO_BRANDS],
            "organization_id": [b.organization_id for b in DEMO_BRANDS],
            "cross_brand_sharing": [b.cross_brand_sharing for b in DEMO_BRANDS],
        }
    )
    truth = _truth(rng)
    ads, brand, codes = _ads(rng, as_of)
    ctr_logit, conversion_logit = _logits(rng, brand, codes, truth)
    # the pre-generation score foresees the true effect imperfectly; imported ads never had one
    foresight = (ctr_logit - logit(BASE_CTR)) + (conversion_logit - logit(BASE_CONVERSION_RATE))
    score = np.clip(0.5 + 0.35 * np.tanh(foresight) + rng.normal(0.0, SCORE_NOISE, len(ads)), 0.0, 1.0).round(
        3
    )
    ads["pre_gen_score"] = np.where(ads["is_imported"], np.nan, score)
    performance = _performance(rng, ads, brand, ctr_logit, conversion_logit, as_of)
    return DemoWorkspace(seed, as_of, brands, ads, performance, truth)


def _truth(rng: np.random.Generator) -> pd.DataFrame:
    """Logit effects per (brand, element value): a shared effect (centred per element) plus a brand deviation."""
    names = np.repeat(list(ELEMENT_TAXONOMY), [len(v) for v in ELEMENT_TAXONOMY.values()])
    values = np.concatenate([np.array(v, dtype=object) for v in ELEMENT_TAXONOMY.values()])
    shared = rng.normal(0.0, EFFECT_SCALE, size=(len(values), 2))
    shared -= pd.DataFrame(shared).groupby(names).transform("mean").to_numpy()
    effects = shared[None, :, :] + rng.normal(
        0.0, BRAND_EFFECT_SCALE, size=(len(DEMO_BRANDS), len(values), 2)
    )
    return pd.DataFrame(
        {
            "brand_id": np.repeat([b.id for b in DEMO_BRANDS], len(values)),
            "element_name": np.tile(names, len(DEMO_BRANDS)),
            "element_value": np.tile(values, len(DEMO_BRANDS)),
            "ctr_effect": effects[:, :, 0].ravel(),
            "conversion_effect": effects[:, :, 1].ravel(),
        }
    ).astype({"brand_id": "str", "element_name": "str", "element_value": "str"})


def _ads(rng: np.random.Generator, as_of: date) -> tuple[pd.DataFrame, np.ndarray, dict[str, np.ndarray]]:
    """Ads of every brand, drawn at once and numbered in creation order within each brand; with each ad's
    brand index and value index per element (-1: not tagged)."""
    spec = pd.DataFrame([vars(b) for b in DEMO_BRANDS])
    per_brand = (spec["native_ads"] + spec["imported_ads"]).to_numpy()
    brand = np.repeat(np.arange(len(spec)), per_brand)
    number = np.arange(len(brand)) - np.repeat(np.cumsum(per_brand) - per_brand, per_brand)
    imported = number >= spec["native_ads"].to_numpy()[brand]
    days_ago = rng.integers(
        spec["newest_ad_days"].to_numpy()[brand], spec["oldest_ad_days"].to_numpy()[brand] + 1
    )
    seconds = rng.integers(0, 86_400, size=len(brand))
    created_at = (np.datetime64(as_of, "D") - days_ago).astype("datetime64[s]") + seconds

    failed = ~imported & (rng.random(len(brand)) < spec["failure_rate"].to_numpy()[brand])
    approved = ~imported & ~failed & (rng.random(len(brand)) < spec["approval_rate"].to_numpy()[brand])
    status = rng.choice(np.array(NOT_APPROVED, dtype=object), size=len(brand), p=NOT_APPROVED_SHARES)
    status = np.where(approved, np.where(days_ago <= PENDING_DAYS, "pending", "approved"), status)
    status = np.where(failed, "generation_failed", np.where(imported, "approved", status))
    codes = {
        name: np.where(
            imported & (name not in IMPORTED_ELEMENTS), -1, rng.integers(0, len(values), len(brand))
        )
        for name, values in ELEMENT_TAXONOMY.items()
    }

    order = np.lexsort((created_at, brand))  # brand stays grouped, so `number` still counts within a brand
    codes = {name: value_codes[order] for name, value_codes in codes.items()}
    tags = pd.DataFrame(
        {name: np.array(values, dtype=object)[codes[name]] for name, values in ELEMENT_TAXONOMY.items()}
    ).mask(pd.DataFrame(codes) < 0)
    brand_ids = spec["id"].to_numpy()[brand]
    ads = pd.DataFrame(
        {
            "ad_id": pd.Series(brand_ids).str.cat(pd.Series(number + 1).astype(str).str.zfill(4), sep="-"),
            "brand_id": brand_ids,
            "created_at": created_at[order].astype("datetime64[ns]"),
            "final_status": status[order],
            "is_imported": imported[order],
            "pre_gen_score": np.nan,
            "element_tags": element_tags_json(tags),
        }
    )
    return ads.astype({"brand_id": "str", "final_status": "str"}), brand, codes


def _logits(
    rng: np.random.Generator, brand: np.ndarray, codes: dict[str, np.ndarray], truth: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Each ad's true CTR and conversion-rate logits: base + its elements' effects + unexplained noise."""
    ctr = logit(BASE_CTR) + rng.normal(0.0, AD_NOISE, len(brand))
    conversion = logit(BASE_CONVERSION_RATE) + rng.normal(0.0, AD_NOISE, len(brand))
    for name, values in ELEMENT_TAXONOMY.items():  # one pass per element, vectorised over ads
        table = truth.loc[truth["element_name"] == name, ["ctr_effect", "conversion_effect"]].to_numpy()
        table = table.reshape(len(DEMO_BRANDS), len(values), 2)
        effect = np.where((codes[name] >= 0)[:, None], table[brand, codes[name].clip(0)], 0.0)
        ctr, conversion = ctr + effect[:, 0], conversion + effect[:, 1]
    return ctr, conversion


def _performance(
    rng: np.random.Generator,
    ads: pd.DataFrame,
    brand: np.ndarray,
    ctr_logit: np.ndarray,
    conversion_logit: np.ndarray,
    as_of: date,
) -> pd.DataFrame:
    """Daily rows of approved ads from the day after creation, for a few weeks or until delivery ends."""
    first_day = ads["created_at"].to_numpy().astype("datetime64[D]") + 1
    stop = np.datetime64(as_of, "D") - np.array([b.delivery_ends_days for b in DEMO_BRANDS])[brand]
    last_day = np.minimum(first_day + rng.integers(*DELIVERY_DAYS, size=len(ads)) - 1, stop)
    delivering = ads["final_status"].eq("approved").to_numpy()
    days = np.where(delivering, (last_day - first_day).astype(int) + 1, 0).clip(0)
    row_ad = np.repeat(np.arange(len(ads)), days)
    day_number = np.arange(len(row_ad)) - np.repeat(np.cumsum(days) - days, days)

    daily = np.array([b.daily_impressions for b in DEMO_BRANDS])[brand] * rng.lognormal(0.0, 0.5, len(ads))
    impressions = rng.poisson(daily[row_ad] * rng.lognormal(0.0, 0.25, len(row_ad)))
    clicks = rng.binomial(impressions, expit(ctr_logit)[row_ad])
    conversions = rng.binomial(clicks, expit(conversion_logit)[row_ad])
    cost_per_mille = COST_PER_MILLE * rng.lognormal(0.0, 0.2, len(ads))
    order_value = ORDER_VALUE * rng.lognormal(0.0, 0.3, len(ads))
    objective = rng.choice(np.array(OBJECTIVES, dtype=object), size=len(ads), p=OBJECTIVE_SHARES)
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
