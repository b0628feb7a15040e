"""Element tags: (row, name, value) items from element_tags JSON or one column per element, and their
canonical JSON text (sorted keys, compact, non-ASCII kept).

The import boundary (`genome.validation`) passes its Problems; every refused item becomes a
problem (row, column, reason) there. Names and values must be non-empty text of at most
MAX_ELEMENT_LENGTH characters without unpaired surrogates (JSON can spell them, "\\ud800", but no UTF-8
store can hold them) and without what genome.text_rules forbids in names and values (line breaks,
controls, bidirectional overrides, zero-width characters): values reach the generation prompt, where a
line break would start a line of its own. Other characters (any script, emoji, markup) are data and
are kept verbatim.
"""

from __future__ import annotations

import json
from itertools import chain, repeat
from typing import Final, NamedTuple

import numpy as np
import pandas as pd

from genome.problems import Problems, forbidden_text

TAGS_COLUMN: Final = "element_tags"
MAX_ELEMENT_LENGTH: Final = 200  # an element name or value
MAX_TAGS_LENGTH: Final = 10_000  # one element_tags cell
SURROGATE: Final = "[\ud800-\udfff]"  # half of a UTF-16 pair: valid in a Python str, not in UTF-8
INVALID_UNICODE_REASON: Final = "holds invalid Unicode (an unpaired surrogate)"
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


class Elements(NamedTuple):
    rows: np.ndarray  # 0-based data row of each item
    names: np.ndarray  # object arrays of str
    values: np.ndarray


def element_tags_json(columns: pd.DataFrame) -> pd.Series:
    """Canonical element_tags text (sorted keys, compact) from one column per element; empty or NaN = not set.

    For callers that build ads from element columns (the demo); problems in the values are not reported.
    """
    found = elements_from_columns(columns.reset_index(drop=True), Problems("elements"))
    return tags_json(found, len(columns)).set_axis(columns.index)


def invalid_unicode(texts: np.ndarray | pd.Series) -> np.ndarray:
    """True for each text holding an unpaired surrogate (an object array; pandas' str dtype cannot hold one);
    False for anything that is not text (numbers, dates)."""
    objects = np.asarray(texts, dtype=object)
    series = pd.Series(np.where(_instances(objects, str), objects, ""), dtype=object)
    return series.str.contains(SURROGATE, regex=True).to_numpy(dtype=bool)


def elements_from_json(cells: pd.Series, problems: Problems) -> Elements:
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


def _checked_items(rows: np.ndarray, names: np.ndarray, values: np.ndarray, problems: Problems) -> Elements:
    """Items whose name and value are non-empty valid text of at most MAX_ELEMENT_LENGTH; the others are
    problems (an empty value is an element not set)."""
    name_ok, value_ok = _instances(names, str), _instances(values, str)
    kinds = np.full(len(values), "text", dtype=object) if value_ok.all() else _kinds(values)
    names, values = np.where(name_ok, names, ""), np.where(value_ok, values, "")
    name_bad, value_bad = invalid_unicode(names), invalid_unicode(values)
    name_blank, value_blank = _blank(names), _blank(values)
    name_long, value_long = _lengths(names) > MAX_ELEMENT_LENGTH, _lengths(values) > MAX_ELEMENT_LENGTH
    label = "element {value}: "
    problems.add(~name_ok, TAGS_COLUMN, "an element name must be text", rows=rows)
    problems.add(name_ok & name_blank, TAGS_COLUMN, "an element name is empty", rows=rows)
    problems.add(
        name_long, TAGS_COLUMN, f"an element name is longer than {MAX_ELEMENT_LENGTH} characters", rows=rows
    )
    problems.add(name_bad, TAGS_COLUMN, f"an element name {INVALID_UNICODE_REASON}", rows=rows)
    named = name_ok & ~name_bad
    for kind in sorted(set(kinds[~value_ok])):
        wrong = ~value_ok & named & (kinds == kind)
        problems.add(
            wrong, TAGS_COLUMN, label + f"the value is {kind}; values must be text", value=names, rows=rows
        )
    problems.add(
        value_long & named,
        TAGS_COLUMN,
        label + f"the value is longer than {MAX_ELEMENT_LENGTH} characters",
        value=names,
        rows=rows,
    )
    problems.add(
        value_bad & named, TAGS_COLUMN, label + f"the value {INVALID_UNICODE_REASON}", value=names, rows=rows
    )
    name_reasons, value_reasons = _forbidden(names), _forbidden(values)
    name_forbidden, value_forbidden = name_reasons != "", value_reasons != ""
    problems.add(name_forbidden, TAGS_COLUMN, "an element name " + name_reasons, rows=rows)
    value_shown = value_forbidden & named & ~name_forbidden
    for reason in sorted(set(value_reasons[value_shown])):
        wrong = value_shown & (value_reasons == reason)
        problems.add(wrong, TAGS_COLUMN, label + "the value " + reason, value=names, rows=rows)
    keep = name_ok & value_ok & ~name_blank & ~value_blank & ~name_long & ~value_long & ~name_bad & ~value_bad
    keep &= ~name_forbidden & ~value_forbidden
    return Elements(rows[keep], names[keep], values[keep])


def elements_from_columns(columns: pd.DataFrame, problems: Problems) -> Elements:
    """Items from one column per element: a non-empty cell (surrounding spaces removed) sets the element."""
    header = np.array(columns.columns, dtype=object)
    problems.add_file(
        [c for c in columns.columns if len(c) > MAX_ELEMENT_LENGTH],
        f"an element name is longer than {MAX_ELEMENT_LENGTH} characters",
    )
    n_rows, n_columns = columns.shape
    cells = pd.Series(columns.to_numpy(dtype=object).ravel())  # row by row
    text = cells.where(cells.notna(), "").astype("str").str.strip()
    rows = np.repeat(np.arange(n_rows), n_columns)
    names = np.tile(header, n_rows)
    too_long = (text.str.len() > MAX_ELEMENT_LENGTH).to_numpy()
    problems.add(too_long, names, f"longer than {MAX_ELEMENT_LENGTH} characters", rows=rows)
    reasons = _forbidden(text)
    forbidden = reasons != ""
    problems.add(forbidden, names, reasons, rows=rows)
    keep = text.ne("").to_numpy() & ~too_long & ~forbidden
    return Elements(rows[keep], names[keep], text.to_numpy(dtype=object)[keep])


def tags_json(elements: Elements, n_rows: int) -> pd.Series:
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
        return None, f"{error.msg.removesuffix(' at')} at character {error.pos + 1}"
    except RecursionError:
        return None, "nested too deeply"


def _forbidden(texts: np.ndarray | pd.Series) -> np.ndarray:
    """genome.problems.forbidden_text of each text, as an object array ('' where allowed)."""
    return forbidden_text(pd.Series(np.asarray(texts, dtype=object), dtype=object)).to_numpy(dtype=object)


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
