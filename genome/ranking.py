"""Template ranking: the generator's candidate templates ordered by their other scores blended with how
their element values have performed for a brand.

score = (1 − w) · base_score + w · performance_score, where `performance_score` is the pre-generation
score of the template's element values (genome.scoring: the mean of their posterior means, no
sampling, NEUTRAL_SCORE when none is scored) and w is the mode's weight: SMART_SELECT_WEIGHT for
"smart_select", ROLL_THE_DICE_WEIGHT (performance ignored) for "roll_the_dice", or given.

Candidates (a CSV path, file object or DataFrame): one row per template, `template_id` (required,
unique), an optional `base_score` in [0, 1] (what the generator's other scorers gave; a blank cell or a
missing column is NEUTRAL_SCORE, so the weights keep their meaning), and at least one element column
(any other column: template_category, hook_type, …; a blank cell is an element the template does not
set). Element names that are not tracked are carried into the breakdown as "not a tracked element",
like genome.scoring does. Ties keep the candidates' order.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

import numpy as np
import pandas as pd

from genome.element_tags import elements_from_columns
from genome.errors import GenomeError
from genome.posteriors import BORROWED, NO_EVIDENCE, OWN
from genome.problems import WHOLE_FILE, Problems
from genome.scoring import BREAKDOWN_COLUMNS, NEUTRAL_SCORE, configuration_scores, score_elements
from genome.settings import Settings
from genome.validation import CsvSource, _duplicates, _identifier, _numbers
from genome.validation import _read as read_cells  # the one CSV reader of every import

RankMode = Literal["smart_select", "roll_the_dice"]
RANK_MODES: Final[tuple[str, ...]] = get_args(RankMode)
SMART_SELECT_WEIGHT: Final = 0.3
ROLL_THE_DICE_WEIGHT: Final = 0.0
MODE_WEIGHTS: Final[dict[str, float]] = {
    "smart_select": SMART_SELECT_WEIGHT,
    "roll_the_dice": ROLL_THE_DICE_WEIGHT,
}
TEMPLATE_ID: Final = "template_id"
BASE_SCORE: Final = "base_score"
RANKING_COLUMNS: Final = (
    "rank", TEMPLATE_ID, "score", BASE_SCORE, "performance_score", "weight", "uncertainty",
    "known_elements", "evidence", "breakdown",
)  # fmt: skip
_EVIDENCE_ORDER: Final = (NO_EVIDENCE, BORROWED, OWN)  # a template rests on the strongest of its values


def ranking_weight(mode: str, weight: object = None) -> float:
    """The weight of the performance score: `weight` when given (a number in [0, 1]), else the mode's."""
    if mode not in MODE_WEIGHTS:
        raise GenomeError(f"mode must be {' or '.join(RANK_MODES)}, got {mode!r}")
    if weight is None:
        return MODE_WEIGHTS[mode]
    if isinstance(weight, bool) or not isinstance(weight, int | float | np.integer | np.floating):
        raise GenomeError(f"weight must be a number from 0 to 1, got {weight!r}")
    if not 0.0 <= float(weight) <= 1.0:  # NaN fails this too
        raise GenomeError(f"weight must be a number from 0 to 1, got {weight!r}")
    return float(weight)


def validate_candidates(source: CsvSource) -> pd.DataFrame:
    """Clean candidates: template_id, base_score (float), and the element columns as text ('' = not set);
    or ValidationError listing every problem (row, column, reason)."""
    problems = Problems("candidates file")
    raw = read_cells(source, problems)
    elements = [] if raw is None else [c for c in raw.columns if c not in (TEMPLATE_ID, BASE_SCORE)]
    if raw is not None:
        problems.add_file([] if TEMPLATE_ID in raw.columns else [TEMPLATE_ID], "missing column")
        if not elements:
            problems.add_file(
                [WHOLE_FILE],
                "no element columns: add one column per element, e.g. template_category, hook_type",
            )
    problems.raise_if_any()
    assert raw is not None
    problems.column_order = [TEMPLATE_ID, BASE_SCORE, *elements]
    template_id = _identifier(raw, TEMPLATE_ID, problems)
    _duplicates(problems, TEMPLATE_ID, TEMPLATE_ID, template_id)
    base = _numbers(raw, BASE_SCORE, problems, allow_blank=True)
    problems.add(base > 1, BASE_SCORE, "must be between 0 and 1")
    found = elements_from_columns(raw[elements], problems)
    problems.raise_if_any()
    cells = np.full((len(raw), len(elements)), "", dtype=object)
    cells[found.rows, pd.Index(elements).get_indexer(found.names)] = found.values
    return pd.concat(
        [
            pd.DataFrame(
                {TEMPLATE_ID: template_id, BASE_SCORE: base.fillna(NEUTRAL_SCORE).astype("float64")}
            ),
            pd.DataFrame(cells, columns=elements, index=raw.index),
        ],
        axis=1,
    )


def rank_templates(
    candidates: pd.DataFrame, scores: pd.DataFrame, weight: float, settings: Settings | None = None
) -> pd.DataFrame:
    """Rank clean candidates (`validate_candidates`) against one brand's scores frame: RANKING_COLUMNS,
    best first. `breakdown` lists each element value's posterior as genome.scoring's breakdown does;
    `evidence` is what the performance score rests on (own ads, borrowed priors, or none)."""
    elements = [c for c in candidates.columns if c not in (TEMPLATE_ID, BASE_SCORE)]
    cells = candidates[elements].to_numpy(dtype=object).ravel()  # row by row
    rows = np.repeat(np.arange(len(candidates)), len(elements))
    is_set = cells != ""
    proposed = pd.DataFrame(
        {
            "element_name": np.tile(np.array(elements, dtype=object), len(candidates))[is_set],
            "element_value": cells[is_set],
        }
    )
    scored = score_elements(scores, proposed, settings)
    rows = rows[is_set]
    performance, uncertainty = configuration_scores(scored, rows, len(candidates))
    known = scored["known"].to_numpy(dtype=bool)
    strength = pd.Categorical(scored["evidence"], categories=_EVIDENCE_ORDER).codes
    evidence_code = np.zeros(len(candidates), dtype=np.int64)
    np.maximum.at(evidence_code, rows[known], strength[known])
    base = candidates[BASE_SCORE].to_numpy(dtype=np.float64)
    ranked = pd.DataFrame(
        {
            TEMPLATE_ID: candidates[TEMPLATE_ID].to_numpy(dtype=object),
            "score": (1.0 - weight) * base + weight * performance,
            BASE_SCORE: base,
            "performance_score": performance,
            "weight": weight,
            "uncertainty": uncertainty,
            "known_elements": np.bincount(rows[known], minlength=len(candidates)),
            "evidence": np.array(_EVIDENCE_ORDER, dtype=object)[evidence_code],
            "breakdown": _breakdowns(scored, rows, len(candidates)),
        }
    )
    ranked = ranked.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    return ranked.assign(rank=np.arange(1, len(ranked) + 1))[list(RANKING_COLUMNS)]


def evidence_note(ranked: pd.DataFrame) -> str | None:
    """A sentence when the ranking does not rest on the brand's own ads (None when it does)."""
    kinds = set(ranked["evidence"])
    if OWN in kinds:
        return None
    if BORROWED in kinds:
        return (
            "This brand has no own results for these element values yet: performance scores rest on priors "
            "borrowed from brands that share data."
        )
    return (
        f"No evidence for these element values yet: every performance score is the neutral {NEUTRAL_SCORE}, "
        "so the order follows the base scores."
    )


def _breakdowns(scored: pd.DataFrame, rows: np.ndarray, count: int) -> list[list[dict]]:
    """Per candidate, its element values as BREAKDOWN_COLUMNS records (NaN as None, ready for JSON)."""
    columns = []
    for name in BREAKDOWN_COLUMNS:
        values = scored[name].to_numpy()
        shown = values.astype(object)  # Python floats, bools and texts
        if values.dtype.kind == "f":
            shown[np.isnan(values)] = None
        columns.append(shown)
    records = [dict(zip(BREAKDOWN_COLUMNS, item, strict=True)) for item in zip(*columns, strict=True)]
    ends = np.cumsum(np.bincount(rows, minlength=count))
    return [records[start:end] for start, end in zip(np.r_[0, ends[:-1]], ends, strict=True)]
