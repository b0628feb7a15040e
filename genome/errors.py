"""Domain exceptions: what callers catch. Messages are written for the person who must act."""

from __future__ import annotations

from dataclasses import dataclass


class GenomeError(Exception):
    """Base class for every error Creative Genome raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One reason an input was refused: 1-based data row (0 for the whole file), column, reason."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}, column {self.column!r}: {self.reason}"


class ValidationError(GenomeError):
    """Input refused; `problems` lists every row, column and reason (or the first of `total`, then a line
    counting the rest). Nothing was written."""

    def __init__(self, problems: list[Problem], what: str = "input", total: int | None = None) -> None:
        self.problems = problems
        self.total = len(problems) if total is None else total
        shown = "; ".join(str(p) for p in problems[:3])
        more = f" (and {self.total - 3:,} more)" if self.total > 3 else ""
        super().__init__(f"{what} refused, nothing written: {shown}{more}")


class NotFound(GenomeError):
    """A brand, alert or other record that was asked for does not exist."""


class StoreError(GenomeError):
    """The database refused or could not be reached. Keeps the server's code and details."""

    def __init__(
        self, message: str, code: str | None = None, details: str | None = None, hint: str | None = None
    ) -> None:
        self.code, self.details, self.hint = code, details, hint
        super().__init__(message if code is None else f"{message} [{code}]")
