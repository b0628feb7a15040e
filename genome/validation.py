"""The import boundary: ads and daily-performance files in, clean typed frames out — or every problem.

`validate_ads` and `validate_performance` take a CSV path, a file-like object or a DataFrame and
return a frame ready for the store, or raise `ValidationError` listing every problem (1-based data
row, 0 for the whole file; column; reason). Nothing is returned partially. Checks are column
operations: a boolean mask becomes problems. Unicode and HTML are valid data and are kept verbatim
(rendering them safely is the dashboard's job), but ids, names, element values and objectives may hold
none of the characters genome.text_rules forbids (line breaks, controls, bidirectional overrides,
zero-width characters): they reach prompts, terminals and pages as single lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Final

import numpy as np
import pandas as pd

from genome import objectives
from genome.element_tags import (
    INVALID_UNICODE_REASON,
    TAGS_COLUMN,
    elements_from_columns,
    elements_from_json,
    invalid_unicode,
    tags_json,
)
from genome.element_tags import element_tags_json as element_tags_json  # re-exported for the demo
from genome.errors import GenomeError
from genome.problems import MAX_PROBLEMS as MAX_PROBLEMS  # re-exported
from genome.problems import WHOLE_FILE, Problems, forbidden_text
from genome.settings import Settings
from genome.vocabulary import FINAL_STATUSES

CsvSource = str | Path | IO[str] | IO[bytes] | pd.DataFrame

AD_FILE_COLUMNS: Final = ("ad_id", "brand_id", "created_at", "final_status", "is_imported", "pre_gen_score")
PERFORMANCE_FILE_COLUMNS: Final = (
    "ad_id",
    "date",
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "revenue",
    "campaign_objective",
)
OPTIONAL_COLUMNS: Final = frozenset({"pre_gen_score", "campaign_objective"})  # absent: NaN / ''
COUNT_COLUMNS: Final = ("impressions", "clicks", "conversions")
MONEY_COLUMNS: Final = ("spend", "revenue")
TRUE_WORDS: Final = frozenset({"true", "1", "yes"})
FALSE_WORDS: Final = frozenset({"false", "0", "no"})
MAX_ID_LENGTH: Final = 200
MAX_TEXT_LENGTH: Final = 500
DECIMAL_NUMBER: Final = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"  # 12, -0.5, 1e3; not 1,000 or inf
#: per-row bounds, so that no sum can overflow: an ad has at most one row a day, and every day from 2000
#: to 2199 (73,049) at the bound sums to under 2**63 for counts (SQLite integer, Postgres bigint) and
#: far below the float limit for money. No ad reaches them: 10**12 impressions a day is 100 times
#: everyone alive; 10**15 is a quadrillion in any currency.
MAX_COUNT: Final = 10**12
MAX_MONEY: Final = 10**15
EARLIEST_DATE: Final = pd.Timestamp("2000-01-01")
FUTURE_TOLERANCE: Final = timedelta(days=1)


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
    problems = Problems("ads file")
    raw = _read(df_or_path, problems)
    known = (*AD_FILE_COLUMNS, TAGS_COLUMN)
    extra = [] if raw is None else [c for c in raw.columns if c not in known]
    if raw is not None:
        problems.add_file(_missing(raw, AD_FILE_COLUMNS), "missing column")
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
        elements = elements_from_json(raw[TAGS_COLUMN], problems)
    else:
        elements = elements_from_columns(raw[extra], problems)
    problems.raise_if_any()
    return pd.DataFrame(
        {
            "ad_id": ad_id,
            "brand_id": brand_id,
            "created_at": created_at.astype("datetime64[ns]"),
            "final_status": status,
            "is_imported": is_imported.astype(bool),
            "pre_gen_score": score.astype("float64"),
            TAGS_COLUMN: tags_json(elements, len(raw)),
        }
    )


def validate_performance(
    df_or_path: CsvSource,
    known_ad_ids: set[str] | Callable[[list[str]], set[str]] | None = None,
    *,
    today: date | None = None,
) -> pd.DataFrame:
    """Clean daily rows: ad_id, date, impressions, clicks, conversions, spend, revenue, campaign_objective.

    Counts are whole and non-negative with clicks <= impressions; conversions may exceed clicks (ad
    platforms count view-through conversions). Counts are at most MAX_COUNT and money MAX_MONEY per row.
    (ad_id, date) is unique. The objective is kept as given (surrounding spaces removed; '' when blank:
    the ad keeps the objective of its latest day that names one); any name is accepted, those
    genome.objectives does not know weigh as DEFAULT (see `performance_notes`). With `known_ad_ids`
    (a set, or a function from the file's ad ids to those that exist), rows for any other ad are refused.
    """
    problems = Problems("performance file")
    raw = _read(df_or_path, problems)
    if raw is not None:
        problems.add_file(_missing(raw, PERFORMANCE_FILE_COLUMNS), "missing column")
        unexpected = [c for c in raw.columns if c not in PERFORMANCE_FILE_COLUMNS]
        problems.add_file(
            unexpected, f"unexpected column; the columns are {', '.join(PERFORMANCE_FILE_COLUMNS)}"
        )
    problems.raise_if_any()
    assert raw is not None
    problems.column_order = list(PERFORMANCE_FILE_COLUMNS)
    ad_id = _identifier(raw, "ad_id", problems)
    codes, ids = pd.factorize(ad_id.to_numpy(dtype=object))  # each id looked up once
    if callable(known_ad_ids):
        known_ad_ids = known_ad_ids(ids[ids != ""].tolist())
    if known_ad_ids is not None:
        unknown = (ids != "") & ~pd.Index(ids, dtype=object).isin(list(known_ad_ids))
        problems.add(unknown[codes], "ad_id", "unknown ad; import the ad first")
    day = _dates(raw, "date", problems, _today(today), calendar_date=True)
    _duplicates(problems, "date", "(ad_id, date)", ad_id, day)
    counts = {name: _numbers(raw, name, problems, whole=True, limit=MAX_COUNT) for name in COUNT_COLUMNS}
    money = {name: _numbers(raw, name, problems, limit=MAX_MONEY) for name in MONEY_COLUMNS}
    problems.add(counts["clicks"] > counts["impressions"], "clicks", "more clicks than impressions")
    objective = _single_line(raw, "campaign_objective", problems, limit=MAX_ID_LENGTH)
    problems.raise_if_any()
    return pd.DataFrame(
        {
            "ad_id": ad_id,
            "date": day.astype("datetime64[ns]"),
            **{name: values.astype("int64") for name, values in counts.items()},
            **{name: values.astype("float64") for name, values in money.items()},
            "campaign_objective": objective.fillna(""),
        }
    )


#: the keys `performance_notes` adds to an import summary
NOTE_KEYS: Final = ("objective_fallbacks", "conversions_above_clicks")
MAX_NAMES_SHOWN: Final = 10


def performance_notes(rows: pd.DataFrame) -> dict:
    """What an import summary tells about validated daily rows that were accepted as they are:
    `objective_fallbacks` {objective name as given: rows} for names that weigh as DEFAULT because
    genome.objectives does not know them, and `conversions_above_clicks` (rows; view-through
    conversions, whose conversion rate the normalisation clamps)."""
    return {
        "objective_fallbacks": objectives.unknown_names(rows["campaign_objective"]),
        "conversions_above_clicks": int((rows["conversions"] > rows["clicks"]).sum()),
    }


def performance_notes_text(summary: Mapping) -> list[str]:
    """The notes of an import summary (`performance_notes`) as sentences for people; none when all is usual."""
    lines = []
    fallbacks = summary.get("objective_fallbacks") or {}
    if fallbacks:
        total = sum(fallbacks.values())
        named = [f"'{name}' ({_rows(rows)})" for name, rows in list(fallbacks.items())[:MAX_NAMES_SHOWN]]
        if len(fallbacks) > MAX_NAMES_SHOWN:
            named.append(f"and {len(fallbacks) - MAX_NAMES_SHOWN:,} more names")
        one = total == 1
        lines.append(
            f"{_rows(total)} {'names' if one else 'name'} a campaign objective the objectives table does not "
            f"know, so {'it weighs' if one else 'they weigh'} as DEFAULT: {', '.join(named)}. To weigh them "
            "for their goal, use a name from the table (README, Campaign objectives)."
        )
    above = summary.get("conversions_above_clicks") or 0
    if above:
        lines.append(
            f"{_rows(above)} {'counts' if above == 1 else 'count'} more conversions than clicks (view-through "
            "conversions): imported as they are; the conversion rate they give is capped when rewards are scored."
        )
    return lines


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


_RAGGED_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _read(source: CsvSource, problems: Problems) -> pd.DataFrame | None:
    """Raw cells with 0-based positions: CSV text as str ('' when empty), or the given frame; None if unusable."""
    if isinstance(source, pd.DataFrame):
        header, frame = [str(c).strip() for c in source.columns], source.reset_index(drop=True)
        if not _printable_frame(header, frame, problems):
            return None
    elif not isinstance(source, str | Path) and not hasattr(source, "read"):
        raise GenomeError(f"expected a CSV path, a file object or a DataFrame, got {type(source).__name__}")
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
        except FileNotFoundError:
            raise
        except OSError as error:  # a folder, a file without read permission, a device error
            problems.add_file([WHOLE_FILE], f"cannot read the file: {error.strerror or error}")
            return None
        header, frame = [str(c).strip() for c in cells.iloc[0]], cells.iloc[1:].reset_index(drop=True)
    names = pd.Index(header)
    reasons = forbidden_text(pd.Series(header, dtype=object))
    positions = pd.Series(np.arange(1, len(header) + 1)).astype("str")
    problems.add(
        reasons.ne(""),
        WHOLE_FILE,
        "the name of column " + positions + " " + reasons,
        rows=np.full(len(header), -1),
    )
    problems.add_file(sorted(set(names[names.duplicated()])), "this column appears more than once")
    problems.add_file([WHOLE_FILE] if "" in header else [], "a column has no name in the header")
    if len(frame) == 0:
        problems.add_file([WHOLE_FILE], "the file has a header but no data rows")
    return None if problems else frame.set_axis(header, axis=1)


def _printable_frame(header: list[str], frame: pd.DataFrame, problems: Problems) -> bool:
    """False, with problems, when a frame's column names or text cells hold unpaired surrogates (possible in
    Python strings, never in UTF-8 files): no store can encode them, so nothing else is checked."""
    bad_name = invalid_unicode(np.array(header, dtype=object))
    problems.add_file([WHOLE_FILE] if bad_name.any() else [], f"a column name {INVALID_UNICODE_REASON}")
    for position, name in enumerate(header):
        values = frame.iloc[:, position]
        if values.dtype == object:
            invalid = invalid_unicode(values)
            problems.add(invalid, WHOLE_FILE if bad_name[position] else name, INVALID_UNICODE_REASON)
    return not problems


def _missing(raw: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    return [c for c in columns if c not in raw.columns and c not in OPTIONAL_COLUMNS]


def _text(raw: pd.DataFrame, column: str, problems: Problems, limit: int = MAX_TEXT_LENGTH) -> pd.Series:
    """A column as str ('' for empty or absent cells); cells over `limit` characters are problems and NaN."""
    if column not in raw.columns:
        return pd.Series("", index=raw.index, dtype="str")
    values = raw[column]
    if not isinstance(values.dtype, pd.StringDtype) or values.hasnans:
        values = values.astype(object).where(values.notna(), "").astype("str")
    too_long = values.str.len() > limit
    problems.add(too_long, column, f"longer than {limit} characters")
    return values.mask(too_long)


def _identifier(raw: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    values = _single_line(raw, column, problems, limit=MAX_ID_LENGTH)
    problems.add(values.eq(""), column, "empty")
    return values.fillna("")


def _single_line(raw: pd.DataFrame, column: str, problems: Problems, limit: int) -> pd.Series:
    """A column as stripped text; cells over `limit` characters or holding what genome.text_rules
    forbids in ids, names and values are problems and NaN."""
    values = _text(raw, column, problems, limit=limit).str.strip()
    reasons = forbidden_text(values)
    problems.add(reasons.ne(""), column, reasons)
    return values.mask(reasons.ne(""))


def _choice(values: pd.Series, column: str, allowed: tuple[str, ...], problems: Problems) -> pd.Series:
    values = values.str.strip()
    unknown = values.notna() & values.ne("") & ~values.isin(allowed)
    problems.add(unknown, column, f"{{value}} is not one of {', '.join(allowed)}", value=values)
    problems.add(values.eq(""), column, f"empty; expected one of {', '.join(allowed)}")
    return values


def _dates(raw: pd.DataFrame, column: str, problems: Problems, today: date, calendar_date: bool) -> pd.Series:
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
    raw: pd.DataFrame,
    column: str,
    problems: Problems,
    whole: bool = False,
    allow_blank: bool = False,
    limit: int | None = None,
) -> pd.Series:
    """Finite non-negative numbers (whole if `whole`, at most `limit`); NaN where refused or blank."""
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
        refused |= fraction
    if limit is not None:
        huge = (number > limit) & ~infinite
        problems.add(huge, column, f"larger than {limit:,}, more than any ad has in a day")
        refused |= huge
    return number.mask(refused)


def _booleans(raw: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    values = raw[column]
    if pd.api.types.is_bool_dtype(values):
        return values
    text = _text(raw, column, problems).str.strip().str.lower()
    unknown = text.notna() & text.ne("") & ~text.isin(TRUE_WORDS | FALSE_WORDS)
    problems.add(unknown, column, "{value} is not one of true/false/1/0/yes/no", value=text)
    problems.add(text.eq(""), column, "empty; expected true or false")
    return text.isin(TRUE_WORDS)


def _duplicates(problems: Problems, column: str, what: str, *keys: pd.Series) -> None:
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
