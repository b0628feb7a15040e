"""The pure compute step of each job and the frames that cross the store: inputs in, outputs out (no I/O).

The store opens the transaction, reads the inputs, calls these and writes what they return, so the
whole job is one transaction and the maths stays testable without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from genome import monitoring, posteriors, priors, rewards
from genome.settings import Settings


@dataclass(frozen=True)
class RefreshInputs:
    as_of: date
    brand_ids: tuple[str, ...]  # the brands being refreshed
    ads: pd.DataFrame  # ad aggregates of those brands (docs/ARCHITECTURE.md)
    elements: pd.DataFrame  # ad elements of those brands, tracked elements only
    brands: pd.DataFrame  # every brand: id, name, organization_id, cross_brand_sharing
    scores: pd.DataFrame  # stored scores of every brand (cross-brand evidence for priors)


@dataclass(frozen=True)
class RefreshOutputs:
    rewards: pd.DataFrame  # rewards frame for the refreshed brands (+ is_imported ignored)
    scores: pd.DataFrame  # the complete new scores of the refreshed brands
    summary: dict = field(default_factory=dict)  # extra facts for the job run summary


@dataclass(frozen=True)
class ValidateInputs:
    as_of: date
    brand_ids: tuple[str, ...]
    ads: pd.DataFrame  # ad aggregates of those brands at as_of (the rewards are computed from them)
    alerts: pd.DataFrame  # unresolved alerts (open or acknowledged) of those brands


@dataclass(frozen=True)
class ValidateOutputs:
    metrics: pd.DataFrame  # brand_id, metric_name, metric_value (NaN: not enough data), warning, critical
    # action (open|update|resolve), alert_id (None for open), brand_id, alert_type, severity,
    # metric_value, threshold_value, message. The store applies each to the alert as it is at write
    # time: an occurrence counts once per as_of, a repeat at the same as_of with the same values
    # changes nothing, an acknowledged warning that escalates is open again, and a brand already
    # validated at a later as_of keeps its alerts (a backfill records metrics only). Every change of
    # an alert is appended to its event history.
    actions: pd.DataFrame
    summary: dict = field(default_factory=dict)


def compute_refresh(inputs: RefreshInputs, settings: Settings) -> RefreshOutputs:
    """Rewards of the refreshed brands, then their posteriors with cross-brand cold-start priors.

    Brands outside the refresh contribute their stored evidence (alpha − prior, beta − prior) to the
    priors, so a one-brand refresh and an all-brand refresh agree when nothing else changed.
    """
    reward_frame = rewards.compute_rewards(inputs.ads, inputs.as_of, settings)
    ad_facts = inputs.ads[["ad_id", "is_imported", "created_at"]]
    weighted = reward_frame.merge(ad_facts, on="ad_id", how="left")
    evidence = posteriors.element_evidence(weighted, inputs.elements, inputs.as_of, settings)

    refreshed = set(inputs.brand_ids)
    others = inputs.scores[~inputs.scores["brand_id"].isin(refreshed)]
    all_evidence = pd.concat([evidence, posteriors.evidence_from_scores(others)], ignore_index=True)
    brand_priors = priors.cold_start_priors(all_evidence, inputs.brands, settings)
    brand_priors = brand_priors[brand_priors["brand_id"].isin(refreshed)]

    scores = posteriors.posterior_scores(evidence, brand_priors)
    summary = {"ads_considered": len(inputs.ads), "rewarded_ads": len(reward_frame)}
    return RefreshOutputs(rewards=reward_frame, scores=scores, summary=summary)


def compute_validation(inputs: ValidateInputs, settings: Settings) -> ValidateOutputs:
    """Health metrics of each brand and the alert actions they call for.

    The rewards are computed here from the ad aggregates at as_of, as a refresh at as_of would
    compute them, never read from the stored rewards (which the last refresh wrote, perhaps at
    another as_of): the metrics are a function of the data up to as_of alone.
    """
    reward_frame = rewards.compute_rewards(inputs.ads, inputs.as_of, settings)
    metrics = monitoring.health_metrics(inputs.ads, reward_frame, inputs.as_of, settings)
    actions = monitoring.decide_alerts(metrics, inputs.alerts, settings)
    return ValidateOutputs(metrics=metrics, actions=actions, summary={"rewarded_ads": len(reward_frame)})
