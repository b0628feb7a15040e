"""The performance context: what the genome knows about a brand, rendered as advice for the prompt.

`build_context` is deterministic given its seed. The seed drives the recommendation exactly as
`sampling.recommend(scores, rate, seed)` does, so the context and a recommendation drawn with the
same seed agree; P(best) behind the labels uses the fixed PROB_BEST_SEED, as the posteriors view does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from genome.coldstart import cold_start_level, exploration_rate
from genome.sampling import describe_posteriors, make_rng, recommend
from genome.settings import Settings

TOP_VALUES_PER_DIMENSION = 3
LIMITED_DATA_MAX_LEVEL = 1  # at or below this cold-start level, say that data is limited
LOW_APPROVAL_RATE = 0.30  # below this historical approval rate, add a caution note
STRONG_SIGNAL_MEAN = 0.70  # a top value with a posterior mean above this is a strong signal

LIMITED_DATA_NOTE = "Limited performance data available. Exploring broadly."
LOW_APPROVAL_NOTE = (
    "Historical approval rate is low ({rate:.0%}, below {threshold:.0%}): stay close to the brand "
    "guidelines and avoid risky claims."
)
STRONG_SIGNAL_NOTE = (
    "Strong signal: {element} = {value} (mean reward {mean:.2f}, 95% CI {low:.2f}–{high:.2f}, "
    "{observations:g} ads)."
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


@dataclass(frozen=True)
class PerformanceContext:
    """Everything injected into the generation prompt for one brand, plus the seed that replays it."""

    brand_id: str
    cold_start_level: int
    total_matured_ads: int
    exploration_rate: float
    top_performing_elements: dict[str, tuple[TopElement, ...]]
    historical_approval_rate: float | None
    recommended_elements: dict[str, str]
    explored_dimensions: tuple[str, ...]
    optimization_notes: tuple[str, ...]
    seed: int

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
        }

    def to_prompt(self) -> str:
        """The exact advisory text placed in the generation prompt."""
        lines = [
            "PERFORMANCE CONTEXT (advisory; the brief and brand guidelines come first)",
            f"Data: {self.total_matured_ads} matured ads; cold-start level {self.cold_start_level} of 3.",
            f"Exploration: about {self.exploration_rate:.0%} of element choices should deliberately try "
            "something other than the current leaders, so the genome keeps learning.",
        ]
        if self.historical_approval_rate is not None:
            lines.append(f"Historical approval rate: {self.historical_approval_rate:.0%}.")
        if self.top_performing_elements:
            lines.append("Top-performing elements (mean reward 0-1, 95% credible interval, ads, label):")
            lines.extend(
                f"- {name}: "
                + "; ".join(
                    f"{top.element_value} {top.mean:.2f} ({top.ci_low:.2f}–{top.ci_high:.2f}, "
                    f"{top.observations:g} ads, {top.label})"
                    for top in tops
                )
                for name, tops in self.top_performing_elements.items()
            )
        else:
            lines.append("Top-performing elements: none yet; no element has performance data.")
        if self.recommended_elements:
            chosen = ", ".join(f"{name}={value}" for name, value in self.recommended_elements.items())
            explored = ", ".join(self.explored_dimensions) or "none"
            lines.append(f"Recommended for this ad: {chosen} (exploring: {explored}).")
        lines.extend(f"Note: {note}" for note in self.optimization_notes)
        lines.append(CORRELATIONAL_NOTE)
        return "\n".join(lines)


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
    level: int, approval_rate: float | None, view: pd.DataFrame, settings: Settings
) -> tuple[str, ...]:
    notes = []
    if level <= LIMITED_DATA_MAX_LEVEL:
        notes.append(LIMITED_DATA_NOTE)
    if approval_rate is not None and approval_rate < LOW_APPROVAL_RATE:
        notes.append(LOW_APPROVAL_NOTE.format(rate=approval_rate, threshold=LOW_APPROVAL_RATE))
    leaders = view.groupby("element_name", sort=True).head(1)
    strong = leaders[
        (leaders["mean"] > STRONG_SIGNAL_MEAN) & (leaders["observations"] >= settings.label_min_observations)
    ]
    notes.extend(
        STRONG_SIGNAL_NOTE.format(element=row.element_name, value=row.element_value, mean=row.mean,
                                  low=row.ci_low, high=row.ci_high, observations=row.observations)
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

    `approval_rate` None or NaN means unknown. Without `seed` one is drawn and reported in `.seed`.
    A strong-signal note needs a leader whose mean exceeds STRONG_SIGNAL_MEAN and which has at
    least `settings.label_min_observations` observations (a prior alone is not a signal).
    """
    level = cold_start_level(matured_ads)
    rate = exploration_rate(matured_ads)
    rng, seed = make_rng(seed)
    if approval_rate is not None and math.isnan(approval_rate):
        approval_rate = None
    if approval_rate is not None and not 0 <= approval_rate <= 1:
        raise ValueError(f"approval_rate must be between 0 and 1, got {approval_rate!r}")
    view = describe_posteriors(scores, settings)
    recommendation = recommend(scores, rate, rng)
    return PerformanceContext(
        brand_id=str(brand_id),
        cold_start_level=level,
        total_matured_ads=int(matured_ads),
        exploration_rate=rate,
        top_performing_elements=_top_elements(view),
        historical_approval_rate=None if approval_rate is None else float(approval_rate),
        recommended_elements=recommendation.elements,
        explored_dimensions=recommendation.explored,
        optimization_notes=_notes(level, approval_rate, view, settings),
        seed=seed,
    )
