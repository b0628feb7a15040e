"""A PostgREST stand-in on a real PostgreSQL database, and a transport that counts requests: how the
tests and the benchmark run the Supabase backend without a network."""

from __future__ import annotations

import csv
import json

import httpx
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

URL = "https://abcdefghijklmnop.supabase.co"
SECRET = "sb_secret_TEST-not-a-real-key-0123456789"
MAX_ROWS = 1000  # what Supabase's PostgREST answers at most, whatever the request asks


class CountingTransport(httpx.BaseTransport):
    """Passes every request to `inner` and keeps it in `requests` (to count what a job costs)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class PostgrestOnPostgres:
    """Transport stub that answers like PostgREST by running each request on a real PostgreSQL
    database as `role` (`service_role` is the role Supabase gives a secret key, `anon` the one it
    gives a publishable key), one transaction per request: table reads (select with renames, eq/in
    filters, order, offset/limit) and function calls with named arguments from the JSON body; a
    set-returning function of a scalar type answers a JSON array of its values. Responses are capped
    at 1,000 rows, like Supabase's."""

    def __init__(self, conninfo: str, role: str = "service_role") -> None:
        self.connection = psycopg.connect(conninfo, autocommit=True)
        self.role = role
        self.requests: list[httpx.Request] = []

    def close(self) -> None:
        self.connection.close()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        name = request.url.path.removeprefix("/rest/v1/")
        params = request.url.params
        try:
            with self.connection.transaction(), self.connection.cursor() as cursor:
                cursor.execute(sql.SQL("set local role {}").format(sql.Identifier(self.role)))
                if name.startswith("rpc/"):
                    query, values = self._call(cursor, name[4:], json.loads(request.content or b"{}"), params)
                else:
                    query, values = self._select(name, params)
                cursor.execute(query, values)
                body = cursor.fetchone()[0]
        except psycopg.Error as exc:
            error = {
                "code": exc.diag.sqlstate,
                "message": exc.diag.message_primary,
                "details": exc.diag.message_detail,
                "hint": exc.diag.message_hint,
            }
            return httpx.Response(400, json=error)
        return httpx.Response(200, content=body.encode(), headers={"content-type": "application/json"})

    def _select(self, table: str, params: httpx.QueryParams) -> tuple[sql.Composable, list]:
        items = (item.rpartition(":") for item in params["select"].split(","))  # [alias:]column[->key]
        columns = sql.SQL(", ").join(self._column(source, alias) for alias, _, source in items)
        where, values = self._filters(params)
        inner = sql.SQL("select {} from public.{}{}").format(columns, sql.Identifier(table), where)
        return self._rows(inner, params, values)

    @staticmethod
    def _column(source: str, alias: str) -> sql.Composable:
        column, arrow, key = source.partition("->")
        value = (
            sql.SQL("{} -> {}").format(sql.Identifier(column), sql.Literal(key))
            if arrow
            else sql.Identifier(column)
        )
        return sql.SQL("{} as {}").format(value, sql.Identifier(alias or key or column))

    def _call(self, cursor: psycopg.Cursor, function: str, body: dict, params: httpx.QueryParams):
        # as PostgREST resolves overloads: the one whose arguments are the body's keys (defaults may be left out)
        cursor.execute(
            "select proargnames[1:pronargs], proargtypes::regtype[]::text[], proretset,"
            " t.typtype <> 'c' and p.prorettype <> 'record'::regtype, proargnames[1:pronargs - pronargdefaults]"
            " from pg_proc p join pg_type t on t.oid = p.prorettype"
            " where p.proname = %s and p.pronamespace = 'public'::regnamespace",
            [function],
        )
        found = [row for row in cursor.fetchall() if set(row[4] or []) <= set(body) <= set(row[0])]
        if len(found) != 1:
            raise psycopg.errors.UndefinedFunction(f"function public.{function} does not exist")
        names, argument_types, returns_set, returns_scalar, _ = found[0]
        types = dict(zip(names, argument_types, strict=True))
        arguments = sql.SQL(", ").join(
            sql.SQL("{} => %s::{}").format(sql.Identifier(key), sql.SQL(types[key])) for key in body
        )
        values = [Jsonb(v) if types[k] == "jsonb" and v is not None else v for k, v in body.items()]
        call = sql.SQL("public.{}({})").format(sql.Identifier(function), arguments)
        if not returns_set:
            return sql.SQL("select coalesce(to_json({})::text, 'null')").format(call), values  # as PostgREST
        if returns_scalar:
            inner = sql.SQL("select value from {} as result (value)").format(call)
            return self._rows(inner, params, values, scalar=True)
        return self._rows(sql.SQL("select * from {}").format(call), params, values)

    @staticmethod
    def _filters(params: httpx.QueryParams) -> tuple[sql.Composable, list]:
        conditions, values = [], []
        for column, condition in params.multi_items():
            if column in ("select", "order", "offset", "limit"):
                continue
            operator, _, argument = condition.partition(".")
            if operator == "eq":
                conditions.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
                values.append(argument)
            else:  # in.(a,"b,c")
                conditions.append(sql.SQL("{} = any(%s)").format(sql.Identifier(column)))
                values.append(next(csv.reader([argument[1:-1]], escapechar="\\")))
        where = sql.SQL(" where ") + sql.SQL(" and ").join(conditions) if conditions else sql.SQL("")
        return where, values

    @staticmethod
    def _rows(
        inner: sql.Composable, params: httpx.QueryParams, values: list, scalar: bool = False
    ) -> tuple[sql.Composable, list]:
        order = [
            sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL("desc" if direction == "desc" else "asc"))
            for column, _, direction in (
                item.partition(".") for item in params.get("order", "").split(",") if item
            )
        ]
        order_by = sql.SQL(" order by ") + sql.SQL(", ").join(order) if order else sql.SQL("")
        limit = min(int(params.get("limit", MAX_ROWS)), MAX_ROWS)
        query = sql.SQL(
            "select coalesce(json_agg(page{}), '[]')::text from ({}{} offset %s limit %s) page"
        ).format(sql.SQL(".value" if scalar else ""), inner, order_by)
        return query, [*values, int(params.get("offset", 0)), limit]
