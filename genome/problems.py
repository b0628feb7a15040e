"""Problems with an input, gathered as frames of (row, column, reason) and raised as one ValidationError.

Checks are column operations: a boolean mask becomes problems. Values quoted in a reason are cut to
40 characters and never carry control characters (a hostile file must not drive the terminal).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from genome.errors import Problem, ValidationError

MAX_PROBLEMS: Final = 1_000
WHOLE_FILE: Final = "*"  # the column named by problems about the file rather than a column
CONTROL_CHARACTER: Final = "[\x00-\x1f\x7f]"
MAX_SHOWN_LENGTH: Final = 40


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
            shown = (
                pd.Series(np.asarray(value, dtype=object)[hits]).astype("str").str.slice(0, MAX_SHOWN_LENGTH)
            )
            shown = shown.str.replace(CONTROL_CHARACTER, "\N{REPLACEMENT CHARACTER}", regex=True)
            reason = (before + "'" + shown + "'" + after).to_numpy(dtype=object)
        elif not isinstance(reason, str):
            reason = np.asarray(reason, dtype=object)[hits]
        self._frames.append(
            pd.DataFrame(
                {
                    "row": (np.flatnonzero(hits) if rows is None else rows[hits]) + 1,
                    "column": column if isinstance(column, str) else np.asarray(column, dtype=object)[hits],
                    "reason": reason,
                }
            )
        )

    def add_file(self, columns: list[str], reason: str) -> None:
        if columns:
            self._frames.append(pd.DataFrame({"row": 0, "column": columns, "reason": reason}))

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
        raise ValidationError(listed, what=self.what)
