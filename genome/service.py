"""Genome: the one front door. Validates arguments once, then wires the store to the pure core."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from genome import (
    brand_import,
    coldstart,
    context,
    jobs,
    notifications,
    posteriors,
    priors,
    ranking,
    sampling,
    scoring,
    validation,
)
from genome.errors import GenomeError, NotFound
from genome.monitoring import SYSTEM_ACTOR
from genome.redaction import scrub
from genome.settings import Settings
from genome.store import open_store
from genome.store.base import Store
from genome.text_rules import checked_text
from genome.vocabulary import ALERT_STATUS_FILTERS, BRAND_STAT_NAMES

CsvSource = pd.DataFrame | str | Path | IO
MAX_NAME_LENGTH = 100
MAX_NOTE_LENGTH = 2000
MAX_JOB_RUNS = 100_000
#: as_of bounds: no data is older (genome.validation refuses dates before 2000), and the pandas
#: timestamps the core computes with end in 2262
EARLIEST_AS_OF = date(2000, 1, 1)
LATEST_AS_OF = date(2199, 12, 31)
#: what `set_brand` reports, from the counts `Store.save_brands` returns
BRAND_STATUSES = {"inserted": "created", "updated": "updated"}
DEMO_REFRESH_WEEKS = 4  # the demo refreshes weekly over the last month so history has points


@dataclass(frozen=True)
class ColdStart:
    """Where a brand stands on the cold-start ladder."""

    brand_id: str
    level: int
    matured_ads: int
    exploration_rate: float
    rule: str


def open(
    url: str | None = None, key: str | None = None, config: Mapping[str, object] | None = None
) -> Genome:
    """Open a workspace. Without `url`: GENOME_DATABASE_URL, else SUPABASE_URL, else sqlite:///genome.db."""
    source = os.environ if config is None else config
    settings = Settings.load(source)
    if url is None:
        explicit = source.get("GENOME_DATABASE_URL")
        url = str(explicit) if explicit else (settings.supabase_url or settings.database_url)
    store = open_store(url, settings, key=key or settings.supabase_secret_key or None)
    return Genome(store, settings)


class Genome:
    """Refresh, validate, read posteriors, recommend, score and explain for every brand of one store."""

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or Settings()

    @property
    def url(self) -> str:
        """Where the workspace lives, safe to show (credentials replaced by ***)."""
        return self.store.url

    @property
    def notices(self) -> tuple[str, ...]:
        """What the person who opened the workspace should know, e.g. an empty file was set up."""
        return self.store.notices

    def close(self) -> None:
        self.store.close()

    # --- jobs ---------------------------------------------------------------------------------------
    def refresh(self, brand_id: str | None = None, as_of: date | str | None = None) -> dict:
        """Recompute rewards and posteriors from the performance data up to `as_of` (default today)."""
        brand_ids = self._brand_scope(brand_id)
        return self.store.refresh(brand_ids, _as_of(as_of), jobs.compute_refresh, self.settings)

    def validate(self, brand_id: str | None = None, as_of: date | str | None = None) -> dict:
        """Compute health metrics and open, update or resolve alerts; then notify the webhook."""
        brand_ids, started = self._brand_scope(brand_id), datetime.now(UTC)
        summary = self.store.validate(brand_ids, _as_of(as_of), jobs.compute_validation, self.settings)
        return {**summary, "notifications": self._notify(summary, started)}

    def daily(self, as_of: date | str | None = None) -> dict:
        """The scheduled job: refresh, then validation, for every brand, under one job lock (one
        transaction on SQLite and Postgres); then notify the webhook of the alerts that changed."""
        started = datetime.now(UTC)
        summary = self.store.daily(
            None, _as_of(as_of), jobs.compute_refresh, jobs.compute_validation, self.settings
        )
        return {**summary, "notifications": self._notify(summary["validation"], started)}

    def daily_status(self, now: datetime | None = None) -> DailyStatus:
        """When the scheduled `daily` job last ran, and whether it is overdue (see `daily_status`)."""
        runs = self.store.job_runs(DAILY_LOOKBACK_RUNS)
        return daily_status(runs, now or datetime.now(UTC), self.settings.daily_expected_hours)

    def _notify(self, validation: Mapping, started: datetime) -> dict:
        """POST the alert changes of a committed validation; record the batch as a 'notify' job run.
        Never raises: a failure is reported in the result and the job history."""
        url = self.settings.alert_webhook_url
        changed = sum(int(validation.get(f"alerts_{what}", 0)) for what in ("opened", "updated", "resolved"))
        if not url or not changed:
            return {"sent": 0, "failed": 0, "errors": []}
        try:
            brand_ids, as_of = validation["brand_ids"], date.fromisoformat(str(validation["as_of"]))
            since = started - notifications.CLOCK_SLACK
            changes = notifications.alert_changes(
                self.store.alert_events(), self.store.alerts(), brand_ids, as_of, since
            )
            if changes.empty:
                return {"sent": 0, "failed": 0, "errors": []}
            if not url.lower().startswith(("http://", "https://")):
                delivery = notifications.Delivery(
                    0, len(changes), ("GENOME_ALERT_WEBHOOK_URL is not an http(s) URL",)
                )
            else:
                delivery = notifications.deliver(url, notifications.payloads(changes))
            result = delivery.summary()
            summary = {**result, "validation_job_id": validation.get("job_id")}
            self.store.record_job("notify", brand_ids, summary, delivery.error_text())
            return result
        except Exception as error:  # notifications never fail the job that committed
            reason = scrub(f"notifying the webhook failed: {type(error).__name__}: {error}", url)
            return {"sent": 0, "failed": 0, "errors": [reason.splitlines()[0] if reason else reason]}

    def import_ads(self, source: CsvSource) -> dict:
        """Validate the whole file, then write it in one transaction; raises ValidationError otherwise."""
        return self.store.import_ads(validation.validate_ads(source, self.settings))

    def import_performance(self, source: CsvSource) -> dict:
        """Validate daily performance rows (their ads must exist), then write them all or nothing.

        The summary adds `objective_fallbacks` ({objective name: rows} weighing as DEFAULT because the
        name is not in genome.objectives' table) and `conversions_above_clicks` (rows)."""
        rows = validation.validate_performance(source, known_ad_ids=self.store.known_ad_ids)
        return {**self.store.import_performance(rows), **validation.performance_notes(rows)}

    def load_demo(self, seed: int = 7, as_of: date | str | None = None) -> dict:
        """Load the demo workspace and run weekly refreshes and validations up to `as_of`."""
        from genome import demo

        day = _as_of(as_of)
        workspace = demo.build_demo(seed=seed, as_of=day)
        self.store.save_brands(workspace.brands)
        self.store.import_ads(workspace.ads)
        self.store.import_performance(workspace.performance)
        for weeks_back in range(DEMO_REFRESH_WEEKS, -1, -1):
            self.refresh(as_of=day - timedelta(weeks=weeks_back))
            self.validate(as_of=day - timedelta(weeks=weeks_back))
        return {
            "brands": len(workspace.brands),
            "ads": len(workspace.ads),
            "performance_rows": len(workspace.performance),
            "as_of": day.isoformat(),
        }

    # --- brands -------------------------------------------------------------------------------------
    def set_brand(
        self,
        brand_id: str,
        *,
        name: str | None = None,
        organization_id: str | None = None,
        cross_brand_sharing: bool | None = None,
    ) -> dict:
        """Create or change one brand; returns it with "status" created, updated or unchanged.

        None keeps the stored value (a new brand: its id as name, no organization, sharing off);
        name="" gives back the id as name; organization_id="" removes the organization. Sharing lets
        other brands' priors learn from this brand's evidence from their next refresh on.
        """
        brand_id = checked_text(brand_id, "brand id", brand_import.LIMITS["brand_id"], required=True)
        if name is not None:
            name = checked_text(name, "name", brand_import.LIMITS["name"])
        if organization_id is not None:
            organization_id = checked_text(
                organization_id, "organization id", brand_import.LIMITS["organization_id"]
            )
        if cross_brand_sharing is not None and not isinstance(cross_brand_sharing, bool | np.bool_):
            raise GenomeError(f"cross_brand_sharing must be True, False or None, got {cross_brand_sharing!r}")
        change = pd.DataFrame(
            {
                "id": [brand_id],
                "name": [name],
                "organization_id": [organization_id],
                "cross_brand_sharing": [None if cross_brand_sharing is None else bool(cross_brand_sharing)],
            },
            dtype=object,
        )
        counts = self.store.save_brands(change)
        status = next((s for k, s in BRAND_STATUSES.items() if counts.get(k)), "unchanged")
        brand = self.store.brands().set_index("id").loc[brand_id]
        return {
            "id": brand_id,
            "name": str(brand["name"]),
            "organization_id": None if pd.isna(brand["organization_id"]) else str(brand["organization_id"]),
            "cross_brand_sharing": bool(brand["cross_brand_sharing"]),
            "created_at": brand["created_at"],
            "status": status,
        }

    def import_brands(self, source: CsvSource) -> dict:
        """Validate a brands CSV whole (see genome.brand_import), then write it all or nothing."""
        counts = self.store.save_brands(brand_import.validate_brands(source))
        return {
            key: int(counts[key]) for key in ("inserted", "updated", "unchanged")
        }  # same order everywhere

    # --- reads --------------------------------------------------------------------------------------
    def brands(self) -> pd.DataFrame:
        return self.store.brands()

    def overview(self) -> pd.DataFrame:
        """One row per brand with its cold-start position, alerts and winner rate."""
        frame = self.store.brand_overview(self.settings.winner_threshold)
        matured = frame["matured_ads"].to_numpy(dtype=float)
        return frame.assign(
            cold_start_level=coldstart.cold_start_level(matured),
            exploration_rate=coldstart.brand_exploration_rate(matured, self.settings),
        )

    def posteriors(self, brand_id: str) -> pd.DataFrame:
        """Posterior summary per element value: mean, 95 % interval, P(best), label, and `evidence`
        (own / borrowed / none). A brand at level 0 shows what it may borrow and its own values."""
        matured = self._require_brand(brand_id)["matured_ads"]
        return sampling.describe_posteriors(self._decision_scores(brand_id, matured, True), self.settings)

    def priors(self, brand_id: str) -> pd.DataFrame:
        """The priors in use for a brand, where they came from, its own ads per value, and `evidence`
        (own / borrowed / none)."""
        columns = [
            "element_name",
            "element_value",
            "prior_alpha",
            "prior_beta",
            "prior_source",
            "total_observations",
        ]
        matured = self._require_brand(brand_id)["matured_ads"]
        frame = self._decision_scores(brand_id, matured, True)[columns].reset_index(drop=True)
        return frame.assign(
            evidence=posteriors.evidence_kind(frame["total_observations"], frame["prior_source"])
        )

    def score_history(self, brand_id: str) -> pd.DataFrame:
        self._require_brand(brand_id)
        return self.store.score_history(brand_id)

    def score_history_since(self, since: date | str) -> pd.DataFrame:
        """Every brand's score snapshots with as_of >= `since` (brand_id first): what changed across brands."""
        return self.store.score_history_since(_as_of(since))

    def metric_history(self, brand_id: str | None = None) -> pd.DataFrame:
        if brand_id is not None:
            self._require_brand(brand_id)
        return self.store.metric_history(brand_id)

    def job_runs(self, limit: int = 50) -> pd.DataFrame:
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_JOB_RUNS:
            raise GenomeError(f"limit must be a positive whole number up to {MAX_JOB_RUNS:,}, got {limit!r}")
        return self.store.job_runs(limit)

    def cold_start(self, brand_id: str) -> ColdStart:
        matured = self._require_brand(brand_id)["matured_ads"]
        level = coldstart.cold_start_level(matured)
        rate = coldstart.brand_exploration_rate(matured, self.settings)
        return ColdStart(brand_id, level, matured, rate, coldstart.LEVEL_RULES[level])

    def recommend(self, brand_id: str, seed: int | None = None) -> dict[str, str]:
        """One Thompson draw per tracked dimension, exploring at the brand's exploration rate.

        A brand without scores, or never seen, gets a level-0 draw over what it may borrow."""
        return self.recommendation(brand_id, seed).elements

    def recommendation(self, brand_id: str, seed: int | None = None) -> sampling.Recommendation:
        """Like `recommend`, with the seed and the dimensions that explored (for replay)."""
        seed = None if seed is None else _seed(seed)
        stats, scores = self._decision_inputs(brand_id)
        rate = coldstart.brand_exploration_rate(stats["matured_ads"], self.settings)
        return sampling.recommend(scores, rate, seed)

    def pre_gen_score(self, brand_id: str, element_tags: Mapping[str, str]) -> scoring.PreGenScore:
        """Score a proposed configuration before generating it (level 0 for a brand without scores)."""
        return scoring.pre_gen_score(self._decision_inputs(brand_id)[1], element_tags, self.settings)

    def rank_templates(
        self,
        brand_id: str,
        candidates: CsvSource | Sequence[Mapping[str, object]],
        mode: ranking.RankMode = "smart_select",
        weight: float | None = None,
    ) -> pd.DataFrame:
        """Candidate templates best first: score = (1 − w)·base_score + w·performance_score, the
        performance score being the pre-generation score of each template's element values (see
        genome.ranking; w 0.3 for smart_select, 0.0 for roll_the_dice, or `weight`). Level 0 for a
        brand without scores; ValidationError (row, column, reason) for bad candidates."""
        w = ranking.ranking_weight(mode, weight)
        if isinstance(candidates, list | tuple):  # records straight from the generator
            candidates = pd.DataFrame(list(candidates))
        clean = ranking.validate_candidates(candidates)
        return ranking.rank_templates(clean, self._decision_inputs(brand_id)[1], w, self.settings)

    def save_generated_ad(
        self,
        ad_id: str,
        brand_id: str,
        element_tags: Mapping[str, str],
        pre_gen_score: float | None = None,
        final_status: str = "pending",
        created_at: datetime | date | str | None = None,
    ) -> dict:
        """Save one ad at generation time with its tags and pre-generation score, through the ads import
        (the same checks; ValidationError names the field). Idempotent by ad id: saving the same values
        again reports "unchanged" and changes no ad (the save is still recorded as an import_ads job
        run); other values update the ad. `created_at` defaults to now (UTC): pass the generation time
        so that a retry is a no-op. Returns {"ad_id", "status": inserted, updated or unchanged, "job_id"}."""
        tags = scoring.validate_element_tags(element_tags)
        for what, value in (("ad id", ad_id), ("brand id", brand_id), ("final_status", final_status)):
            if not isinstance(value, str):
                raise GenomeError(f"{what} must be text, got {type(value).__name__}")
        row = {
            "ad_id": ad_id,
            "brand_id": brand_id,
            "created_at": _iso(datetime.now(UTC) if created_at is None else created_at),
            "final_status": final_status,
            "is_imported": False,
            "pre_gen_score": np.nan if pre_gen_score is None else pre_gen_score,
            "element_tags": json.dumps(tags),
        }
        ad = validation.validate_ads(pd.DataFrame([row], dtype=object), self.settings)
        counts = self.store.import_ads(ad)
        status = next(key for key in ("inserted", "updated", "unchanged") if counts.get(key))
        return {"ad_id": ad_id, "status": status, "job_id": counts.get("job_id")}

    def performance_context(self, brand_id: str, seed: int | None = None) -> context.PerformanceContext:
        """The advice injected into the generation prompt (deterministic for a seed); its
        recommendation is `recommend(brand_id, seed)`. Level 0 for a brand without scores."""
        seed = None if seed is None else _seed(seed)
        stats, scores = self._decision_inputs(brand_id)
        approval = context.approval_rate(stats["approved"], stats["rejected"], self.settings)
        return context.build_context(brand_id, scores, stats["matured_ads"], approval, self.settings, seed)

    def alerts(self, status: str | None = None, brand_id: str | None = None) -> pd.DataFrame:
        if status is not None and status not in ALERT_STATUS_FILTERS:
            raise GenomeError(f"status must be one of {', '.join(ALERT_STATUS_FILTERS)}, got {status!r}")
        if brand_id is not None:
            _brand_text(brand_id)
        return self.store.alerts(status=status, brand_id=brand_id)

    def alert_events(self, alert_id: int | None = None, brand_id: str | None = None) -> pd.DataFrame:
        """The history of alerts, oldest first: who opened, escalated, reopened, acknowledged or
        resolved each one, when, with what note (columns in genome.store.frames.ALERT_EVENTS)."""
        if alert_id is not None:
            alert_id = _alert_id(alert_id)
        if brand_id is not None:
            _brand_text(brand_id)
        return self.store.alert_events(alert_id=alert_id, brand_id=brand_id)

    def acknowledge(self, alert_id: int, by: str, note: str = "") -> dict:
        return self._set_alert(alert_id, "acknowledged", by, note)

    def resolve(self, alert_id: int, by: str, note: str = "") -> dict:
        return self._set_alert(alert_id, "resolved", by, note)

    # --- argument guards ----------------------------------------------------------------------------
    def _set_alert(self, alert_id: int, status: str, by: str, note: str) -> dict:
        alert_id = _alert_id(alert_id)
        by = checked_text(by, "name", MAX_NAME_LENGTH, required=True)
        if by.lower() == SYSTEM_ACTOR:
            raise GenomeError(f'"{SYSTEM_ACTOR}" names the changes validation makes: give your own name')
        note = checked_text(note, "note", MAX_NOTE_LENGTH, multiline=True)
        return self.store.set_alert_status(alert_id, status, by, note, datetime.now(UTC))

    def _brand_scope(self, brand_id: str | None) -> list[str] | None:
        if brand_id is None:
            return None
        self._require_brand(brand_id)
        return [brand_id]

    def _require_brand(self, brand_id: str) -> dict[str, int]:
        """The brand's counts (matured ads, approved, rejected); NotFound when there is no such brand."""
        stats = self._brand_stats(brand_id)
        if stats is None:
            raise NotFound(f"no brand {brand_id!r} in this workspace; import its ads first")
        return stats

    def _brand_stats(self, brand_id: str) -> dict[str, int] | None:
        """The brand's counts, approvals over the health window ending today; None if never seen."""
        _brand_text(brand_id)
        today = datetime.now(UTC).date()
        window = (today - timedelta(days=self.settings.health_window_days - 1), today)
        return self.store.brand_stats(brand_id, window)

    def _decision_inputs(self, brand_id: str) -> tuple[dict[str, int], pd.DataFrame]:
        """(counts, scores) that recommend, score and context decide from; a brand never seen counts
        zero. The hot path for a brand with own rewards is two indexed reads."""
        stats = self._brand_stats(brand_id)
        known = stats is not None
        stats = stats if known else dict.fromkeys(BRAND_STAT_NAMES, 0)
        return stats, self._decision_scores(brand_id, stats["matured_ads"], known)

    def _decision_scores(self, brand_id: str, matured_ads: int, known: bool) -> pd.DataFrame:
        """The brand's stored scores once it has own rewards; at level 0 (no matured ad yet, or never
        seen) the scores of `_borrowable_scores`, so its own tagged values take part too."""
        if matured_ads > 0:
            return self.store.scores(brand_id)
        return self._borrowable_scores(brand_id, known)

    def _borrowable_scores(self, brand_id: str, known: bool) -> pd.DataFrame:
        """Level 0: the priors a brand without scores may borrow, by refresh's own rule
        (`genome.priors.cold_start_priors` over the stored evidence of brands that share), over the
        values sharing brands have observed plus the brand's own tagged values (uniform prior).
        Values that only non-sharing brands have never appear."""
        brands = self.store.brands()
        if not known:  # a brand never seen: no organization, not sharing
            brands = pd.concat(
                [
                    brands,
                    pd.DataFrame(
                        {"id": [brand_id], "organization_id": [None], "cross_brand_sharing": [False]}
                    ),
                ],
                ignore_index=True,
            )
        evidence = posteriors.evidence_from_scores(self.store.scores(None))
        borrowed = priors.cold_start_priors(evidence, brands, self.settings, brand_ids=[brand_id])
        tracked = list(self.settings.tracked_elements)
        own = self.store.ad_elements([brand_id], tracked) if known else pd.DataFrame(columns=priors.VALUE_KEY)
        own_values = own[priors.VALUE_KEY].drop_duplicates().astype(object)
        zero = own_values.assign(brand_id=brand_id, successes=0.0, failures=0.0, observations=0)
        return posteriors.posterior_scores(zero, borrowed[borrowed["element_name"].isin(tracked)])


#: how many of the newest job runs are searched for the last daily run (a day holds a handful)
DAILY_LOOKBACK_RUNS = 500
SCHEDULE_HINT = 'schedule "python -m genome daily" (README, Scheduling)'


@dataclass(frozen=True)
class DailyStatus:
    """One line about the scheduled job for the Overview page; `overdue` when it needs attention."""

    text: str
    overdue: bool


def daily_status(runs: pd.DataFrame, now: datetime, expected_hours: float) -> DailyStatus:
    """From the newest job runs: when the last daily run finished and how, and whether the last
    succeeded one is older than `expected_hours` (or there is none)."""
    daily = runs.loc[runs["job_type"] == "daily"] if not runs.empty else runs
    if daily.empty:
        return DailyStatus(f"The daily job has not run yet: {SCHEDULE_HINT}.", True)
    newest = daily.sort_values("id").iloc[-1]
    succeeded = daily.loc[daily["status"] == "succeeded"]
    last = f"Last daily run: {_when(newest['finished_at'], now)} ({newest['status']})"
    if succeeded.empty:
        return DailyStatus(f"{last}; no daily run has succeeded yet: see Data, Job history.", True)
    age = now - _utc(succeeded.sort_values("id").iloc[-1]["finished_at"])
    if newest["status"] != "succeeded" or age > timedelta(hours=expected_hours):
        return DailyStatus(
            f"{last}. The last successful one was {_hours(age)} ago, and one is expected every"
            f" {expected_hours:g} hours: check the scheduler and Data, Job history; {SCHEDULE_HINT}.",
            True,
        )
    return DailyStatus(f"{last}.", False)


def _utc(value: object) -> datetime:
    """A stored time as an aware UTC datetime (the stores return naive UTC or aware times)."""
    at = pd.Timestamp(value)  # type: ignore[arg-type]
    return (at.tz_localize(UTC) if at.tzinfo is None else at.tz_convert(UTC)).to_pydatetime()


def _when(value: object, now: datetime) -> str:
    at = _utc(value)
    return f"{at:%Y-%m-%d %H:%M} UTC, {_hours(now - at)} ago"


def _hours(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours < 1:
        return "less than an hour"
    return f"{hours:,.0f} hours" if hours < 48 else f"{hours / 24:,.0f} days"


def _as_of(value: date | str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            raise GenomeError(f"as_of must be a date like 2026-11-26, got {value!r}") from None
    if not EARLIEST_AS_OF <= day <= LATEST_AS_OF:
        raise GenomeError(f"as_of must be between {EARLIEST_AS_OF} and {LATEST_AS_OF}, got {day}")
    return day


def _alert_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise GenomeError(f"alert id must be a positive whole number, got {value!r}")
    return int(value)


def _brand_text(brand_id: object) -> None:
    """A brand id argument as imports store ids: refused when it is not text, empty, too long, holds a
    forbidden character, or starts or ends with spaces (" aurora" would silently be another brand)."""
    if checked_text(brand_id, "brand id", validation.MAX_ID_LENGTH, required=True) != brand_id:
        raise GenomeError(f"brand id must not start or end with spaces, got {brand_id!r}")


def _iso(value: object) -> object:
    """Dates and times as ISO text for the import's date check; anything else as given (it checks that)."""
    return value.isoformat() if isinstance(value, date) else value


def _seed(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < 2**63:
        raise GenomeError(f"seed must be a whole number from 0 to 2**63 − 1, got {value!r}")
    return int(value)
