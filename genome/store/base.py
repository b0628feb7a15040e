"""The Store protocol every backend implements, and the frames that cross it.

Jobs are one transaction each: the backend opens it, reads the inputs, calls the pure `compute`
function it is given, writes the outputs and the job run, and commits; a failure rolls back
everything and records a failed job run afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

import pandas as pd

JOB_TYPES = ("refresh", "validate", "import_ads", "import_performance", "demo")
FINAL_STATUSES = ("approved", "rejected", "flagged", "pending", "generation_failed")
ALERT_STATUSES = ("open", "acknowledged", "resolved")
ALERT_EVENT_KINDS = ("opened", "escalated", "reopened", "acknowledged", "resolved", "auto_resolved")
SEVERITIES = ("warning", "critical")
BRAND_STATS = ("matured_ads", "approved", "rejected")


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


class Store(Protocol):
    """Persistence for one workspace. Reads return DataFrames; writes are transactional."""

    url: str  # safe to show: never contains a secret
    notices: tuple[str, ...]  # what the person who opened it should know (e.g. a read-only file)

    def close(self) -> None: ...

    # --- brands and imports -------------------------------------------------------------------
    def brands(self) -> pd.DataFrame:
        """id, name, organization_id, cross_brand_sharing, created_at."""

    def save_brands(self, brands: pd.DataFrame) -> dict:
        """Upsert brands by id (id, name, organization_id, cross_brand_sharing, created_at; missing
        columns are null) in one transaction. Null keeps the stored value (a new brand: name = id, no
        organization, sharing off, created now); name '' = the id; organization_id '' = none.
        Returns {"inserted": n, "updated": n, "unchanged": n}. Not a job run."""

    def import_ads(self, ads: pd.DataFrame) -> dict:
        """Upsert validated ads by id (element_tags as JSON text); creates unknown brands.
        Returns {"inserted": n, "updated": n, "unchanged": n}; one transaction, recorded as a job."""

    def import_performance(self, rows: pd.DataFrame) -> dict:
        """Upsert validated daily rows by (ad, date); same return and guarantees as import_ads."""

    def known_ad_ids(self, ad_ids: Sequence[str]) -> set[str]:
        """Which of these ad ids exist (for validating performance rows)."""

    # --- jobs -----------------------------------------------------------------------------------
    def refresh(
        self, brand_ids: Sequence[str] | None, as_of: date, compute: Callable[[RefreshInputs], RefreshOutputs]
    ) -> dict:
        """Run one refresh transaction; returns the job summary (new/updated/unchanged rewards,
        elements updated, duration_seconds, job_id)."""

    def validate(
        self,
        brand_ids: Sequence[str] | None,
        as_of: date,
        compute: Callable[[ValidateInputs], ValidateOutputs],
    ) -> dict:
        """Run one validation transaction; returns the job summary (alerts opened / updated /
        resolved, metrics, job_id)."""

    # --- reads ------------------------------------------------------------------------------------
    def ad_aggregates(self, brand_ids: Sequence[str] | None, as_of: date) -> pd.DataFrame: ...

    def rewards(self, brand_id: str | None = None) -> pd.DataFrame:
        """generated_ad_id as ad_id, brand_id, reward_score, campaign_objective, maturity,
        impressions_at_reward, matured_at, computed_at."""

    def scores(self, brand_id: str | None = None) -> pd.DataFrame: ...

    def score_history(self, brand_id: str) -> pd.DataFrame:
        """as_of, element_name, element_value, alpha, beta, mean_reward, total_observations."""

    def brand_overview(self, winner_threshold: float) -> pd.DataFrame:
        """One row per brand: brand_id, name, organization_id, ads, matured_ads, approved,
        rejected, open_alerts, winner_rate, last_refresh — aggregated in SQL."""

    def brand_stats(self, brand_id: str, approval_window: tuple[date, date]) -> dict[str, int] | None:
        """{"matured_ads", "approved", "rejected"} of one brand from indexed counts (the fast path
        of recommend, score and context); approved and rejected count its native (not imported)
        ads created on a UTC day within `approval_window` (first, last; inclusive), as the
        approval-rate health metric does. None when there is no such brand."""

    def alerts(self, status: str | None = None, brand_id: str | None = None) -> pd.DataFrame: ...

    def set_alert_status(self, alert_id: int, status: str, by: str, note: str, at: datetime) -> dict:
        """Acknowledge or resolve one alert (NotFound if missing, GenomeError if already
        resolved); returns the updated alert as a dict."""

    def alert_events(self, alert_id: int | None = None, brand_id: str | None = None) -> pd.DataFrame:
        """The append-only history of alerts (frames.ALERT_EVENTS), oldest first: id, alert_id,
        brand_id, kind (ALERT_EVENT_KINDS), actor, occurred_at, note, severity, metric_value, as_of."""

    def metric_history(self, brand_id: str | None = None) -> pd.DataFrame:
        """as_of, brand_id, metric_name, metric_value, warning, critical."""

    def job_runs(self, limit: int = 50) -> pd.DataFrame: ...
