"""Pre-generation score: how a proposed set of element values has performed for a brand so far.

score = mean of the posterior means Beta(α, β) of the tagged values that have a score, or
NEUTRAL_SCORE (0.5) when none has. The uncertainty is the standard deviation of that average,
treating the values' posteriors as independent: sqrt(Σ var_i) / k with var_i the Beta variance;
with no scored value it is the standard deviation of Beta(1, 1), sqrt(1/12).

Each scored value says what its posterior rests on (`evidence`: own ads, a borrowed prior only, or
nothing), and so does the score as a whole: own when any scored value has own ads, else borrowed
when any rests on a borrowed prior, else none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from genome.errors import Problem, ValidationError
from genome.posteriors import BORROWED, NO_EVIDENCE, OWN, UNIFORM_SOURCE, evidence_kind
from genome.sampling import credible_interval
from genome.settings import Settings

NEUTRAL_SCORE = 0.5  # score when no tagged value has a posterior
NO_DATA_UNCERTAINTY = float(np.sqrt(1 / 12))  # standard deviation of Beta(1, 1)
UNCERTAINTY_METHOD = "standard deviation of the average of independent Beta posterior means"

SCORED = "scored"
NOT_SCORED = "no score yet"
NOT_TRACKED = "not a tracked element"
BREAKDOWN_COLUMNS = [
    "element_name", "element_value", "mean", "ci_low", "ci_high", "observations", "known", "status",
    "evidence",
]  # fmt: skip


@dataclass(frozen=True)
class ElementScore:
    """One tagged element value: its posterior mean and 95 % interval, or unknown (NaN)."""

    element_name: str
    element_value: str
    mean: float
    ci_low: float
    ci_high: float
    observations: float
    known: bool
    status: str  # SCORED, NOT_SCORED or NOT_TRACKED
    evidence: str  # OWN, BORROWED or NO_EVIDENCE ("none": unknown, or only the uniform prior)


@dataclass(frozen=True)
class PreGenScore:
    """Score in [0, 1], its uncertainty (see UNCERTAINTY_METHOD) and the per-element breakdown."""

    score: float
    uncertainty: float
    breakdown: tuple[ElementScore, ...]

    @property
    def known_elements(self) -> int:
        return sum(item.known for item in self.breakdown)

    @property
    def evidence(self) -> str:
        """What the score rests on: OWN if any scored value has own ads, else BORROWED, else NO_EVIDENCE."""
        kinds = {item.evidence for item in self.breakdown if item.known}
        return next((kind for kind in (OWN, BORROWED) if kind in kinds), NO_EVIDENCE)

    def breakdown_frame(self) -> pd.DataFrame:
        """The breakdown as a frame with BREAKDOWN_COLUMNS."""
        return pd.DataFrame([vars(item) for item in self.breakdown], columns=BREAKDOWN_COLUMNS)

    def to_dict(self) -> dict:
        """JSON-ready: NaN (unknown values) become None."""
        rows = [
            {
                key: (None if isinstance(value, float) and np.isnan(value) else value)
                for key, value in vars(item).items()
            }
            for item in self.breakdown
        ]
        return {
            "score": self.score,
            "uncertainty": self.uncertainty,
            "uncertainty_method": UNCERTAINTY_METHOD,
            "known_elements": self.known_elements,
            "evidence": self.evidence,
            "breakdown": rows,
        }


def validate_element_tags(element_tags: object) -> dict[str, str]:
    """`element_tags` as a plain dict of str → str, or ValidationError listing every bad entry."""
    if not isinstance(element_tags, Mapping):
        reason = f"must be an object of element name → value, got {type(element_tags).__name__}"
        raise ValidationError([Problem(0, "element_tags", reason)], what="element tags")
    problems = [
        Problem(0, "element_tags", f"entry {name!r}: {value!r} — names and values must be text")
        for name, value in element_tags.items()
        if not isinstance(name, str) or not isinstance(value, str)
    ]
    if problems:
        raise ValidationError(problems, what="element tags")
    return dict(element_tags)


def pre_gen_score(
    scores: pd.DataFrame, element_tags: Mapping[str, str], settings: Settings | None = None
) -> PreGenScore:
    """Score a proposed configuration against one brand's scores frame.

    Tagged values with no score, and (when `settings` is given) element names that are not
    tracked, appear in the breakdown as unknown and do not count towards the score.
    """
    tags = validate_element_tags(element_tags)
    proposed = pd.DataFrame(list(tags.items()), columns=["element_name", "element_value"], dtype=object)
    scored = score_elements(scores, proposed, settings)
    score, uncertainty = configuration_scores(scored, np.zeros(len(scored), dtype=np.int64), 1)
    breakdown = tuple(
        ElementScore(str(name), str(value), float(m), float(lo), float(hi), float(n), bool(k), str(s), str(e))
        for name, value, m, lo, hi, n, k, s, e in zip(
            *(scored[column].to_numpy() for column in BREAKDOWN_COLUMNS), strict=True
        )
    )  # a handful of tags
    return PreGenScore(score=float(score[0]), uncertainty=float(uncertainty[0]), breakdown=breakdown)


def score_elements(
    scores: pd.DataFrame, proposed: pd.DataFrame, settings: Settings | None = None
) -> pd.DataFrame:
    """Each proposed (element_name, element_value) row of any number of configurations, in order and
    with its other columns, plus BREAKDOWN_COLUMNS and `variance` (the Beta variance; NaN where unknown),
    looked up in one brand's scores frame with one merge. Known: scored and (with `settings`) tracked."""
    if "brand_id" in scores.columns and scores["brand_id"].nunique() > 1:
        raise ValueError("scores must hold one brand; filter by brand_id first")
    columns = ["element_name", "element_value", "alpha", "beta", "total_observations", "prior_source"]
    known_scores = scores.reindex(columns=columns).astype({"element_name": object, "element_value": object})
    merged = proposed.merge(known_scores, on=["element_name", "element_value"], how="left")
    tracked = (
        merged["element_name"].isin(settings.tracked_elements).to_numpy()
        if settings is not None
        else np.ones(len(merged), dtype=bool)
    )
    known = merged["alpha"].notna().to_numpy() & tracked
    alpha = merged["alpha"].to_numpy(dtype=np.float64)[known]
    beta = merged["beta"].to_numpy(dtype=np.float64)[known]
    means = np.full(len(merged), np.nan)
    ci_low, ci_high, observations, variance = means.copy(), means.copy(), means.copy(), means.copy()
    means[known] = alpha / (alpha + beta)
    ci_low[known], ci_high[known] = credible_interval(alpha, beta)
    observations[known] = merged["total_observations"].to_numpy(dtype=np.float64)[known]
    variance[known] = alpha * beta / ((alpha + beta) ** 2 * (alpha + beta + 1))
    status = np.select([known, ~tracked], [SCORED, NOT_TRACKED], default=NOT_SCORED)
    sources = merged["prior_source"].fillna(UNIFORM_SOURCE).to_numpy(dtype=object)
    evidence = np.where(known, evidence_kind(np.nan_to_num(observations), sources), NO_EVIDENCE)
    return pd.DataFrame(
        {
            **{name: merged[name].to_numpy() for name in proposed.columns},
            "mean": means, "ci_low": ci_low, "ci_high": ci_high, "observations": observations,
            "known": known, "status": status.astype(object), "evidence": evidence.astype(object),
            "variance": variance,
        }
    )  # fmt: skip


def configuration_scores(
    scored: pd.DataFrame, configuration: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """(score, uncertainty) of each of `count` configurations from `score_elements` rows, `configuration`
    giving each row's 0-based configuration: the mean of the known posterior means and
    sqrt(Σ variance) / k, or NEUTRAL_SCORE and NO_DATA_UNCERTAINTY for a configuration with none."""
    known = scored["known"].to_numpy(dtype=bool)
    groups = np.asarray(configuration)[known]
    known_count = np.bincount(groups, minlength=count)
    mean_sum = np.bincount(groups, weights=scored["mean"].to_numpy(dtype=np.float64)[known], minlength=count)
    variance_sum = np.bincount(
        groups, weights=scored["variance"].to_numpy(dtype=np.float64)[known], minlength=count
    )
    divisor = np.maximum(known_count, 1)
    score = np.where(known_count > 0, mean_sum / divisor, NEUTRAL_SCORE)
    uncertainty = np.where(known_count > 0, np.sqrt(variance_sum) / divisor, NO_DATA_UNCERTAINTY)
    return score, uncertainty
