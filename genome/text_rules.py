"""Which characters text from outside may hold: one definition for imports, API arguments and pages.

Ids, names and element values are single-line identifiers that reach prompts, terminals and pages,
so they may hold no control character (C0, DEL or C1), no bidirectional override or isolate (which
reorder what a reader sees) and no zero-width character (which makes `aur\u200bora` a twin of
`aurora`). Notes may also hold tabs and line breaks. Unpaired surrogates are refused everywhere
(no store can hold them).
"""

from __future__ import annotations

import re
from typing import Final

from genome.errors import GenomeError

_CONTROL: Final = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 but tab and line breaks, DEL, C1
_LINE_BREAKS: Final = "\t\n\r"
_BIDI: Final = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ZERO_WIDTH: Final = "\u200b-\u200d\u2060\ufeff"
#: invisible or line-breaking characters a reader cannot see: soft hyphen, Mongolian vowel separator,
#: line and paragraph separators, invisible operators, tag characters (which can smuggle hidden text)
_INVISIBLE: Final = "\u00ad\u180e\u2028\u2029\u2061-\u2064\U000e0000-\U000e007f"
_SURROGATE: Final = "\ud800-\udfff"

#: regex (for `re` and pandas `str.contains`) of what an id, name or element value may not hold;
#: surrogates are left out because pandas' UTF-8 strings cannot hold them (`forbidden_reason` adds them)
FORBIDDEN_IN_TEXT: Final = f"[{_CONTROL}{_LINE_BREAKS}{_BIDI}{_ZERO_WIDTH}{_INVISIBLE}]"
#: the same for free text such as notes, where tabs and line breaks are allowed
FORBIDDEN_IN_NOTE: Final = f"[{_CONTROL}{_BIDI}{_ZERO_WIDTH}{_INVISIBLE}]"

_KINDS: Final = (
    (re.compile(f"[{_CONTROL}{_LINE_BREAKS}]"), "a control character or line break"),
    (re.compile(f"[{_BIDI}]"), "a bidirectional override"),
    (re.compile(f"[{_ZERO_WIDTH}]"), "a zero-width character"),
    (re.compile(f"[{_INVISIBLE}]"), "an invisible character or separator"),
    (re.compile(f"[{_SURROGATE}]"), "invalid Unicode"),
)
_TEXT: Final = re.compile(f"{FORBIDDEN_IN_TEXT}|[{_SURROGATE}]")
_NOTE: Final = re.compile(f"{FORBIDDEN_IN_NOTE}|[{_SURROGATE}]")


def forbidden_reason(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` may not be stored ("holds a zero-width character (U+200B)"), or None when it may.

    `multiline` allows tabs and line breaks (notes); ids, names and values never hold them.
    """
    found = (_NOTE if multiline else _TEXT).search(text)
    if found is None:
        return None
    character = found.group()
    kind = next(kind for pattern, kind in _KINDS if pattern.match(character))
    return f"holds {kind} (U+{ord(character):04X})"


#: what multiline output may not carry: the notes' rule, and carriage returns (which would let text
#: overwrite the line it is on in a terminal)
_SHOWN_MULTILINE: Final = re.compile(f"{FORBIDDEN_IN_NOTE}|[\r{_SURROGATE}]")


def printable(text: str, *, multiline: bool = False) -> str:
    """`text` with every character an id, name or value may not hold shown as U+FFFD, so text read
    back from storage (stored before a rule existed) can never add a line or an escape where it is shown.
    `multiline` keeps tabs and line feeds (tables, notes in a terminal) but not carriage returns."""
    return (_SHOWN_MULTILINE if multiline else _TEXT).sub("\N{REPLACEMENT CHARACTER}", text)


def checked_text(
    value: object, what: str, limit: int, *, required: bool = False, multiline: bool = False
) -> str:
    """An API text argument stripped, or GenomeError when it is not text, holds what these rules forbid
    (tabs and line breaks are allowed when `multiline`), is empty but `required`, or exceeds `limit`."""
    if not isinstance(value, str):
        raise GenomeError(f"{what} must be text, got {type(value).__name__}")
    value = value.strip()
    reason = forbidden_reason(value, multiline=multiline)
    if reason is not None:
        raise GenomeError(f"{what} {reason}")
    if required and not value:
        raise GenomeError(f"{what} is required")
    if len(value) > limit:
        raise GenomeError(f"{what} is longer than {limit:,} characters")
    return value
