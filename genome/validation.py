"""The import boundary: ads and daily-performance files in, clean typed frames out — or every problem.

`validate_ads` and `validate_performance` take a CSV path, a file-like object or a DataFrame and
return a frame ready for the store, or raise `ValidationError` listing every problem (1-based data
row, 0 for the whole file; column; reason). Nothing is returned partially. Checks are column
operations: a boolean mask becomes problems. Unicode and HTML are valid data and are kept verbatim;
rendering them safely is the dashboard's job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import chain, repeat
from pathlib import Path
from typing import IO, Final, NamedTuple

import numpy as np
import pandas as pd

from genome.errors import Problem, ValidationError
from genome.settings import Settings

CsvSource = str | Path | IO[str] | IO[bytes] | pd.DataFrame

TAGS_COLUMN: Final = "element_tags"
AD_COLUMNS: Final = ("ad_id", "brand_id", "created_at", "final_status", "is_imported", "pre_gen_score")
PERFORMANCE_COLUMNS: Final = (
    "ad_id",
    "date",
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "revenue",
    "campaign_objective",
)
OPTIONAL_COLUMNS: Final = frozenset({"pre_gen_score", "campaign_objective"})  # absent: NaN / DEFAULT
COUNT_COLUMNS: Final = ("impressions", "clicks", "conversions")
MONEY_COLUMNS: Final = ("spend", "revenue")
#: the same values as genome.store.base.FINAL_STATUSES (a pure module does not import the store)
FINAL_STATUSES: Final = ("approved", "rejected", "flagged", "pending", "generation_failed")
#: used only when genome.rewards (the owner of the objective weights) cannot be imported
FALLBACK_OBJECTIVES: Final = ("CONVERSIONS", "SALES", "TRAFFIC", "AWARENESS", "ENGAGEMENT", "DEFAULT")
DEFAULT_OBJECTIVE: Final = "DEFAULT"
TRUE_WORDS: Final = frozenset({"true", "1", "yes"})
FALSE_WORDS: Final = frozenset({"false", "0", "no"})
MAX_ID_LENGTH: Final = 200
MAX_TEXT_LENGTH: Final = 500
MAX_ELEMENT_LENGTH: Final = 200  # an element name or value
MAX_TAGS_LENGTH: Final = 10_000  # one element_tags cell
DECIMAL_NUMBER: Final = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"  # 12, -0.5, 1e3; not 1,000 or inf
MAX_COUNT: Final = 2**53  # the largest whole number a float carries exactly
EARLIEST_DATE: Final = pd.Timestamp("2000-01-01")
FUTURE_TOLERANCE: Final = timedelta(days=1)
MAX_PROBLEMS: Final = 1_000
WHOLE_FILE: Final = "*"  # the column named by problems about the file rather than a column


def validate_ads(
    df_or_path: CsvSource, settings: Settings | None = None, *, today: date | None = None
) -> pd.DataFrame:
    """Clean ads: ad_id, brand_id, created_at, final_status, is_imported, pre_gen_score, element_tags.

    Elements come from an `element_tags` column (a JSON object of text -> text) or, without it, from
    one column per element (every column beyond the known ones; an empty cell is an element not set).
    `element_tags` comes back as canonical JSON text (sorted keys, compact). Dates later than
    `today` (default: today in UTC) + 1 day are refused.
    """
    settings = settings or Settings()
    problems = _Problems("ads file")
    raw = _read(df_or_path, problems)
    known = (*AD_COLUMNS, TAGS_COLUMN)
    extra = [] if raw is None else [c for c in raw.columns if c not in known]
    if raw is not None:
        problems.add_file(_missing(raw, AD_COLUMNS), "missing column")
        if TAGS_COLUMN in raw.columns:
            problems.add_file(extra, "unexpected column: this file gives its elements in element_tags")
        elif not extra:
            problems.add_file(
                [TAGS_COLUMN],
                "missing column: give element_tags (a JSON object) or one "
                f"column per element, e.g. {', '.join(settings.tracked_elements)}",
            )
    problems.raise_if_any()
    assert raw is not None
    problems.column_order = [*known, *extra]
    ad_id = _identifier(raw, "ad_id", problems)
    brand_id = _identifier(raw, "brand_id", problems)
    _duplicates(problems, "ad_id", "ad_id", ad_id)
    created_at = _dates(raw, "created_at", problems, _today(today), calendar_date=False)
    status = _choice(
        _text(raw, "final_status", problems).str.lower(), "final_status", FINAL_STATUSES, problems
    )
    is_imported = _booleans(raw, "is_imported", problems)
    score = _numbers(raw, "pre_gen_score", problems, allow_blank=True)
    problems.add(score > 1, "pre_gen_score", "must be between 0 and 1")
    if TAGS_COLUMN in raw.columns:
        elements = _elements_from_json(raw[TAGS_COLUMN], problems)
    else:
        elements = _elements_from_columns(raw[extra], problems)
    problems.raise_if_any()
    return pd.DataFrame(
        {
            "ad_id": ad_id,
            "brand_id": brand_id,
            "created_at": created_at.astype("datetime64[ns]"),
            "final_status": status,
            "is_imported": is_imported.astype(bool),
            "pre_gen_score": score.astype("float64"),
            TAGS_COLUMN: _tags_json(elements, len(raw)),
        }
    )


def validate_performance(
    df_or_path: CsvSource,
    known_ad_ids: set[str] | Callable[[list[str]], set[str]] | None = None,
    *,
    today: date | None = None,
) -> pd.DataFrame:
    """Clean daily rows: ad_id, date, impressions, clicks, conversions, spend, revenue, campaign_objective.

    Counts are whole, non-negative and consistent (clicks <= impressions, conversions <= clicks);
    (ad_id, date) is unique; an empty objective is DEFAULT, an unknown one is refused. With
    `known_ad_ids` (a set, or a function from the file's ad ids to those that exist), rows for any
    other ad are refused.
    """
    problems = _Problems("performance file")
    raw = _read(df_or_path, problems)
    if raw is not None:
        problems.add_file(_missing(raw, PERFORMANCE_COLUMNS), "missing column")
        unexpected = [c for c in raw.columns if c not in PERFORMANCE_COLUMNS]
        problems.add_file(unexpected, f"unexpected column; the columns are {', '.join(PERFORMANCE_COLUMNS)}")
    problems.raise_if_any()
    assert raw is not None
    problems.column_order = list(PERFORMANCE_COLUMNS)
    ad_id = _identifier(raw, "ad_id", problems)
    if callable(known_ad_ids):
        known_ad_ids = known_ad_ids(ad_id[ad_id.ne("")].unique().tolist())
    if known_ad_ids is not None:
        problems.add(ad_id.ne("") & ~ad_id.isin(known_ad_ids), "ad_id", "unknown ad; import the ad first")
    day = _dates(raw, "date", problems, _today(today), calendar_date=True)
    _duplicates(problems, "date", "(ad_id, date)", ad_id, day)
    counts = {name: _numbers(raw, name, problems, whole=True) for name in COUNT_COLUMNS}
    money = {name: _numbers(raw, name, problems) for name in MONEY_COLUMNS}
    problems.add(counts["clicks"] > counts["impressions"], "clicks", "more clicks than impressions")
    problems.add(counts["conversions"] > counts["clicks"], "conversions", "more conversions than clicks")
    objective = _text(raw, "campaign_objective", problems).str.strip().str.upper()
    objective = _choice(
        objective.mask(objective.eq(""), DEFAULT_OBJECTIVE),
        "campaign_objective",
        known_objectives(),
        problems,
    )
    problems.raise_if_any()
    return pd.DataFrame(
        {
            "ad_id": ad_id,
            "date": day.astype("datetime64[ns]"),
            **{name: values.astype("int64") for name, values in counts.items()},
            **{name: values.astype("float64") for name, values in money.items()},
            "campaign_objective": objective,
        }
    )


def known_objectives() -> tuple[str, ...]:
    """The campaign objectives that have reward weights (from genome.rewards when it is importable)."""
    try:
        from genome.rewards import OBJECTIVE_WEIGHTS
    except ImportError:
        return FALLBACK_OBJECTIVES
    return tuple(OBJECTIVE_WEIGHTS)


class _Problems:
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
            shown = pd.Series(np.asarray(value, dtype=object)[hits]).astype("str").str.slice(0, 40)
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


_RAGGED_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _read(source: CsvSource, problems: _Problems) -> pd.DataFrame | None:
    """Raw cells with 0-based positions: CSV text as str ('' when empty), or the given frame; None if unusable."""
    if isinstance(source, pd.DataFrame):
        header, frame = [str(c).strip() for c in source.columns], source.reset_index(drop=True)
    else:
        try:
            cells = pd.read_csv(
                source, header=None, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
            )
        except pd.errors.EmptyDataError:
            problems.add_file([WHOLE_FILE], "the file is empty")
            return None
        except pd.errors.ParserError as error:
            ragged = _RAGGED_LINE.search(str(error))
            if ragged is None:
                problems.add_file([WHOLE_FILE], f"not a readable CSV file: {error}")
            else:  # the parser stops at the first ragged line
                expected, line, saw = (int(n) for n in ragged.groups())
                reason = f"{saw} cells where the header has {expected}"
                problems.add(np.array([True]), WHOLE_FILE, reason, rows=np.array([line - 2]))
            return None
        except UnicodeDecodeError:
            problems.add_file([WHOLE_FILE], "the file is not UTF-8 text")
            return None
        header, frame = [str(c).strip() for c in cells.iloc[0]], cells.iloc[1:].reset_index(drop=True)
    names = pd.Index(header)
    problems.add_file(sorted(set(names[names.duplicated()])), "this column appears more than once")
    problems.add_file([WHOLE_FILE] if "" in header else [], "a column has no name in the header")
    if len(frame) == 0:
        problems.add_file([WHOLE_FILE], "the file has a header but no data rows")
    return None if problems else frame.set_axis(header, axis=1)


def _missing(raw: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    return [c for c in columns if c not in raw.columns and c not in OPTIONAL_COLUMNS]


def _text(raw: pd.DataFrame, column: str, problems: _Problems, limit: int = MAX_TEXT_LENGTH) -> pd.Series:
    """A column as str ('' for empty or absent cells); cells over `limit` characters are problems and NaN."""
    if column not in raw.columns:
        return pd.Series("", index=raw.index, dtype="str")
    values = raw[column]
    if not isinstance(values.dtype, pd.StringDtype) or values.hasnans:
        values = values.astype(object).where(values.notna(), "").astype("str")
    too_long = values.str.len() > limit
    problems.add(too_long, column, f"longer than {limit} characters")
    return values.mask(too_long)


def _identifier(raw: pd.DataFrame, column: str, problems: _Problems) -> pd.Series:
    values = _text(raw, column, problems, limit=MAX_ID_LENGTH).str.strip()
    problems.add(values.eq(""), column, "empty")
    return values.fillna("")


def _choice(values: pd.Series, column: str, allowed: tuple[str, ...], problems: _Problems) -> pd.Series:
    values = values.str.strip()
    unknown = values.notna() & values.ne("") & ~values.isin(allowed)
    problems.add(unknown, column, f"{{value}} is not one of {', '.join(allowed)}", value=values)
    problems.add(values.eq(""), column, f"empty; expected one of {', '.join(allowed)}")
    return values


def _dates(
    raw: pd.DataFrame, column: str, problems: _Problems, today: date, calendar_date: bool
) -> pd.Series:
    """ISO dates or timestamps as UTC-naive; refused when malformed, before 2000 or after today + 1 day."""
    values = raw[column]
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        parsed = values.dt.tz_convert("UTC").dt.tz_localize(None)
        problems.add(parsed.isna(), column, "empty")
    elif pd.api.types.is_datetime64_dtype(values):
        parsed = values
        problems.add(parsed.isna(), column, "empty")
    else:
        text = _text(raw, column, problems).str.strip()
        parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce").dt.tz_localize(None)
        problems.add(text.eq(""), column, "empty")
        malformed = parsed.isna() & text.notna() & text.ne("")
        problems.add(malformed, column, "{value} is not an ISO date (YYYY-MM-DD)", value=text)
    parsed = parsed.astype("datetime64[us]")
    last_day = today + FUTURE_TOLERANCE
    after = pd.Timestamp(last_day + timedelta(days=1))
    problems.add(parsed >= after, column, f"in the future (after {last_day:%Y-%m-%d})")
    problems.add(parsed < EARLIEST_DATE, column, f"before {EARLIEST_DATE:%Y-%m-%d}; check the year")
    usable = (parsed >= EARLIEST_DATE) & (parsed < after)
    if calendar_date:
        timed = usable & parsed.ne(parsed.dt.normalize())
        problems.add(timed, column, "a daily row's date has a time of day")
        usable &= ~timed
    return parsed.where(usable)


def _numbers(
    raw: pd.DataFrame, column: str, problems: _Problems, whole: bool = False, allow_blank: bool = False
) -> pd.Series:
    """Finite non-negative numbers (whole and at most MAX_COUNT for counts); NaN where refused or blank."""
    values = raw[column] if column in raw.columns else pd.Series(np.nan, index=raw.index)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        number = values.astype("float64")
        blank = number.isna()
    else:
        text = _text(raw, column, problems).str.strip()
        blank = text.eq("")
        numeric = text.str.fullmatch(DECIMAL_NUMBER).fillna(False).astype(bool)
        number = text.where(numeric).astype("float64")
        problems.add(text.notna() & ~blank & ~numeric, column, "{value} is not a number", value=text)
    if not allow_blank:
        problems.add(blank, column, "empty")
    infinite = np.isinf(number)
    problems.add(infinite, column, "not a finite number")
    problems.add(number < 0, column, "negative")
    refused = infinite | (number < 0)
    if whole:
        fraction = number.ne(np.floor(number)) & number.notna() & ~infinite
        problems.add(fraction, column, "{value} is not a whole number", value=number)
        huge = (number > MAX_COUNT) & ~infinite
        problems.add(huge, column, f"larger than {MAX_COUNT:,}")
        refused |= fraction | huge
    return number.mask(refused)


def _booleans(raw: pd.DataFrame, column: str, problems: _Problems) -> pd.Series:
    values = raw[column]
    if pd.api.types.is_bool_dtype(values):
        return values
    text = _text(raw, column, problems).str.strip().str.lower()
    unknown = text.notna() & text.ne("") & ~text.isin(TRUE_WORDS | FALSE_WORDS)
    problems.add(unknown, column, "{value} is not one of true/false/1/0/yes/no", value=text)
    problems.add(text.eq(""), column, "empty; expected true or false")
    return text.isin(TRUE_WORDS)


def _duplicates(problems: _Problems, column: str, what: str, *keys: pd.Series) -> None:
    """Rows whose key repeats an earlier row's, naming that row; keys with a missing part are skipped."""
    frame = pd.concat(keys, axis=1, ignore_index=True)
    complete = frame.notna().all(axis=1) & keys[0].ne("")
    repeated = frame.duplicated(keep=False) & complete
    if not repeated.any():
        return
    rows = pd.Series(np.arange(1, len(frame) + 1), index=frame.index)[repeated]
    first = rows.groupby([frame.loc[repeated, c] for c in frame.columns]).transform("min")
    later = (rows > first).reindex(frame.index, fill_value=False)
    problems.add(later, column, (f"{what} repeats row " + first.astype("str")).reindex(frame.index))


def _today(today: date | None) -> date:
    return today if today is not None else datetime.now(UTC).date()


# --- elements: (row, name, value) items from element_tags JSON or from one column per element -----------


class _Elements(NamedTuple):
    rows: np.ndarray  # 0-based data row of each item
    names: np.ndarray  # object arrays of str
    values: np.ndarray


_JSON_KINDS: Final = {
    str: "text",
    type(None): "null",
    bool: "true/false",
    int: "a number",
    float: "a number",
    list: "a list",
    dict: "an object",
}
_JSON_STRING: Final = r'"(?:[^"\\]|\\.)*"'


def element_tags_json(columns: pd.DataFrame) -> pd.Series:
    """Canonical element_tags text (sorted keys, compact) from one column per element; empty or NaN = not set.

    For callers that build ads from element columns (the demo); problems in the values are not reported.
    """
    found = _elements_from_columns(columns.reset_index(drop=True), _Problems("elements"))
    return _tags_json(found, len(columns)).set_axis(columns.index)


def _elements_from_json(cells: pd.Series, problems: _Problems) -> _Elements:
    """Items of element_tags cells: JSON object text, or dicts in a DataFrame's cells; empty cell = none."""
    objects = cells.to_numpy(dtype=object)
    is_text = _instances(objects, str)
    text = pd.Series(np.where(is_text, objects, ""), dtype="str").str.strip()
    blank = pd.isna(objects) | (is_text & text.eq("").to_numpy())
    too_long = (text.str.len() > MAX_TAGS_LENGTH).to_numpy()
    problems.add(too_long, TAGS_COLUMN, f"longer than {MAX_TAGS_LENGTH:,} characters")
    to_parse = is_text & ~blank & ~too_long
    objects = np.where(is_text | blank, None, objects)
    errors = np.full(len(objects), "", dtype=object)
    if to_parse.any():
        objects[to_parse], errors[to_parse] = _parse_json(text[to_parse])
        problems.add(errors != "", TAGS_COLUMN, "not valid JSON: " + errors)
    is_object = _instances(objects, dict)
    not_object = ~is_object & ~blank & ~too_long & (errors == "")
    if not_object.any():
        problems.add(
            not_object, TAGS_COLUMN, 'must be a JSON object {"name": "value", …}, not ' + _kinds(objects)
        )
    dicts = objects[is_object]
    counts = np.fromiter(map(len, dicts), dtype=np.int64, count=len(dicts))
    rows = np.repeat(np.flatnonzero(is_object), counts)
    names = np.fromiter(chain.from_iterable(dicts), dtype=object, count=counts.sum())
    values = np.fromiter(chain.from_iterable(map(dict.values, dicts)), dtype=object, count=counts.sum())
    return _checked_items(rows, names, values, problems)


def _checked_items(rows: np.ndarray, names: np.ndarray, values: np.ndarray, problems: _Problems) -> _Elements:
    """Items whose name and value are non-empty text of at most MAX_ELEMENT_LENGTH; the others are problems
    (an empty value is an element not set)."""
    name_ok, value_ok = _instances(names, str), _instances(values, str)
    kinds = np.full(len(values), "text", dtype=object) if value_ok.all() else _kinds(values)
    names, values = np.where(name_ok, names, ""), np.where(value_ok, values, "")
    name_blank, value_blank = _blank(names), _blank(values)
    name_long, value_long = _lengths(names) > MAX_ELEMENT_LENGTH, _lengths(values) > MAX_ELEMENT_LENGTH
    label = "element {value}: "
    problems.add(~name_ok, TAGS_COLUMN, "an element name must be text", rows=rows)
    problems.add(name_ok & name_blank, TAGS_COLUMN, "an element name is empty", rows=rows)
    problems.add(
        name_long, TAGS_COLUMN, f"an element name is longer than {MAX_ELEMENT_LENGTH} characters", rows=rows
    )
    for kind in sorted(set(kinds[~value_ok])):
        wrong = ~value_ok & name_ok & (kinds == kind)
        problems.add(
            wrong, TAGS_COLUMN, label + f"the value is {kind}; values must be text", value=names, rows=rows
        )
    problems.add(
        value_long & name_ok,
        TAGS_COLUMN,
        label + f"the value is longer than {MAX_ELEMENT_LENGTH} characters",
        value=names,
        rows=rows,
    )
    keep = name_ok & value_ok & ~name_blank & ~value_blank & ~name_long & ~value_long
    return _Elements(rows[keep], names[keep], values[keep])


def _elements_from_columns(columns: pd.DataFrame, problems: _Problems) -> _Elements:
    """Items from one column per element: a non-empty cell (surrounding spaces removed) sets the element."""
    problems.add_file(
        [c for c in columns.columns if len(c) > MAX_ELEMENT_LENGTH],
        f"an element name is longer than {MAX_ELEMENT_LENGTH} characters",
    )
    n_rows, n_columns = columns.shape
    cells = pd.Series(columns.to_numpy(dtype=object).ravel())  # row by row
    text = cells.where(cells.notna(), "").astype("str").str.strip()
    rows = np.repeat(np.arange(n_rows), n_columns)
    names = np.tile(np.array(columns.columns, dtype=object), n_rows)
    too_long = (text.str.len() > MAX_ELEMENT_LENGTH).to_numpy()
    problems.add(too_long, names, f"longer than {MAX_ELEMENT_LENGTH} characters", rows=rows)
    keep = text.ne("").to_numpy() & ~too_long
    return _Elements(rows[keep], names[keep], text.to_numpy(dtype=object)[keep])


def _tags_json(elements: _Elements, n_rows: int) -> pd.Series:
    """Canonical JSON object text per row: keys sorted, compact, non-ASCII kept; '{}' for rows without items."""
    tags = np.full(n_rows, "{}", dtype=object)
    if len(elements.rows):
        name_codes, names = pd.factorize(elements.names, sort=True)
        value_codes, values = pd.factorize(elements.values)
        order = np.lexsort((name_codes, elements.rows))
        rows = elements.rows[order]
        pairs = _json_strings(names)[name_codes[order]] + ":" + _json_strings(values)[value_codes[order]]
        first = np.r_[True, rows[1:] != rows[:-1]]
        joined = np.add.reduceat(np.where(first, pairs, "," + pairs), np.flatnonzero(first))
        tags[rows[first]] = "{" + joined + "}"
    return pd.Series(tags, dtype="str")


def _json_strings(distinct: pd.Index | np.ndarray) -> np.ndarray:
    """JSON string literals of distinct values (each encoded once, so the cost grows with the vocabulary)."""
    return np.array([json.dumps(value, ensure_ascii=False) for value in distinct], dtype=object)


def _parse_json(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parsed values and error messages ('' when parsed): one C-level parse of every cell joined into one
    array; cells are parsed one by one only when that fails, to locate the bad ones."""
    if _separable(text):
        try:
            parsed = json.loads("[" + ",".join(text.tolist()) + "]")
        except (ValueError, RecursionError):
            parsed = None
        if parsed is not None and len(parsed) == len(text):
            return np.fromiter(parsed, dtype=object, count=len(text)), np.full(len(text), "", dtype=object)
    results = list(map(_loads, text.tolist()))
    objects = np.fromiter((value for value, _ in results), dtype=object, count=len(results))
    return objects, np.array([error for _, error in results], dtype=object)


def _separable(text: pd.Series) -> bool:
    """True when every cell is one complete {…} value on its own: it starts with '{' and ends with '}', and
    outside string literals has no stray quote and balanced brackets. The joined array then holds exactly
    one value per cell, so no cell can borrow text from its neighbour."""
    bare = text.str.replace(_JSON_STRING, "", regex=True)
    return bool(
        (
            text.str.startswith("{")
            & text.str.endswith("}")
            & ~bare.str.contains('"', regex=False)
            & bare.str.count(r"\{").eq(bare.str.count(r"\}"))
            & bare.str.count(r"\[").eq(bare.str.count(r"\]"))
        ).all()
    )


def _loads(text: str) -> tuple[object, str]:
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as error:
        return None, f"{error.msg} at character {error.pos + 1}"
    except RecursionError:
        return None, "nested too deeply"


def _instances(values: np.ndarray, kind: type) -> np.ndarray:
    return np.fromiter(map(isinstance, values, repeat(kind)), dtype=bool, count=len(values))


def _kinds(values: np.ndarray) -> np.ndarray:
    """The JSON kind of each value, for messages ('text', 'null', 'a number', …)."""
    types = pd.Series(np.fromiter(map(type, values), dtype=object, count=len(values)), dtype=object)
    return types.map(_JSON_KINDS).fillna("not JSON").to_numpy(dtype=object)


def _lengths(texts: np.ndarray) -> np.ndarray:
    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def _blank(texts: np.ndarray) -> np.ndarray:
    return (_lengths(texts) == 0) | np.fromiter(map(str.isspace, texts), dtype=bool, count=len(texts))
