"""The performance context: what the genome knows about a brand, rendered as advice for the prompt.

`build_context` is deterministic given its seed. The seed drives the recommendation exactly as
`sampling.recommend(scores, rate, seed)` does, so the context and a recommendation drawn with the
same seed from the same scores agree; P(best) behind the labels uses fixed seeds, as the posteriors
view does.

Only the brand's own evidence makes a value "top-performing" or a "strong signal"; values known
only through a prior borrowed from sharing brands are listed apart, as borrowed, and the context
says what its recommendation rests on (`evidence`: own, borrowed or none).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from genome.coldstart import brand_exploration_rate, cold_start_level
from genome.posteriors import BORROWED, NO_EVIDENCE, OWN
from genome.sampling import describe_posteriors, make_rng, recommend
from genome.settings import Settings
from genome.text_rules import printable

TOP_VALUES_PER_DIMENSION = 3
LIMITED_DATA_MAX_LEVEL = 1  # at or below this cold-start level, say that data is limited
LOW_APPROVAL_RATE = 0.30  # below this historical approval rate, add a caution note
STRONG_SIGNAL_MEAN = 0.70  # a top value with a posterior mean above this is a strong signal

LIMITED_DATA_NOTE = "Limited performance data available. Exploring broadly."
BORROWED_NOTE = (
    "No own performance data yet: the recommendation rests on priors borrowed from brands that share "
    "their data, not on this brand's results."
)
NO_EVIDENCE_NOTE = (
    "No own performance data and nothing to borrow yet: the recommendation is uniform over the known values."
)
LOW_APPROVAL_NOTE = (
    "Historical approval rate is low ({rate:.0%}, below {threshold:.0%}): stay close to the brand "
    "guidelines and avoid risky claims."
)
STRONG_SIGNAL_NOTE = (
    "Strong signal: {element} = {value} (mean reward {mean:.2f}, 95% CI {low:.2f}–{high:.2f}, {ads})."
)
CORRELATIONAL_NOTE = (
    "These findings are correlational, not causal: treat them as hints, never as rules that override "
    "the brief or brand guidelines."
)


@dataclass(frozen=True)
class TopElement:
    """A top-performing value of one dimension, as the prompt and the dashboard show it."""

    element_value: str
    mean: float
    ci_low: float
    ci_high: float
    observations: float
    label: str


def approval_rate(approved: int, rejected: int, settings: Settings) -> float | None:
    """The approval-rate health metric (genome.monitoring) from a brand's counts of native ads of the
    health window: approved / (approved + rejected); None below `settings.min_rate_sample` decided ads."""
    decided = approved + rejected
    return approved / decided if decided >= max(settings.min_rate_sample, 1) else None


def count_text(count: float, noun: str) -> str:
    """'1 ad', '2 ads', '1,200 ads', '0.5 ads': the count with the noun in the right number."""
    number = f"{int(count):,}" if float(count).is_integer() else f"{count:,.2f}".rstrip("0")
    return f"{number} {noun}" if count == 1 else f"{number} {noun}s"


@dataclass(frozen=True)
class PerformanceContext:
    """Everything injected into the generation prompt for one brand, plus the seed that replays it."""

    brand_id: str
    cold_start_level: int
    total_matured_ads: int
    exploration_rate: float
    top_performing_elements: dict[str, tuple[TopElement, ...]]  # own evidence only
    historical_approval_rate: float | None
    recommended_elements: dict[str, str]
    explored_dimensions: tuple[str, ...]
    optimization_notes: tuple[str, ...]
    seed: int
    evidence: str = NO_EVIDENCE  # what the recommendation rests on: own, borrowed or none
    borrowed_elements: dict[str, tuple[TopElement, ...]] | None = None  # best values known only by a prior
    approval_window_days: int = 30  # the approval rate counts native ads created in these last days

    def to_dict(self) -> dict:
        """JSON-serialisable: plain dicts, lists, str, int, float and None."""
        return {
            "brand_id": self.brand_id,
            "cold_start_level": self.cold_start_level,
            "total_matured_ads": self.total_matured_ads,
            "exploration_rate": self.exploration_rate,
            "top_performing_elements": {
                name: [vars(top).copy() for top in tops]
                for name, tops in self.top_performing_elements.items()
            },
            "historical_approval_rate": self.historical_approval_rate,
            "recommended_elements": dict(self.recommended_elements),
            "explored_dimensions": list(self.explored_dimensions),
            "optimization_notes": list(self.optimization_notes),
            "seed": self.seed,
            "evidence": self.evidence,
            "borrowed_elements": {
                name: [vars(top).copy() for top in tops]
                for name, tops in (self.borrowed_elements or {}).items()
            },
            "approval_window_days": self.approval_window_days,
        }

    def to_prompt(self) -> str:
        """The exact advisory text placed in the generation prompt."""
        lines = [
            "PERFORMANCE CONTEXT (advisory; the brief and brand guidelines come first)",
            f"Data: {count_text(self.total_matured_ads, 'matured ad')}; cold-start level "
            f"{self.cold_start_level} of 3; evidence: {EVIDENCE_WORDS[self.evidence]}.",
            f"Exploration: about {self.exploration_rate:.0%} of element choices should deliberately try "
            "something other than the current leaders, so the genome keeps learning.",
        ]
        window = f"last {count_text(self.approval_window_days, 'day')}, generated ads"
        if self.historical_approval_rate is not None:
            lines.append(f"Historical approval rate ({window}): {self.historical_approval_rate:.0%}.")
        else:
            lines.append(f"Historical approval rate ({window}): not enough approved or rejected ads yet.")
        if self.top_performing_elements:
            lines.append(
                "Top-performing elements, own ads only (mean reward 0-1, 95% credible interval, ads, label):"
            )
            lines.extend(
                f"- {name}: " + "; ".join(map(_top_text, tops))
                for name, tops in self.top_performing_elements.items()
            )
        else:
            lines.append(
                "Top-performing elements: none yet; no element has performance data of this brand's own."
            )
        if self.borrowed_elements:
            lines.append(
                "Borrowed, not this brand's results (priors from brands that share data, mean reward 0-1):"
            )
            lines.extend(
                f"- {name}: " + "; ".join(f"{top.element_value} {top.mean:.2f}" for top in tops)
                for name, tops in self.borrowed_elements.items()
            )
        if self.recommended_elements:
            chosen = ", ".join(f"{name}={value}" for name, value in self.recommended_elements.items())
            explored = ", ".join(self.explored_dimensions) or "none"
            lines.append(f"Recommended for this ad: {chosen} (exploring: {explored}).")
        lines.extend(f"Note: {note}" for note in self.optimization_notes)
        lines.append(CORRELATIONAL_NOTE)
        return "\n".join(map(printable, lines))  # one line per entry, whatever the stored values hold


EVIDENCE_WORDS = {
    OWN: "own (this brand's matured ads)",
    BORROWED: "borrowed (priors from brands that share data; no own results yet)",
    NO_EVIDENCE: "none yet (uniform over the known values)",
}


def _top_text(top: TopElement) -> str:
    return (
        f"{top.element_value} {top.mean:.2f} ({top.ci_low:.2f}–{top.ci_high:.2f}, "
        f"{count_text(top.observations, 'ad')}, {top.label})"
    )


def _top_elements(view: pd.DataFrame) -> dict[str, tuple[TopElement, ...]]:
    top = view.groupby("element_name", sort=True).head(TOP_VALUES_PER_DIMENSION)
    return {
        str(name): tuple(
            TopElement(str(row.element_value), float(row.mean), float(row.ci_low), float(row.ci_high),
                       float(row.observations), str(row.label))
            for row in rows.itertuples(index=False)
        )
        for name, rows in top.groupby("element_name", sort=True)
    }  # fmt: skip


def _notes(
    level: int, approval_rate: float | None, view: pd.DataFrame, evidence: str, min_observations: float
) -> tuple[str, ...]:
    """Notes from the own-evidence view (`view` holds only values with own ads)."""
    notes = []
    if level <= LIMITED_DATA_MAX_LEVEL:
        notes.append(LIMITED_DATA_NOTE)
    if evidence == BORROWED:
        notes.append(BORROWED_NOTE)
    elif evidence == NO_EVIDENCE:
        notes.append(NO_EVIDENCE_NOTE)
    if approval_rate is not None and approval_rate < LOW_APPROVAL_RATE:
        notes.append(LOW_APPROVAL_NOTE.format(rate=approval_rate, threshold=LOW_APPROVAL_RATE))
    leaders = view.groupby("element_name", sort=True).head(1)
    own_ads = leaders["observations"]
    strong = leaders[
        (leaders["mean"] > STRONG_SIGNAL_MEAN)
        & (own_ads >= max(1.0, min_observations))
        & (2 * own_ads >= leaders["alpha"] + leaders["beta"])  # own ads weigh at least as much as the prior
    ]
    notes.extend(
        STRONG_SIGNAL_NOTE.format(element=row.element_name, value=row.element_value, mean=row.mean,
                                  low=row.ci_low, high=row.ci_high, ads=count_text(row.observations, "ad"))
        for row in strong.itertuples(index=False)
    )  # fmt: skip
    return tuple(notes)


def build_context(
    brand_id: str,
    scores: pd.DataFrame,
    matured_ads: int,
    approval_rate: float | None,
    settings: Settings,
    seed: int | None = None,
) -> PerformanceContext:
    """The performance context of one brand from its scores frame, matured-ad count and approval rate.

    `approval_rate` None or NaN means unknown (the health metric's approval rate: native ads of the
    last `settings.health_window_days` days). Without `seed` one is drawn and reported in `.seed`.
    Top-performing values and the strong-signal note count own evidence only: a strong signal needs
    a leader whose mean exceeds STRONG_SIGNAL_MEAN with at least `settings.label_min_observations`
    (and at least one) own observations that weigh at least as much as its prior (a borrowed prior
    does not carry a signal); a prior alone is never a signal.
    """
    level = cold_start_level(matured_ads)
    rate = brand_exploration_rate(matured_ads, settings)
    rng, seed = make_rng(seed)
    if approval_rate is not None and math.isnan(approval_rate):
        approval_rate = None
    if approval_rate is not None and not 0 <= approval_rate <= 1:
        raise ValueError(f"approval_rate must be between 0 and 1, got {approval_rate!r}")
    view = describe_posteriors(scores, settings)
    recommendation = recommend(scores, rate, rng)
    kinds = set(view["evidence"])
    evidence = next((kind for kind in (OWN, BORROWED) if kind in kinds), NO_EVIDENCE)
    own = view[view["evidence"] == OWN]
    return PerformanceContext(
        brand_id=str(brand_id),
        cold_start_level=level,
        total_matured_ads=int(matured_ads),
        exploration_rate=rate,
        top_performing_elements=_top_elements(own),
        historical_approval_rate=None if approval_rate is None else float(approval_rate),
        recommended_elements=recommendation.elements,
        explored_dimensions=recommendation.explored,
        optimization_notes=_notes(level, approval_rate, own, evidence, settings.label_min_observations),
        seed=seed,
        evidence=evidence,
        borrowed_elements=_top_elements(view[view["evidence"] == BORROWED]),
        approval_window_days=settings.health_window_days,
    )
