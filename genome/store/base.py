"""The Store protocol every backend implements.

Jobs follow one flow (`common.JobFlow`): open the job's transaction, read the inputs, call the pure
`compute` function it is given (genome/jobs.py), write the outputs and the job run, and commit; a
failure rolls back everything and records a failed job run afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol

import pandas as pd

from genome.jobs import RefreshOutputs, ValidateOutputs
from genome.settings import Settings
from genome.vocabulary import JobType


class Store(Protocol):
    """Persistence for one workspace. Reads return DataFrames; writes are transactional."""

    url: str  # safe to show: never contains a secret
    notices: tuple[str, ...]  # what the person who opened it should know (e.g. a read-only file)

    def close(self) -> None: ...

    # --- brands and imports -------------------------------------------------------------------
    def brands(self) -> pd.DataFrame:
        """frames.BRANDS, by id."""

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
        self,
        brand_ids: Sequence[str] | None,
        as_of: date,
        compute: Callable[..., RefreshOutputs],
        settings: Settings | None = None,
    ) -> dict:
        """Run one refresh transaction; returns the job summary (new/updated/unchanged rewards,
        elements updated, duration_seconds, job_id). With `settings`, `compute(inputs, settings)`
        runs, and a refresh whose inputs and settings are those of the last refresh is skipped
        (recorded with the last results); without, `compute(inputs)` runs and is never skipped."""

    def validate(
        self,
        brand_ids: Sequence[str] | None,
        as_of: date,
        compute: Callable[..., ValidateOutputs],
        settings: Settings | None = None,
    ) -> dict:
        """Run one validation transaction (`compute(inputs, settings)`, or `compute(inputs)`
        without settings); returns the job summary (alerts opened / updated / resolved, metrics,
        job_id)."""

    def daily(
        self,
        brand_ids: Sequence[str] | None,
        as_of: date,
        refresh: Callable[..., RefreshOutputs],
        validate: Callable[..., ValidateOutputs],
        settings: Settings | None = None,
    ) -> dict:
        """A refresh then a validation under one job lock (SQLite, Postgres: one transaction; REST: two
        calls); returns {"refresh": summary, "validation": summary, "job_id"} of the 'daily' run."""

    def record_job(
        self, job_type: JobType, brand_ids: Sequence[str], summary: dict, error: str | None = None
    ) -> int:
        """Record a run that wrote nothing else (a notification batch); failed when `error`."""

    # --- reads ------------------------------------------------------------------------------------
    def ad_aggregates(self, brand_ids: Sequence[str] | None, as_of: date) -> pd.DataFrame: ...

    def rewards(self, brand_id: str | None = None) -> pd.DataFrame:
        """frames.REWARDS (the stored rewards, components out of their JSON), by ad."""

    def scores(self, brand_id: str | None = None) -> pd.DataFrame: ...

    def score_history(self, brand_id: str) -> pd.DataFrame:
        """frames.SCORE_HISTORY of one brand, oldest first."""

    def score_history_since(self, since: date) -> pd.DataFrame:
        """brand_id and the score_history columns of every brand's snapshots with as_of >= `since`
        (what changed across brands, without reading all history)."""

    def brand_overview(self, winner_threshold: float) -> pd.DataFrame:
        """One row per brand (frames.BRAND_OVERVIEW), aggregated in SQL."""

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
        """The append-only history of alerts (frames.ALERT_EVENTS; kind one of
        vocabulary.ALERT_EVENT_KINDS), oldest first."""

    def metric_history(self, brand_id: str | None = None) -> pd.DataFrame:
        """frames.METRIC_HISTORY, oldest first."""

    def job_runs(self, limit: int = 50) -> pd.DataFrame: ...
