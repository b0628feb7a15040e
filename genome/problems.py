"""Problems with an input, gathered as frames of (row, column, reason) and raised as one ValidationError.

Checks are column operations: a boolean mask becomes problems. Values quoted in a reason are cut to
40 characters; neither they nor column names carry what genome.text_rules forbids in a line (a
hostile file must not drive the terminal, break a line or reorder what a reader sees).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from genome.errors import Problem, ValidationError
from genome.text_rules import FORBIDDEN_IN_TEXT, forbidden_reason

MAX_PROBLEMS: Final = 1_000
WHOLE_FILE: Final = "*"  # the column named by problems about the file rather than a column
MAX_SHOWN_LENGTH: Final = 40


def forbidden_text(texts: pd.Series) -> pd.Series:
    """Why each text may not be an id, name, value or objective (genome.text_rules.forbidden_reason of
    its first forbidden character, e.g. "holds a zero-width character (U+200B)"), '' where it may
    (and for missing values).

    One regex pass over the column; only the texts that hold a forbidden character are searched for
    it, and the reason is worded once per distinct character."""
    hits = texts.str.contains(FORBIDDEN_IN_TEXT, regex=True, na=False).to_numpy(dtype=bool)
    reasons = np.full(len(texts), "", dtype=object)
    if hits.any():
        found = texts[hits].astype(object).str.extract(f"({FORBIDDEN_IN_TEXT})", expand=False)
        words = {character: forbidden_reason(character) for character in found.unique()}
        reasons[hits] = found.map(words).to_numpy(dtype=object)
    return pd.Series(reasons, index=texts.index, dtype="str")


def shown(texts: pd.Series, limit: int | None = MAX_SHOWN_LENGTH) -> pd.Series:
    """Texts as a problem may show them: cut to `limit` characters, forbidden characters as U+FFFD."""
    cut = texts.astype("str").str.slice(0, limit)
    return cut.str.replace(FORBIDDEN_IN_TEXT, "\N{REPLACEMENT CHARACTER}", regex=True)


class Problems:
    """Problems gathered as frames (row, column, reason); Problem objects are made only for those shown."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.column_order: list[str] = []
        self._frames: list[pd.DataFrame] = []

    def __bool__(self) -> bool:
        return bool(self._frames)

    def add(
        self,
        mask: pd.Series | np.ndarray,
        column: str | np.ndarray,
        reason: str | np.ndarray,
        *,
        value: pd.Series | np.ndarray | None = None,
        rows: np.ndarray | None = None,
    ) -> None:
        """One problem per True in `mask`. `column` and `reason` are one text or one per item; '{value}' in
        `reason` becomes the item's quoted `value`. Rows are the mask's positions unless `rows` gives the
        items' 0-based data rows (long element arrays)."""
        hits = np.asarray(mask.fillna(False) if isinstance(mask, pd.Series) else mask, dtype=bool)
        if not hits.any():
            return
        if value is not None:
            before, _, after = str(reason).partition("{value}")
            quoted = shown(pd.Series(np.asarray(value, dtype=object)[hits]))
            reason = (before + "'" + quoted + "'" + after).to_numpy(dtype=object)
        elif not isinstance(reason, str):
            reason = np.asarray(reason, dtype=object)[hits]
        if not isinstance(column, str):  # element names from a header or JSON keys
            column = shown(pd.Series(np.asarray(column, dtype=object)[hits]), None).to_numpy(dtype=object)
        self._frames.append(
            pd.DataFrame(
                {
                    "row": (np.flatnonzero(hits) if rows is None else rows[hits]) + 1,
                    "column": column,
                    "reason": reason,
                }
            )
        )

    def add_file(self, columns: list[str], reason: str) -> None:
        if columns:
            names = shown(pd.Series(columns, dtype=object), None).tolist()
            self._frames.append(pd.DataFrame({"row": 0, "column": names, "reason": reason}))

    def raise_if_any(self) -> None:
        """Raise ValidationError: the first MAX_PROBLEMS problems by row and column, and a count of the rest."""
        if not self._frames:
            return
        found = pd.concat(self._frames, ignore_index=True)
        rank = {name: i for i, name in enumerate(self.column_order)}
        found = found.assign(order=found["column"].map(rank).fillna(len(rank)))
        shown = found.sort_values(["row", "order"], kind="stable").head(MAX_PROBLEMS)
        listed = [
            Problem(int(row), str(column), str(reason))
            for row, column, reason in shown[["row", "column", "reason"]].itertuples(index=False)
        ]
        if len(found) > MAX_PROBLEMS:
            listed.append(Problem(0, WHOLE_FILE, f"{len(found) - MAX_PROBLEMS:,} more problems not shown"))
        raise ValidationError(listed, what=self.what, total=len(found))
