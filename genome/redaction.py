"""The one way a value that may hold a secret is shown: on pages, in the CLI, logs, job history and errors.

A URL keeps what tells a reader where it points (scheme, user, host, port, database or file) and loses
what would let them in: the password of `user:password@` and query parameters that carry credentials
(libpq's `password` and `sslpassword`, tokens, keys, signatures). A web URL (http, https) is shown as
its origin, scheme://host[:port], since a webhook keeps its token in the path. Parsing is by hand, so a malformed URL is redacted too, never a crash.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode

MASK = "***"
SECRET_QUERY_PARAMETERS = frozenset(
    {
        "password",
        "sslpassword",
        "token",
        "access_token",
        "key",
        "apikey",
        "api_key",
        "secret",
        "sig",
        "signature",
    }
)
WEB_SCHEMES = frozenset({"http", "https"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_USER = re.compile("[/?#]")  # a user name never holds these; a password may hold anything


def _userinfo(rest: str) -> tuple[str, str | None, str]:
    """(user, password or None, the rest after `@`): the password of `user:password@` runs to the
    last @, so one holding / ? # or @ is still found (libpq accepts them); no password: ("", None, rest)."""
    head, at, tail = rest.rpartition("@")
    user, colon, password = head.partition(":")
    if at and colon and not _USER.search(user):
        return user, password, tail
    return "", None, rest


def is_url(text: str) -> bool:
    """True for `scheme://…` text."""
    return _SCHEME.match(text.strip()) is not None


def redact_url(url: str) -> str:
    """`url` with its credentials replaced by ***, safe to show and log; never raises."""
    match = _SCHEME.match(url.strip())
    if match is None:
        return MASK
    scheme, rest = match.group(1), url.strip()[match.end() :]
    if scheme.lower() in WEB_SCHEMES:  # the origin only: a webhook's token is its path
        return f"{scheme}://{re.split('[/?#]', rest, maxsplit=1)[0].rpartition('@')[2]}"
    user, password, rest = _userinfo(rest)
    rest, fragment_sep, _fragment = rest.partition("#")
    rest, query_sep, query = rest.partition("?")
    if password is not None:
        rest = f"{user}:{MASK}@{rest}"
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(name.lower() in SECRET_QUERY_PARAMETERS for name, _ in pairs):
        query = urlencode(
            [(n, MASK if n.lower() in SECRET_QUERY_PARAMETERS else v) for n, v in pairs], safe="*"
        )
    shown = f"{scheme}://{rest}{query_sep}{query}"
    return shown + (f"#{MASK}" if fragment_sep else "")


def url_secrets(url: str) -> list[str]:
    """The secret parts of `url` (as written and percent-decoded), to scrub from any text that echoes them."""
    match = _SCHEME.match(url.strip())
    if match is None:
        return [url] if url else []
    _user, password, rest = _userinfo(url.strip()[match.end() :])
    rest, _, query = rest.partition("#")[0].partition("?")
    secrets = [password] if password else []
    secrets += [
        v for n, v in parse_qsl(query, keep_blank_values=True) if n.lower() in SECRET_QUERY_PARAMETERS
    ]
    if match.group(1).lower() in WEB_SCHEMES:
        secrets.append(rest.partition("/")[2])
    secrets = [s for s in secrets if s]
    return sorted({*secrets, *(unquote(s) for s in secrets)}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """`text` with every secret part of `url` replaced by ***."""
    for secret in url_secrets(url):
        text = text.replace(secret, MASK)
    return text
