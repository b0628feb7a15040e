"""Cross-brand cold-start priors: what other brands learned about an element value, shrunk to uniform.

Contributors for a receiving brand are the *other* brands that opted into cross_brand_sharing and
have observations of the value. Same-organization contributors are used when there is at least
one; otherwise every contributor ("network"). Their data-only posteriors Beta(1 + successes,
1 + failures) are averaged weighted by observations, then shrunk toward Beta(1, 1):
prior = max(floor, 1 + shrinkage × (pooled − 1)). The prior's weight α + β is then capped at
`prior_max_weight` pseudo-observations by scaling α and β together (the mean is kept), so a brand's
own evidence outweighs what it borrowed once it has more ads than the cap. Values no contributor
has get no row, which `posterior_scores` reads as the uniform prior.

The pools are summed once per (organization, value) and per value, and each receiver's own
contribution is subtracted, so the cost grows with brands × values, never brands² × values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from genome.posteriors import EVIDENCE_COLUMNS, KEY, combine_evidence
from genome.settings import Settings

VALUE_KEY: Final = ["element_name", "element_value"]
COLD_START_PRIOR_COLUMNS: Final = (*KEY, "prior_alpha", "prior_beta", "prior_source", "prior_brands")
ORGANIZATION_SOURCE: Final = "organization"
NETWORK_SOURCE: Final = "network"
_SUMS: Final = ["observations", "alpha_mass", "beta_mass", "brands"]


def cold_start_priors(
    evidence: pd.DataFrame,
    brands: pd.DataFrame,
    settings: Settings,
    brand_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Priors per (receiving brand, element, value) from other brands' data-only evidence.

    `evidence` is data-only (never includes priors) for any brands; `brands` has id,
    organization_id, cross_brand_sharing. Every brand in `brands` receives (or only `brand_ids`).
    Returns COLD_START_PRIOR_COLUMNS; `prior_brands` is the number of contributors pooled.
    """
    missing = [column for column in ("id", "organization_id", "cross_brand_sharing") if column not in brands]
    if missing:
        raise ValueError(f"brands lack column(s): {', '.join(missing)}")
    directory = pd.DataFrame(
        {
            "brand_id": brands["id"].astype(str).array,
            "organization_id": brands["organization_id"].replace("", np.nan).array,
            "sharing": brands["cross_brand_sharing"].fillna(False).to_numpy(dtype=bool),
        }
    )
    receivers = directory[["brand_id", "organization_id"]]
    if brand_ids is not None:
        receivers = receivers[receivers["brand_id"].isin(list(brand_ids))]

    contributions = _contributions(evidence, directory[directory["sharing"]])
    network = contributions.groupby(VALUE_KEY, sort=False)[_SUMS].sum().reset_index()
    organization = (
        contributions.dropna(subset=["organization_id"])
        .groupby(["organization_id", *VALUE_KEY], sort=False)[_SUMS]
        .sum()
        .reset_index()
    )
    own = contributions[[*KEY, *_SUMS]]

    candidates = receivers.merge(network, how="cross")
    candidates = candidates.merge(own, on=KEY, how="left", suffixes=("", "_own"))
    candidates = candidates.merge(
        organization, on=["organization_id", *VALUE_KEY], how="left", suffixes=("", "_org")
    )
    own_sums = candidates[[f"{column}_own" for column in _SUMS]].fillna(0.0).to_numpy(float)
    network_sums = candidates[_SUMS].to_numpy(float) - own_sums
    org_sums = candidates[[f"{column}_org" for column in _SUMS]].fillna(0.0).to_numpy(float) - own_sums
    # the receiver's own row is inside its organization's sums only when it belongs to one
    org_sums = np.where(candidates["organization_id"].isna().to_numpy()[:, None], 0.0, org_sums)

    use_org = org_sums[:, 3] > 0.5
    chosen = np.where(use_org[:, None], org_sums, network_sums)
    keep = chosen[:, 3] > 0.5
    chosen, candidates, use_org = chosen[keep], candidates[keep], use_org[keep]

    prior_alpha, prior_beta = borrowed_prior(
        chosen[:, 1] / chosen[:, 0], chosen[:, 2] / chosen[:, 0], settings
    )
    frame = pd.DataFrame(
        {
            **{column: candidates[column].astype(str).array for column in KEY},
            "prior_alpha": prior_alpha,
            "prior_beta": prior_beta,
            "prior_source": np.where(use_org, ORGANIZATION_SOURCE, NETWORK_SOURCE),
            "prior_brands": np.rint(chosen[:, 3]).astype(np.int64),
        }
    )
    return frame.sort_values(KEY, ignore_index=True)


def borrowed_prior(
    pooled_alpha: np.ndarray, pooled_beta: np.ndarray, settings: Settings
) -> tuple[np.ndarray, np.ndarray]:
    """The prior a brand borrows from pooled Beta(pooled_alpha, pooled_beta): shrunk toward
    Beta(1, 1) by `prior_shrinkage`, floored at `prior_floor`, then scaled so that α + β is at most
    `prior_max_weight` (0: no cap), keeping its mean."""
    alpha = np.maximum(
        settings.prior_floor, 1.0 + settings.prior_shrinkage * (np.asarray(pooled_alpha) - 1.0)
    )
    beta = np.maximum(settings.prior_floor, 1.0 + settings.prior_shrinkage * (np.asarray(pooled_beta) - 1.0))
    if settings.prior_max_weight > 0:
        scale = np.minimum(1.0, settings.prior_max_weight / (alpha + beta))
        alpha, beta = alpha * scale, beta * scale
    return alpha, beta


def _contributions(evidence: pd.DataFrame, sharing: pd.DataFrame) -> pd.DataFrame:
    """Per sharing brand and value: observations and observation-weighted Beta(1 + s, 1 + f) masses."""
    missing = [column for column in EVIDENCE_COLUMNS if column not in evidence]
    if missing:
        raise ValueError(f"evidence lack column(s): {', '.join(missing)}")
    pooled = combine_evidence(evidence)
    pooled = pooled[pooled["observations"] > 0].merge(sharing[["brand_id", "organization_id"]], on="brand_id")
    observations = pooled["observations"].to_numpy(float)
    return pooled.assign(
        observations=observations,
        alpha_mass=observations * (1.0 + pooled["successes"].to_numpy(float)),
        beta_mass=observations * (1.0 + pooled["failures"].to_numpy(float)),
        brands=1.0,
    )


def prior_rule(settings: Settings) -> str:
    """The published rule for cold-start priors with the settings in force (shown beside them)."""
    cap = (
        f", then scaled down to at most {settings.prior_max_weight:g} pseudo-observations (α + β), so own"
        f" evidence of that weight outweighs what a value borrowed (a native ad weighs 1, an imported one"
        f" {settings.imported_ad_weight:g})"
        if settings.prior_max_weight
        else " (no cap on their weight)"
    )
    return (
        "Cold-start priors pool the posteriors of other brands that opted into sharing (same organization"
        f" first), weighted by observations, then shrink toward uniform: prior = 1 + {settings.prior_shrinkage:g}"
        f" × (pooled − 1), floored at {settings.prior_floor:g}{cap}."
    )
