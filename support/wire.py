"""What supabase-py puts on the wire for a request `genome.store.supabase_requests` builds: the oracle
the request tests compare the requests a transport stub saw against (method, path, params, body)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from genome.store import supabase_requests as rq
from genome.store.reads import Filter, Read

RESERVED_IN_VALUES = ',:()"\\'  # characters PostgREST needs quoted inside in.(…)


@dataclass(frozen=True)
class WireRequest:
    """An HTTP request to PostgREST: path under /rest/v1, query params in order, JSON body."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    body: bytes | None


def wire_request(
    request: Read | rq.KeysetRead | rq.RpcCall, page: int = 0, last_row: Mapping[str, object] | None = None
) -> WireRequest:
    """The exact request for one page of a read (`page` of a `Read`; the page after `last_row` of a
    `KeysetRead`), or for a call."""
    if isinstance(request, rq.RpcCall):
        return WireRequest("POST", f"/rpc/{request.function}", (), encode_json(dict(request.args)))
    if isinstance(request, rq.KeysetRead):
        params = (("order", ",".join(f"{column}.asc" for column in request.order)),)
        body = encode_json(rq.keyset_args(request, last_row))
        return WireRequest("POST", f"/rpc/{request.function}", params, body)
    params: list[tuple[str, str]] = []
    if not request.is_function:
        params.append(("select", rq.select_list(request)))
    params += [(f.column, _filter_value(f)) for f in request.filters]
    direction = "desc" if request.descending else "asc"
    params.append(("order", ",".join(f"{column}.{direction}" for column in request.order)))
    start, end = rq.page_range(request, page)
    params += [("offset", str(start)), ("limit", str(end - start + 1))]
    if request.is_function:
        body = encode_json(dict(request.function_args or {}))
        return WireRequest("POST", f"/rpc/{request.source}", tuple(params), body)
    return WireRequest("GET", f"/{request.source}", tuple(params), None)


def encode_json(value: object) -> bytes:
    """JSON the way postgrest encodes a body: compact, UTF-8, NaN refused (payloads carry null)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _filter_value(condition: Filter) -> str:
    """A PostgREST filter: `eq.value`, `gte.value`, or `in.(a,b)` for a tuple (values quoted as
    postgrest-py does)."""
    value = condition.value
    if isinstance(value, tuple):
        return "in.(" + ",".join(_quote_in_value(v) for v in value) + ")"
    text = value.isoformat() if isinstance(value, date) else value
    return f"{'gte' if condition.at_least else 'eq'}.{text}"


def _quote_in_value(value: str) -> str:
    text = str(value)
    if any(char in text for char in RESERVED_IN_VALUES):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text
