"""Genome: the one front door. Validates arguments once, then wires the store to the pure core."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from genome import coldstart, context, jobs, sampling, scoring, validation
from genome.errors import GenomeError, NotFound
from genome.settings import Settings
from genome.store import open_store
from genome.store.base import Store

CsvSource = pd.DataFrame | str | Path | IO
MAX_NAME_LENGTH = 100
MAX_NOTE_LENGTH = 2000
MAX_JOB_RUNS = 100_000
#: as_of bounds: no data is older (genome.validation refuses dates before 2000), and the pandas
#: timestamps the core computes with end in 2262
EARLIEST_AS_OF = date(2000, 1, 1)
LATEST_AS_OF = date(2199, 12, 31)
#: characters a name or note may not hold: controls other than tab and line breaks, unpaired surrogates
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
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
        compute = partial(jobs.compute_refresh, settings=self.settings)
        return self.store.refresh(brand_ids, _as_of(as_of), compute)

    def validate(self, brand_id: str | None = None, as_of: date | str | None = None) -> dict:
        """Compute health metrics and open, update or resolve alerts."""
        brand_ids = self._brand_scope(brand_id)
        compute = partial(jobs.compute_validation, settings=self.settings)
        return self.store.validate(brand_ids, _as_of(as_of), compute)

    def import_ads(self, source: CsvSource) -> dict:
        """Validate the whole file, then write it in one transaction; raises ValidationError otherwise."""
        return self.store.import_ads(validation.validate_ads(source, self.settings))

    def import_performance(self, source: CsvSource) -> dict:
        """Validate daily performance rows (their ads must exist), then write them all or nothing."""
        rows = validation.validate_performance(source, known_ad_ids=self.store.known_ad_ids)
        return self.store.import_performance(rows)

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

    # --- reads --------------------------------------------------------------------------------------
    def brands(self) -> pd.DataFrame:
        return self.store.brands()

    def overview(self) -> pd.DataFrame:
        """One row per brand with its cold-start position, alerts and winner rate."""
        frame = self.store.brand_overview(self.settings.winner_threshold)
        matured = frame["matured_ads"].to_numpy(dtype=float)
        return frame.assign(
            cold_start_level=coldstart.cold_start_level(matured),
            exploration_rate=coldstart.exploration_rate(matured),
        )

    def posteriors(self, brand_id: str, seed: int = 0) -> pd.DataFrame:
        """Posterior summary per element value: mean, 95 % interval, P(best), label (seeded)."""
        scores = self._scores(brand_id)
        return sampling.describe_posteriors(scores, self.settings, np.random.default_rng(_seed(seed)))

    def priors(self, brand_id: str) -> pd.DataFrame:
        """The priors in use for a brand and where they came from."""
        columns = [
            "element_name",
            "element_value",
            "prior_alpha",
            "prior_beta",
            "prior_source",
            "total_observations",
        ]
        return self._scores(brand_id)[columns].reset_index(drop=True)

    def score_history(self, brand_id: str) -> pd.DataFrame:
        self._require_brand(brand_id)
        return self.store.score_history(brand_id)

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
        return ColdStart(
            brand_id, level, matured, coldstart.exploration_rate(matured), coldstart.LEVEL_RULES[level]
        )

    def recommend(self, brand_id: str, seed: int | None = None) -> dict[str, str]:
        """One Thompson draw per tracked dimension, exploring at the brand's exploration rate."""
        return self.recommendation(brand_id, seed).elements

    def recommendation(self, brand_id: str, seed: int | None = None) -> sampling.Recommendation:
        """Like `recommend`, with the seed and the dimensions that explored (for replay)."""
        rate = coldstart.exploration_rate(self._require_brand(brand_id)["matured_ads"])
        scores = self.store.scores(brand_id)
        return sampling.recommend(
            scores, rate, None if seed is None else _seed(seed), candidates=self._candidates(scores)
        )

    def pre_gen_score(self, brand_id: str, element_tags: Mapping[str, str]) -> scoring.PreGenScore:
        """Score a proposed configuration before generating it."""
        return scoring.pre_gen_score(self._scores(brand_id), element_tags, self.settings)

    def performance_context(self, brand_id: str, seed: int | None = None) -> context.PerformanceContext:
        """The advice injected into the generation prompt (deterministic for a seed)."""
        stats = self._require_brand(brand_id)
        decided = stats["approved"] + stats["rejected"]
        approval = stats["approved"] / decided if decided else None
        scores = self.store.scores(brand_id)
        return context.build_context(
            brand_id,
            scores,
            stats["matured_ads"],
            approval,
            self.settings,
            None if seed is None else _seed(seed),
        )

    def alerts(self, status: str | None = None, brand_id: str | None = None) -> pd.DataFrame:
        if status is not None and status not in ("open", "acknowledged", "resolved", "unresolved"):
            raise GenomeError(f"status must be open, acknowledged, resolved or unresolved, got {status!r}")
        if brand_id is not None:
            _brand_text(brand_id)
        return self.store.alerts(status=status, brand_id=brand_id)

    def acknowledge(self, alert_id: int, by: str, note: str = "") -> dict:
        return self._set_alert(alert_id, "acknowledged", by, note)

    def resolve(self, alert_id: int, by: str, note: str = "") -> dict:
        return self._set_alert(alert_id, "resolved", by, note)

    # --- argument guards ----------------------------------------------------------------------------
    def _set_alert(self, alert_id: int, status: str, by: str, note: str) -> dict:
        if isinstance(alert_id, bool) or not isinstance(alert_id, int | np.integer) or alert_id < 1:
            raise GenomeError(f"alert id must be a positive whole number, got {alert_id!r}")
        by = _text(by, "name", MAX_NAME_LENGTH, required=True)
        note = _text(note, "note", MAX_NOTE_LENGTH, required=False)
        return self.store.set_alert_status(int(alert_id), status, by, note, datetime.now(UTC))

    def _brand_scope(self, brand_id: str | None) -> list[str] | None:
        if brand_id is None:
            return None
        self._require_brand(brand_id)
        return [brand_id]

    def _require_brand(self, brand_id: str) -> dict[str, int]:
        """The brand's counts (matured ads, approved, rejected); NotFound when there is no such brand."""
        if not isinstance(brand_id, str) or not brand_id.strip():
            raise GenomeError(f"brand id must be a non-empty text, got {brand_id!r}")
        stats = self.store.brand_stats(brand_id)
        if stats is None:
            raise NotFound(f"no brand {brand_id!r} in this workspace; import its ads first")
        return stats

    def _scores(self, brand_id: str) -> pd.DataFrame:
        self._require_brand(brand_id)
        return self.store.scores(brand_id)

    def _candidates(self, scores: pd.DataFrame) -> dict[str, list[str]] | None:
        """Values to draw from: the brand's own, plus for dimensions it has never scored, every
        value any brand of the workspace has (uniform prior), so a brand with no data still explores."""
        missing = set(self.settings.tracked_elements) - set(scores["element_name"])
        if not missing:
            return None
        workspace = self.store.scores(None)
        borrowed = workspace[workspace["element_name"].isin(missing)]
        known = pd.concat([scores, borrowed])[["element_name", "element_value"]].drop_duplicates()
        return known.groupby("element_name")["element_value"].agg(list).to_dict()


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


def _brand_text(brand_id: object) -> None:
    if not isinstance(brand_id, str) or not brand_id.strip():
        raise GenomeError(f"brand id must be a non-empty text, got {brand_id!r}")


def _seed(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < 2**63:
        raise GenomeError(f"seed must be a whole number from 0 to 2**63 − 1, got {value!r}")
    return int(value)


def _text(value: object, what: str, limit: int, required: bool) -> str:
    if not isinstance(value, str):
        raise GenomeError(f"{what} must be text, got {type(value).__name__}")
    value = value.strip()
    if _UNSTORABLE.search(value):
        raise GenomeError(f"{what} holds a control character or invalid Unicode")
    if required and not value:
        raise GenomeError(f"{what} is required")
    if len(value) > limit:
        raise GenomeError(f"{what} is longer than {limit} characters")
    return value
