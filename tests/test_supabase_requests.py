"""The Supabase backend without a network: request building, payloads, paging, errors, and a counting
transport stub under supabase-py's HTTP client (PostgREST answers simulated in memory)."""

from __future__ import annotations

import bisect
import json
import math
import socket
import uuid
from datetime import UTC, date, datetime
from functools import partial
from itertools import chain
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np
import pandas as pd
import psycopg
import pytest
from psycopg import sql

from genome import jobs
from genome.errors import GenomeError, NotFound, StoreError
from genome.jobs import RefreshInputs, RefreshOutputs
from genome.settings import Settings
from genome.store import common, frames, migrations, reads
from genome.store import supabase_requests as rq
from genome.store.postgres import PostgresStore
from genome.store.supabase import SupabaseStore
from genome.vocabulary import WRITE_JOB_TYPES
from support import wire
from support.postgrest import MAX_ROWS, SECRET, URL, CountingTransport, PostgrestOnPostgres
from tests import test_store_contract as contract
from tests import test_supabase_live as live


class FakePostgrest:
    """Transport stub: answers like PostgREST from in-memory rows (offset/limit, max-rows cap).

    `answers` maps a table name or "rpc/<function>" to a list of rows, a JSON value, or a callable
    taking the JSON body. Every request is kept in `requests`.
    """

    def __init__(self, answers: dict[str, object], error: tuple[int, dict] | None = None) -> None:
        self.answers = answers
        self.error = error
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.error is not None:
            return httpx.Response(self.error[0], json=self.error[1])
        name = request.url.path.removeprefix("/rest/v1/")
        answer = self.answers[name]
        if callable(answer):
            answer = answer(json.loads(request.content or b"{}"))
        if isinstance(answer, list):
            offset = int(request.url.params.get("offset", 0))
            limit = min(int(request.url.params.get("limit", MAX_ROWS)), MAX_ROWS)
            answer = answer[offset : offset + limit]
        return httpx.Response(200, json=answer)

    def calls_to(self, name: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == f"/rest/v1/{name}"]


def keyset_answer(rows: list[dict], read: rq.KeysetRead):
    """A FakePostgrest answer for `read`'s function: of `rows` (sorted by `read.order`), the first
    `p_limit` after the key in the body."""
    keys = [tuple(row[column] for column in read.order) for row in rows]

    def answer(body: dict) -> list[dict]:
        after = tuple(body[arg] for arg in read.after_args)
        start = 0 if after[0] is None else bisect.bisect_right(keys, after)
        return rows[start : start + body["p_limit"]]

    return answer


def rest_rows(spec: dict, count: int, **values: object) -> list[dict]:
    """`count` REST rows with every column of a frames spec: `values` (a callable gets the row number)."""
    blank = {"str": "x", "float": 0.0, "int": 0, "bool": False, "date": None, "datetime": None, "json": {}}
    return [
        {
            name: (values[name](i) if callable(values[name]) else values[name])
            if name in values
            else blank[kind]
            for name, kind in spec.items()
        }
        for i in range(count)
    ]


def store_with(fake: FakePostgrest | httpx.MockTransport, **settings: object) -> SupabaseStore:
    transport = fake if isinstance(fake, httpx.MockTransport) else httpx.MockTransport(fake)
    return SupabaseStore(URL, SECRET, Settings(**settings), transport=transport)


def sent(request: httpx.Request) -> wire.WireRequest:
    """What actually went on the wire, in the shape `wire_request` describes."""
    path = request.url.path.removeprefix("/rest/v1")
    return wire.WireRequest(
        request.method, path, tuple(request.url.params.multi_items()), request.content or None
    )


# --- paging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "limit", "expected"),
    [
        (0, None, (0, 999)),
        (1, None, (1000, 1999)),
        (7, None, (7000, 7999)),
        (0, 50, (0, 49)),
        (1, 1500, (1000, 1499)),
    ],
)
def test_page_range_is_inclusive_and_respects_the_limit(page, limit, expected):
    read = reads.Read("t", {}, ("id",), limit=limit)
    assert rq.page_range(read, page) == expected


@pytest.mark.parametrize(
    ("page", "received", "so_far", "limit", "last"),
    [
        (0, 1000, 1000, None, False),
        (0, 999, 999, None, True),
        (3, 0, 3000, None, True),
        (0, 50, 50, 50, True),
        (1, 500, 1500, 1500, True),
        (0, 1000, 1000, 1500, False),
    ],
)
def test_a_short_page_or_the_limit_ends_a_read(page, received, so_far, limit, last):
    read = reads.Read("t", {}, ("id",), limit=limit)
    assert rq.is_last_page(read, page, received, so_far) is last


# --- request shapes (pure) ----------------------------------------------------------------------------


def test_table_page_request():
    assert wire.wire_request(reads.brands(), page=2) == wire.WireRequest(
        "GET",
        "/brands",
        (
            ("select", "id,name,organization_id,cross_brand_sharing,created_at"),
            ("order", "id.asc"),
            ("offset", "2000"),
            ("limit", "1000"),
        ),
        None,
    )


def test_function_page_request_carries_its_arguments_in_the_body():
    read = rq.brand_overview_read(0.7)
    assert wire.wire_request(read, page=1) == wire.WireRequest(
        "POST",
        "/rpc/genome_brand_overview",
        (("order", "brand_id.asc"), ("offset", "1000"), ("limit", "1000")),
        b'{"p_winner_threshold":0.7}',
    )


@pytest.mark.parametrize(
    ("last_row", "after"),
    [(None, b"null"), ({"ad_id": "ad-0999", "brand_id": "brand-a", "impressions": 5.0}, b'"ad-0999"')],
)
def test_aggregates_are_read_a_page_of_ads_after_the_last_ad_read(last_row, after):
    read = rq.ad_aggregates_read(["brand-a", "b,2"], date(2026, 3, 1))
    assert wire.wire_request(read, last_row=last_row) == wire.WireRequest(
        "POST",
        "/rpc/genome_ad_aggregates",
        (("order", "ad_id.asc"),),
        b'{"p_brand_ids":["brand-a","b,2"],"p_as_of":"2026-03-01","p_after_ad_id":'
        + after
        + b',"p_limit":1000}',
    )


@pytest.mark.parametrize(
    ("last_row", "after"),
    [
        (None, {"p_after_brand_id": None, "p_after_element_name": None, "p_after_element_value": None}),
        (
            {"brand_id": "b1", "element_name": "hook_type", "element_value": "question", "ad_ids": ["a7"]},
            {
                "p_after_brand_id": "b1",
                "p_after_element_name": "hook_type",
                "p_after_element_value": "question",
            },
        ),
    ],
)
def test_elements_are_read_as_groups_after_the_last_brand_element_and_value_for_tracked_elements_only(
    last_row, after
):
    read = rq.ad_elements_read(None, ("hook_type", "color_mode"))
    request = wire.wire_request(read, last_row=last_row)
    assert (request.method, request.path) == ("POST", "/rpc/genome_ad_element_groups")
    assert request.params == (("order", "brand_id.asc,element_name.asc,element_value.asc"),)
    assert json.loads(request.body) == {
        "p_brand_ids": None,
        "p_elements": ["hook_type", "color_mode"],
        **after,
        "p_limit": 1000,
    }


@pytest.mark.parametrize(("received", "last"), [(0, True), (999, True), (1000, False)])
def test_a_short_page_ends_a_keyset_read(received, last):
    assert rq.is_last_keyset_page(received) is last


@pytest.mark.parametrize(
    ("status", "brand_ids", "filters"),
    [
        (None, None, ()),
        ("open", None, (("status", "in.(open)"),)),
        ("unresolved", ["b1"], (("brand_id", "in.(b1)"), ("status", "in.(open,acknowledged)"))),
        ("resolved", ["b1", "b2"], (("brand_id", "in.(b1,b2)"), ("status", "in.(resolved)"))),
    ],
)
def test_alert_filters(status, brand_ids, filters):
    params = wire.wire_request(reads.alerts(status, brand_ids)).params
    assert params[1:-3] == filters
    assert params[-3:] == (("order", "last_seen_at.desc,id.desc"), ("offset", "0"), ("limit", "1000"))


@pytest.mark.parametrize(
    ("alert_id", "brand_id", "filters"),
    [
        (None, None, ()),
        (7, None, (("alert_id", "eq.7"),)),
        (None, "b,1", (("brand_id", 'in.("b,1")'),)),
        (7, "b1", (("alert_id", "eq.7"), ("brand_id", "in.(b1)"))),
    ],
)
def test_alert_events_are_read_oldest_first_by_alert_and_brand(alert_id, brand_id, filters):
    request = wire.wire_request(reads.alert_events(alert_id, brand_id))
    assert (request.method, request.path) == ("GET", "/system_alert_events")
    assert request.params[1:-3] == filters
    assert request.params[-3:] == (("order", "id.asc"), ("offset", "0"), ("limit", "1000"))


@pytest.mark.parametrize(
    ("value", "rendered"),
    [("plain-id_1", "plain-id_1"), ("a,b", '"a,b"'), ("x(y)", '"x(y)"'), ('say "hi"', '"say \\"hi\\""')],
)
def test_in_filter_values_with_reserved_characters_are_quoted(value, rendered):
    assert wire.wire_request(reads.alerts(None, [value])).params[1] == ("brand_id", f"in.({rendered})")


def test_rewards_are_read_with_the_ad_id_renamed_and_the_components_taken_out_of_their_json():
    params = dict(wire.wire_request(reads.rewards(["b1"])).params)
    assert params["select"] == (
        "ad_id:generated_ad_id,brand_id,reward_score,ctr:reward_components->ctr,"
        "conversion_rate:reward_components->conversion_rate,roas:reward_components->roas,"
        "ctr_score:reward_components->ctr_score,conversion_score:reward_components->conversion_score,"
        "roas_score:reward_components->roas_score,ctr_weight:reward_components->ctr_weight,"
        "conversion_weight:reward_components->conversion_weight,roas_weight:reward_components->roas_weight,"
        "campaign_objective,maturity,impressions_at_reward,matured_at,computed_at"
    )
    assert params["order"] == "generated_ad_id.asc"


def test_job_runs_read_newest_first_up_to_the_limit():
    params = dict(wire.wire_request(reads.job_runs(5)).params)
    assert (params["order"], params["offset"], params["limit"]) == ("started_at.desc,id.desc", "0", "5")


def test_the_newest_succeeded_write_jobs_are_one_get_of_two_rows_newest_first():
    assert wire.wire_request(reads.newest_writes()) == wire.WireRequest(
        "GET",
        "/genome_job_runs",
        (
            ("select", "id,job_type,summary"),
            ("status", "eq.succeeded"),
            ("job_type", "in.(" + ",".join(WRITE_JOB_TYPES) + ")"),
            ("order", "id.desc"),
            ("offset", "0"),
            ("limit", "2"),
        ),
        None,
    )


FINGERPRINT = "f" * 64


def write_job(job_id: int, job_type: str = "import_ads", **summary: object) -> dict:
    return {"id": job_id, "job_type": job_type, "summary": summary}


@pytest.mark.parametrize(
    ("newest_writes", "unchanged"),
    [
        pytest.param([], False, id="no-write-yet"),
        pytest.param(
            [write_job(3), write_job(2, "refresh", fingerprint=FINGERPRINT, last_write_job_id=1)],
            False,
            id="written-since",
        ),
        pytest.param(
            [write_job(2, "refresh", fingerprint="other", last_write_job_id=1), write_job(1)],
            False,
            id="other-inputs",
        ),
        pytest.param(
            [write_job(3, "refresh", fingerprint=FINGERPRINT, last_write_job_id=1), write_job(2)],
            False,
            id="written-while-it-ran",
        ),
        pytest.param(
            [write_job(2, "refresh", fingerprint=FINGERPRINT, last_write_job_id=None), write_job(1)],
            False,
            id="saw-no-write-but-one-came-before",
        ),
        pytest.param(
            [write_job(2, "refresh", fingerprint=FINGERPRINT), write_job(1)], False, id="by-a-sql-backend"
        ),
        pytest.param(
            [write_job(2, "refresh", fingerprint=FINGERPRINT, last_write_job_id=1), write_job(1)],
            True,
            id="unchanged",
        ),
        pytest.param(
            [write_job(1, "refresh", fingerprint=FINGERPRINT, last_write_job_id=None)],
            True,
            id="unchanged-first-write",
        ),
    ],
)
def test_a_refresh_is_unchanged_only_if_the_newest_write_is_a_refresh_of_the_same_inputs_with_none_between(
    newest_writes, unchanged
):
    expected = newest_writes[0]["summary"] if unchanged else None
    assert common.unchanged_refresh(newest_writes, FINGERPRINT) == expected


def test_without_a_fingerprint_a_refresh_is_never_unchanged_and_marks_nothing():
    newest_writes = [write_job(1, "refresh", fingerprint=None, last_write_job_id=None)]
    assert (common.unchanged_refresh(newest_writes, None), common.refresh_marks(None, newest_writes)) == (
        None,
        {},
    )


@pytest.mark.parametrize(
    ("newest_writes", "last_write"), [([], None), ([write_job(7, "refresh"), write_job(5)], 7)]
)
def test_a_refresh_marks_its_fingerprint_and_the_newest_write_it_saw(newest_writes, last_write):
    marks = common.refresh_marks(FINGERPRINT, newest_writes)
    assert marks == {"fingerprint": FINGERPRINT, "last_write_job_id": last_write}


def test_a_skipped_refresh_is_one_succeeded_job_record():
    summary = {"skipped": True, "rewards_unchanged": np.int64(2), "duration_seconds": 0.01}
    call = rq.job_run_call("refresh", ("b1", "b2"), datetime(2026, 3, 1, 9, 0, tzinfo=UTC), summary, None)
    assert wire.wire_request(call) == wire.WireRequest(
        "POST",
        "/rpc/genome_record_job",
        (),
        b'{"p_job_type":"refresh","p_brand_ids":["b1","b2"],"p_status":"succeeded",'
        b'"p_started_at":"2026-03-01T09:00:00.000000Z",'
        b'"p_summary":{"skipped":true,"rewards_unchanged":2,"duration_seconds":0.01},"p_error":null}',
    )


@pytest.mark.parametrize(
    ("distinct", "sizes"), [(0, []), (1, [1]), (1000, [1000]), (2500, [1000, 1000, 500])]
)
def test_known_ad_id_checks_send_each_id_once_and_at_most_a_page_of_ids_per_call(distinct, sizes):
    ids = [f"ad-{i:04d}" for i in reversed(range(distinct))] * 2
    calls = rq.known_ad_ids_calls(ids)
    assert [len(call.args["p_ad_ids"]) for call in calls] == sizes
    assert [i for call in calls for i in call.args["p_ad_ids"]] == sorted(set(ids))


def test_known_ad_ids_travel_in_the_body_unquoted():
    (call,) = rq.known_ad_ids_calls(['say "hi"', "a,b", "x(y)"])
    assert wire.wire_request(call) == wire.WireRequest(
        "POST", "/rpc/genome_known_ad_ids", (), b'{"p_ad_ids":["a,b","say \\"hi\\"","x(y)"]}'
    )


# --- payloads ----------------------------------------------------------------------------------------


def rewards_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ad_id": ["a1", "a2"],
            "brand_id": ["b1", "b1"],
            "reward_score": [0.625, 0.1],
            "ctr": [0.02, 0.001],
            "conversion_rate": [np.nan, 0.05],
            "roas": [np.nan, np.inf],
            "ctr_score": [1.0, 0.0],
            "conversion_score": [np.nan, 0.25],
            "roas_score": [np.nan, np.nan],
            "ctr_weight": [1.0, 0.4],
            "conversion_weight": [0.0, 0.6],
            "roas_weight": [0.0, 0.0],
            "campaign_objective": ["", "SALES"],
            "maturity": ["ctr", "ctr+conversion"],
            "impressions_at_reward": np.array([1200, 800], dtype=np.int64),
            "matured_at": pd.to_datetime(["2026-02-04", "2026-02-10"]),
            "is_imported": [False, True],  # not part of the payload
        }
    )


def test_refresh_payload_sends_nan_and_inf_as_null_and_dates_as_days():
    started = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    run = common.JobRun("refresh", started, ("b1",), date(2026, 3, 1))
    call = rq.apply_refresh_call(run, RefreshOutputs(rewards_frame(), pd.DataFrame(), {"n": np.int64(2)}))
    first, second = call.args["p_rewards"]
    assert call.function == "genome_apply_refresh"
    assert first == {
        "ad_id": "a1",
        "brand_id": "b1",
        "reward_score": 0.625,
        "ctr": 0.02,
        "conversion_rate": None,
        "roas": None,
        "ctr_score": 1.0,
        "conversion_score": None,
        "roas_score": None,
        "ctr_weight": 1.0,
        "conversion_weight": 0.0,
        "roas_weight": 0.0,
        "campaign_objective": "",
        "maturity": "ctr",
        "impressions_at_reward": 1200,
        "matured_at": "2026-02-04",
    }
    assert (second["roas"], second["conversion_score"]) == (None, 0.25)
    assert {k: v for k, v in call.args.items() if k not in ("p_rewards",)} == {
        "p_brand_ids": ["b1"],
        "p_as_of": "2026-03-01",
        "p_scores": [],
        "p_summary": {"n": 2},
        "p_started_at": "2026-03-01T12:30:00.000000Z",
    }
    wire.encode_json(call.args)  # postgrest's encoder refuses NaN: the payload must carry none


def test_postgrest_encoding_refuses_nan_so_payloads_must_convert_it():
    with pytest.raises(ValueError, match="not JSON compliant"):
        wire.encode_json({"x": math.nan})


def test_import_payload_types():
    ads = pd.DataFrame(
        {
            "ad_id": pd.Series(["a", "b"], dtype="string"),
            "brand_id": ["b1", "b1"],
            "element_tags": ['{"hook_type": "question"}', "{}"],
            "pre_gen_score": np.array([0.75, np.nan], dtype=np.float32),
            "final_status": ["approved", "pending"],
            "is_imported": [True, False],
            "created_at": pd.to_datetime(["2026-01-02T10:00:00", "2026-01-03T00:00:00"]).tz_localize(
                "Europe/Paris"
            ),
        }
    )
    call = rq.import_ads_call(ads, datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    assert call.function == "genome_import_ads"
    assert call.args == {
        "p_ads": [
            {
                "ad_id": "a",
                "brand_id": "b1",
                "element_tags": '{"hook_type": "question"}',
                "pre_gen_score": 0.75,
                "final_status": "approved",
                "is_imported": True,
                "created_at": "2026-01-02T09:00:00.000000Z",
            },
            {
                "ad_id": "b",
                "brand_id": "b1",
                "element_tags": "{}",
                "pre_gen_score": None,
                "final_status": "pending",
                "is_imported": False,
                "created_at": "2026-01-02T23:00:00.000000Z",
            },
        ],
        "p_started_at": "2026-03-01T09:00:00.000000Z",
    }


def test_performance_payload_sends_days_and_whole_counts():
    rows = pd.DataFrame(
        {
            "ad_id": ["a"],
            "date": pd.to_datetime(["2026-01-05"]),
            "impressions": np.array([500], dtype=np.int64),
            "clicks": [12.0],
            "conversions": pd.array([None], dtype="Int64"),
            "spend": [3.5],
            "revenue": [0.0],
            "campaign_objective": [None],
        }
    )
    (row,) = rq.import_performance_call(rows, datetime(2026, 3, 1, tzinfo=UTC)).args["p_rows"]
    assert row == {
        "ad_id": "a",
        "date": "2026-01-05",
        "impressions": 500,
        "clicks": 12.0,
        "conversions": None,
        "spend": 3.5,
        "revenue": 0.0,
        "campaign_objective": None,
    }


def test_validation_and_alert_payloads():
    metrics = pd.DataFrame(
        {
            "brand_id": ["b1"],
            "metric_name": ["winner_rate"],
            "metric_value": [np.nan],
            "warning": [0.05],
            "critical": [0.02],
        }
    )
    actions = pd.DataFrame(
        {
            "action": ["open"],
            "alert_id": pd.array([None], dtype="Int64"),
            "brand_id": ["b1"],
            "alert_type": ["winner_rate"],
            "severity": ["critical"],
            "metric_value": [0.01],
            "threshold_value": [0.02],
            "message": ["Winner rate 1 % is below 2 %"],
        }
    )
    at = datetime(2026, 3, 1, 8, 0)
    run = common.JobRun("validate", at, ("b1",), date(2026, 3, 1))
    call = rq.apply_validation_call(run, jobs.ValidateOutputs(metrics, actions))
    assert call.args["p_metrics"] == [
        {
            "brand_id": "b1",
            "metric_name": "winner_rate",
            "metric_value": None,
            "warning": 0.05,
            "critical": 0.02,
        }
    ]
    assert call.args["p_actions"][0]["alert_id"] is None
    assert call.args["p_started_at"] == "2026-03-01T08:00:00.000000Z"  # naive = UTC
    assert rq.set_alert_status_call(np.int64(7), "resolved", "ana", "fixed", at).args == {
        "p_alert_id": 7,
        "p_status": "resolved",
        "p_by": "ana",
        "p_note": "fixed",
        "p_at": "2026-03-01T08:00:00.000000Z",
    }


# --- what supabase-py actually sends (transport stub) -----------------------------------------------


@pytest.mark.parametrize(
    ("read_with", "expected_read"),
    [
        (lambda s: s.brands(), reads.brands()),
        (lambda s: s.rewards("b1"), reads.rewards(["b1"])),
        (lambda s: s.scores(), reads.scores(None)),
        (lambda s: s.score_history("b1"), reads.score_history("b1")),
        (lambda s: s.alerts("unresolved", "b,1"), reads.alerts("unresolved", ["b,1"])),
        (lambda s: s.metric_history("b1"), reads.metric_history("b1")),
        (lambda s: s.alert_events(3, "b1"), reads.alert_events(3, "b1")),
        (lambda s: s.job_runs(20), reads.job_runs(20)),
        (lambda s: s.brand_overview(0.7), rq.brand_overview_read(0.7)),
        (
            lambda s: s.ad_aggregates(["b1"], date(2026, 3, 1)),
            rq.ad_aggregates_read(["b1"], date(2026, 3, 1)),
        ),
        (lambda s: s.ad_elements(["b1"], ["hook_type"]), rq.ad_elements_read(["b1"], ["hook_type"])),
        (lambda s: s.known_ad_ids(["b", "a", "b"]), rq.known_ad_ids_calls(["a", "b"])[0]),
    ],
)
def test_the_adapter_sends_exactly_the_built_request(read_with, expected_read):
    fake = FakePostgrest({name: [] for name in _answer_names()})
    read_with(store_with(fake))
    assert [sent(r) for r in fake.requests] == [wire.wire_request(expected_read)]


def _answer_names() -> list[str]:
    tables = [
        "brands",
        "creative_element_rewards",
        "creative_element_scores",
        "creative_element_score_history",
    ]
    tables += [
        "system_alerts",
        "system_alert_events",
        "health_metric_history",
        "genome_job_runs",
        "generated_ads",
    ]
    functions = [
        "genome_ad_aggregates",
        "genome_ad_element_groups",
        "genome_brand_overview",
        "genome_known_ad_ids",
    ]
    return tables + [f"rpc/{f}" for f in functions]


def test_the_secret_key_travels_only_in_the_auth_headers():
    fake = FakePostgrest({"brands": []})
    store = store_with(fake)
    store.brands()
    request = fake.requests[0]
    assert request.headers["apikey"] == SECRET
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert SECRET not in str(request.url)
    assert SECRET not in repr(store) and store.url == URL


@pytest.mark.parametrize("rows", [0, 999, 1000, 1001, 2500])
def test_reads_page_until_a_short_page(rows):
    fake = FakePostgrest({"brands": rest_rows(frames.BRANDS, rows, id=lambda i: f"b{i:05d}")})
    frame = store_with(fake).brands()
    assert len(frame) == rows
    assert [r.url.params["offset"] for r in fake.requests] == [str(i * 1000) for i in range(rows // 1000 + 1)]


@pytest.mark.parametrize("ads", [0, 999, 1000, 1001, 2500])
def test_keyset_reads_ask_for_the_page_after_the_last_row_until_a_short_page(ads):
    read = rq.ad_aggregates_read(None, date(2026, 3, 1))
    rows = rest_rows(frames.AD_AGGREGATES, ads, ad_id=lambda i: f"ad{i:05d}")
    fake = FakePostgrest({"rpc/genome_ad_aggregates": keyset_answer(rows, read)})
    frame = store_with(fake).ad_aggregates(None, date(2026, 3, 1))
    assert frame["ad_id"].tolist() == [row["ad_id"] for row in rows]
    pages = ads // 1000 + 1
    assert [sent(r) for r in fake.requests] == [
        wire.wire_request(read, last_row=None if page == 0 else rows[page * 1000 - 1])
        for page in range(pages)
    ]


def test_known_ad_ids_cost_one_call_per_thousand_distinct_ids():
    fake = FakePostgrest({"rpc/genome_known_ad_ids": lambda body: body["p_ad_ids"][::2]})
    ids = [f"ad-{i:04d}" for i in range(2500)]
    known = store_with(fake).known_ad_ids(ids + ids)
    assert known == set(ids[0:1000:2] + ids[1000:2000:2] + ids[2000::2])
    assert [sent(r) for r in fake.requests] == [wire.wire_request(c) for c in rq.known_ad_ids_calls(ids)]


def test_job_runs_stop_at_the_limit_without_reading_further():
    fake = FakePostgrest({"genome_job_runs": rest_rows(frames.JOB_RUNS, 3000, id=lambda i: 3000 - i)})
    assert len(store_with(fake).job_runs(1500)) == 1500
    assert [r.url.params["limit"] for r in fake.requests] == ["1000", "500"]


def element_groups(element_rows: list[dict]) -> list[dict]:
    """What genome_ad_element_groups answers for `element_rows`: one row per (brand, element, value)
    with its ad ids in id order, ordered by the three."""
    keys = ["brand_id", "element_name", "element_value"]
    if not element_rows:
        return []
    ads = pd.DataFrame(element_rows).sort_values("ad_id").groupby(keys, sort=True)["ad_id"].agg(list)
    return [dict(zip([*keys, "ad_ids"], (*key, ad_ids), strict=True)) for key, ad_ids in ads.items()]


@pytest.mark.parametrize("ads", [0, 999, 1000, 2500])
def test_a_refresh_costs_requests_per_page_of_aggregates_and_element_groups_never_per_row(ads):
    elements_per_ad = 6  # element k of an ad takes one of 250 * k + 1 values: from 1 to 1,251 groups
    ad_rows = rest_rows(frames.AD_AGGREGATES, ads, ad_id=lambda i: f"ad{i:05d}", brand_id="b1")
    element_rows = rest_rows(
        frames.AD_ELEMENTS,
        ads * elements_per_ad,
        ad_id=lambda i: f"ad{i // elements_per_ad:05d}",
        element_name=lambda i: f"element_{i % elements_per_ad}",
        element_value=lambda i: f"v{(i // elements_per_ad) % (250 * (i % elements_per_ad) + 1)}",
        brand_id="b1",
    )
    groups = element_groups(element_rows)
    applied: list[dict] = []
    fake = FakePostgrest(
        {
            "brands": rest_rows(frames.BRANDS, 1, id="b1"),
            "creative_element_scores": [],
            "rpc/genome_ad_aggregates": keyset_answer(ad_rows, rq.ad_aggregates_read(None, None)),
            "rpc/genome_ad_element_groups": keyset_answer(groups, rq.ad_elements_read(None, None)),
            "rpc/genome_apply_refresh": lambda body: applied.append(body) or {"job_id": 1, "rewards_new": 0},
        }
    )
    seen: list[RefreshInputs] = []

    def compute(inputs: RefreshInputs) -> RefreshOutputs:
        seen.append(inputs)
        return RefreshOutputs(rewards=pd.DataFrame(), scores=pd.DataFrame())

    summary = store_with(fake).refresh(None, date(2026, 3, 1), compute)
    assert (len(seen[0].ads), seen[0].brand_ids) == (ads, ("b1",))
    pd.testing.assert_frame_equal(seen[0].elements, frames.coerce(element_rows, frames.AD_ELEMENTS))
    pages_of_ads, pages_of_groups = ads // 1000 + 1, len(groups) // 1000 + 1  # + the short page
    assert len(fake.calls_to("rpc/genome_ad_aggregates")) == pages_of_ads
    assert len(fake.calls_to("rpc/genome_ad_element_groups")) == pages_of_groups
    assert len(fake.requests) == pages_of_ads + pages_of_groups + 3  # brands, scores, the one apply call
    assert len(applied) == 1 and applied[0]["p_brand_ids"] == ["b1"]
    assert summary["job_id"] == 1


# --- errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("P0002", NotFound),
        ("55000", GenomeError),
        ("22023", GenomeError),
        ("42501", StoreError),
        ("PGRST202", StoreError),
    ],
)
def test_server_errors_map_to_domain_errors(code, kind):
    body = {"code": code, "message": "alert 9 does not exist", "details": None, "hint": None}
    store = store_with(FakePostgrest({}, error=(400, body)))
    with pytest.raises(kind, match="alert 9 does not exist") as caught:
        store.set_alert_status(9, "resolved", "ana", "", datetime(2026, 3, 1, tzinfo=UTC))
    assert type(caught.value) is kind


def test_store_errors_keep_code_details_and_hint_without_the_secret():
    body = {
        "code": "42501",
        "message": f"denied for {SECRET}",
        "details": f"key {SECRET}",
        "hint": f"rotate {SECRET}",
    }
    store = store_with(FakePostgrest({}, error=(403, body)))
    with pytest.raises(StoreError) as caught:
        store.brands()
    error = caught.value
    assert (error.code, error.details, error.hint) == ("42501", "key [secret key]", "rotate [secret key]")
    assert str(error) == "Supabase refused reading brands: denied for [secret key] [42501]"
    assert SECRET not in repr(error)


def test_a_missing_function_hints_at_the_migrations():
    body = {"code": "PGRST202", "message": "Could not find the function", "details": None, "hint": None}
    with pytest.raises(StoreError) as caught:
        store_with(FakePostgrest({}, error=(404, body))).brand_overview(0.7)
    assert "python -m genome migrate" in caught.value.hint


def test_a_proxy_error_page_becomes_a_short_store_error():
    page = "<html>" + "x" * 5000 + SECRET + "</html>"

    def bad_gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text=page)

    with pytest.raises(StoreError, match=r"Supabase refused reading brands: Bad Gateway \[502\]") as caught:
        store_with(httpx.MockTransport(bad_gateway)).brands()
    assert caught.value.code == "502" and len(caught.value.details) == 500


def test_an_unknown_alert_status_is_refused_before_any_request():
    fake = FakePostgrest({})
    with pytest.raises(GenomeError, match="status must be one of"):
        store_with(fake).alerts(status="closed")
    assert fake.requests == []


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("https://abc.supabase.co", "https://abc.supabase.co"),
        ("https://abc.supabase.co/rest/v1/?apikey=sb_secret_x", "https://abc.supabase.co"),
        ("https://user:pw@abc.supabase.co:8443/", "https://abc.supabase.co:8443"),
    ],
)
def test_the_shown_url_never_carries_a_path_query_or_credentials(given, shown):
    store = SupabaseStore(given, SECRET, Settings(), transport=httpx.MockTransport(FakePostgrest({})))
    assert store.url == shown and repr(store) == f"SupabaseStore({shown!r})"


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (
            httpx.ConnectError("[Errno 111] Connection refused"),
            "cannot reach Supabase at .* Connection refused",
        ),
        (httpx.ConnectTimeout("timed out"), r"cannot reach Supabase at .* within 5 s while reading brands"),
        (
            httpx.ReadTimeout("timed out"),
            "did not answer in time while reading brands; a job may still finish",
        ),
    ],
)
def test_transport_failures_fail_fast_with_one_attempt(failure, message):
    attempts: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise failure

    with pytest.raises(StoreError, match=message):
        store_with(httpx.MockTransport(refuse)).brands()
    assert len(attempts) == 1  # supabase-py's retry loop is off


def test_an_unreachable_url_gives_a_clear_store_error():
    with socket.socket() as probe:  # a local port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = SupabaseStore(f"http://127.0.0.1:{port}", SECRET, Settings(db_timeout_seconds=2))
    with pytest.raises(
        StoreError, match=f"cannot reach Supabase at http://127.0.0.1:{port} while reading brands"
    ):
        store.brands()
    store.close()


@pytest.mark.parametrize("key", ["", None])
def test_a_missing_key_is_refused_before_any_request(key):
    with pytest.raises(StoreError, match="set SUPABASE_SECRET_KEY"):
        SupabaseStore(URL, key, Settings())


def test_a_failed_job_is_recorded_after_the_fact_and_the_error_raised():
    recorded: list[dict] = []
    fake = FakePostgrest(
        {
            "brands": rest_rows(frames.BRANDS, 1, id="b1"),
            "creative_element_scores": [],
            "rpc/genome_ad_aggregates": [],
            "rpc/genome_ad_element_groups": [],
            "rpc/genome_record_job": lambda body: recorded.append(body) or 41,
        }
    )

    def compute(inputs: RefreshInputs) -> RefreshOutputs:
        raise ZeroDivisionError("broken maths")

    with pytest.raises(ZeroDivisionError):
        store_with(fake).refresh(["b1"], date(2026, 3, 1), compute)
    assert fake.calls_to("rpc/genome_apply_refresh") == []
    assert recorded == [
        {
            "p_job_type": "refresh",
            "p_brand_ids": ["b1"],
            "p_status": "failed",
            "p_started_at": recorded[0]["p_started_at"],
            "p_summary": {"brand_ids": ["b1"], "as_of": "2026-03-01"},
            "p_error": "ZeroDivisionError: broken maths",
        }
    ]


# --- the SQL functions, called the way the adapter calls them, on the real PostgreSQL server ------------


@pytest.fixture
def rest_on_postgres(postgres_database):
    """A SupabaseStore whose HTTP requests are answered by the migrated PostgreSQL database."""
    server = PostgrestOnPostgres(postgres_database)
    counter = CountingTransport(httpx.MockTransport(server))
    store = SupabaseStore(URL, SECRET, Settings(), transport=counter)
    yield store, counter
    store.close()
    server.close()


@pytest.mark.postgres
@pytest.mark.parametrize("days", [1, 25])
def test_a_refresh_over_rest_costs_pages_of_per_ad_aggregates_and_element_groups_not_rows(
    rest_on_postgres, days
):
    store, counter = rest_on_postgres
    workspace = live.synthetic_workspace(ads=1100, days=days)
    brand_ids = live.load(store, workspace)
    before = len(counter.requests)
    summary = store.refresh(None, date(2026, 2, 15), jobs.compute_refresh, Settings())
    pages_of_ads = 1100 // 1000 + 1
    pages_of_groups = live.tracked_element_groups(workspace["ads"]) // 1000 + 1  # 10 groups, 2,200 rows
    # + brands, the write-job check, scores, the apply
    assert len(counter.requests) - before == pages_of_ads + pages_of_groups + 4
    assert summary["brand_ids"] == brand_ids
    assert summary["rewards_new"] == (1100 if days >= 3 else 0)  # CTR matures after 3 days


def compute_refresh_unbound(inputs: RefreshInputs) -> RefreshOutputs:
    """jobs.compute_refresh with its settings inside: a refresh given no settings is never skipped."""
    return jobs.compute_refresh(inputs, settings=Settings())


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("compute", "settings", "checks"),
    [
        pytest.param(jobs.compute_refresh, Settings(), 1, id="skipped"),
        pytest.param(compute_refresh_unbound, None, 0, id="recomputed"),
    ],
)
def test_refresh_pages_past_the_row_cap_and_twice_is_once_over_rest(
    rest_on_postgres, compute, settings, checks
):
    """The live scenario on the local server, where nobody else writes: the second refresh skips
    exactly when it may (it is given its settings, so it checks the job history)."""
    store, counter = rest_on_postgres
    second = live.check_refresh_pages_and_idempotence(
        store, counter, "", compute, history_reads=checks, settings=settings
    )
    assert second.get("skipped", False) is bool(checks)


# --- a refresh with nothing new is skipped over REST, as on the SQL backends (tests/test_store_contract.py)


@pytest.mark.postgres
def test_a_refresh_with_nothing_new_over_rest_is_skipped_recorded_and_costs_three_requests(rest_on_postgres):
    store, counter = rest_on_postgres
    first = contract.loaded(store).refresh(None, contract.AS_OF, contract.settings_refresh, contract.SETTINGS)
    rewards, scores = store.rewards(), store.scores()
    before = len(counter.requests)
    second = store.refresh(None, contract.AS_OF, contract.settings_refresh, contract.SETTINGS)
    brands, check, record = counter.requests[before:]
    assert [sent(brands), sent(check)] == [
        wire.wire_request(reads.brands()),
        wire.wire_request(reads.newest_writes()),
    ]
    assert (record.method, record.url.path) == ("POST", "/rest/v1/rpc/genome_record_job")
    assert second == {
        **first,
        "skipped": True,
        "rewards_new": 0,
        "rewards_updated": 0,
        "rewards_unchanged": 2,
        "rewards_removed": 0,
        "elements_updated": 0,
        "duration_seconds": second["duration_seconds"],
        "job_id": second["job_id"],
        "last_write_job_id": first["job_id"],
    }
    runs = store.job_runs(2)
    assert runs["id"].tolist() == [second["job_id"], first["job_id"]]
    assert runs["status"].tolist() == ["succeeded", "succeeded"]
    assert runs.iloc[0]["summary"] == {k: v for k, v in second.items() if k != "job_id"}
    third = store.refresh(None, contract.AS_OF, contract.settings_refresh, contract.SETTINGS)
    assert (third["skipped"], third["last_write_job_id"]) == (True, second["job_id"])  # a skip chains
    pd.testing.assert_frame_equal(store.rewards(), rewards)
    pd.testing.assert_frame_equal(store.scores(), scores)


def test_brand_stats_is_one_call_of_the_shared_function_with_the_approval_window():
    call = rq.brand_stats_call("b1", date(2026, 11, 1), date(2026, 11, 30))
    assert call == rq.RpcCall(
        "genome_brand_stats", {"p_brand_id": "b1", "p_since": "2026-11-01", "p_until": "2026-11-30"}
    )


@pytest.mark.postgres
def test_brand_stats_over_rest_count_native_ads_of_the_window(rest_on_postgres):
    store, counter = rest_on_postgres
    contract.loaded(store).refresh(None, contract.AS_OF, contract.simple_refresh)
    before = len(counter.requests)
    assert store.brand_stats("b1", contract.ALL_DAYS) == {"matured_ads": 1, "approved": 2, "rejected": 0}
    one_day = (date(2024, 3, 3), date(2024, 3, 3))
    assert store.brand_stats("b1", one_day) == {"matured_ads": 1, "approved": 1, "rejected": 0}
    assert store.brand_stats("nobody", contract.ALL_DAYS) is None
    calls = [(r.method, r.url.path) for r in counter.requests[before:]]
    assert calls == [("POST", "/rest/v1/rpc/genome_brand_stats")] * 3


@pytest.mark.postgres
@pytest.mark.parametrize("change", sorted(contract.CHANGES_SINCE_THE_LAST_REFRESH))
def test_a_refresh_after_a_write_over_rest_recomputes(rest_on_postgres, change):
    store, _ = rest_on_postgres
    contract.loaded(store).refresh(None, contract.AS_OF, contract.settings_refresh, contract.SETTINGS)
    contract.CHANGES_SINCE_THE_LAST_REFRESH[change](store)
    summary = store.refresh(None, contract.AS_OF, contract.settings_refresh, contract.SETTINGS)
    assert "skipped" not in summary
    expected_a4 = 0.25 if change == "new performance" else 1.0
    assert store.rewards().set_index("ad_id")["reward_score"].to_dict() == {"a1": 0.75, "a4": expected_a4}


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("as_of", "compute", "settings", "brand_ids"),
    [
        pytest.param(date(2024, 3, 9), contract.settings_refresh, contract.SETTINGS, None, id="other-as-of"),
        pytest.param(
            contract.AS_OF,
            contract.settings_refresh,
            Settings(min_impressions=100),
            None,
            id="other-settings",
        ),
        pytest.param(contract.AS_OF, contract.settings_refresh, contract.SETTINGS, ["b1"], id="other-brands"),
        pytest.param(contract.AS_OF, contract.simple_refresh, None, None, id="no-settings"),
    ],
)
def test_a_refresh_of_other_inputs_over_rest_recomputes(
    rest_on_postgres, as_of, compute, settings, brand_ids
):
    store, counter = rest_on_postgres
    contract.loaded(store).refresh(None, contract.AS_OF, contract.settings_refresh, contract.SETTINGS)
    summary = store.refresh(brand_ids, as_of, compute, settings)
    assert "skipped" not in summary
    assert summary["as_of"] == as_of.isoformat()
    assert "rpc/genome_apply_refresh" in counter.requests[-1].url.path


NEW_PERFORMANCE = contract.PERFORMANCE.assign(clicks=[20, 10, 10, 8, 10])  # a4: reward 1.0 -> 0.25


def refresh_racing_a_write(inputs: RefreshInputs, settings: Settings, writes: list) -> RefreshOutputs:
    """contract.simple_refresh, after running (once) the `writes` another client commits meanwhile."""
    while writes:
        writes.pop()()
    return contract.simple_refresh(inputs)


@pytest.mark.postgres
def test_a_write_committed_while_a_refresh_reads_makes_the_next_one_recompute(
    rest_on_postgres, postgres_database
):
    store, _ = rest_on_postgres
    other = PostgresStore(postgres_database, Settings())
    writes = [lambda: other.import_performance(NEW_PERFORMANCE)]
    compute = partial(refresh_racing_a_write, writes=writes)
    try:
        contract.loaded(store).refresh(None, contract.AS_OF, compute, Settings())  # read before the import
        assert store.rewards().set_index("ad_id")["reward_score"].to_dict() == {"a1": 0.75, "a4": 1.0}
        summary = store.refresh(None, contract.AS_OF, compute, Settings())
    finally:
        other.close()
    assert "skipped" not in summary
    assert store.rewards().set_index("ad_id")["reward_score"].to_dict() == {"a1": 0.75, "a4": 0.25}


class WriteAfterCheck(httpx.BaseTransport):
    """Passes every request to `inner`; after the next answer to the write-job check, runs `writes`."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.writes: list = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path == "/rest/v1/genome_job_runs":
            while self.writes:
                self.writes.pop()()
        return response


@pytest.mark.postgres
def test_a_write_committed_between_the_check_and_a_skip_makes_the_next_refresh_recompute(postgres_database):
    server = PostgrestOnPostgres(postgres_database)
    transport = WriteAfterCheck(httpx.MockTransport(server))
    store = SupabaseStore(URL, SECRET, Settings(), transport=transport)
    other = PostgresStore(postgres_database, Settings())
    try:
        contract.loaded(store).refresh(None, contract.AS_OF, contract.settings_refresh, contract.SETTINGS)
        transport.writes.append(lambda: other.import_performance(NEW_PERFORMANCE))
        raced = store.refresh(
            None, contract.AS_OF, contract.settings_refresh, contract.SETTINGS
        )  # the accepted race
        summary = store.refresh(None, contract.AS_OF, contract.settings_refresh, contract.SETTINGS)
        a4 = store.rewards().set_index("ad_id")["reward_score"].to_dict()["a4"]
    finally:
        other.close()
        store.close()
        server.close()
    assert (raced["skipped"], "skipped" in summary, a4) == (True, False, 0.25)


@pytest.mark.postgres
def test_validation_and_the_alert_lifecycle_over_rest(rest_on_postgres):
    live.check_alert_lifecycle(rest_on_postgres[0], prefix="")


@pytest.mark.postgres
def test_a_failed_refresh_over_rest_writes_nothing_and_is_recorded(rest_on_postgres):
    live.check_failed_job_is_recorded(rest_on_postgres[0], prefix="")


@pytest.mark.postgres
def test_server_refusals_keep_their_sqlstate_over_rest(rest_on_postgres):
    live.check_refusals_keep_their_sqlstate(rest_on_postgres[0], SECRET, prefix="")


@pytest.fixture(scope="module")
def refreshed_database(postgres_url, postgres_template):
    """A database of its own (shared by this module's read comparisons) with a workspace imported,
    refreshed and validated over REST: (database URL, SupabaseStore)."""
    name = f"genome_supabase_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("create database {} template {}").format(
                sql.Identifier(name), sql.Identifier(postgres_template)
            )
        )
    url = urlunsplit(urlsplit(postgres_url)._replace(path=f"/{name}"))
    server = PostgrestOnPostgres(url)
    store = SupabaseStore(URL, SECRET, Settings(), transport=httpx.MockTransport(server))
    live.load(store, live.synthetic_workspace(ads=1100, days=14))
    as_of = date(2026, 1, 20)
    store.refresh(None, as_of, jobs.compute_refresh, Settings())
    store.validate(None, as_of, jobs.compute_validation, Settings())
    yield url, store
    store.close()
    server.close()
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.mark.postgres
@pytest.mark.parametrize(
    "read",
    [
        pytest.param(lambda s: s.brands(), id="brands"),
        pytest.param(lambda s: s.ad_aggregates(None, date(2026, 1, 10)), id="aggregates-all"),
        pytest.param(lambda s: s.ad_aggregates(["b2"], date(2026, 1, 20)), id="aggregates-b2"),
        pytest.param(lambda s: s.rewards(), id="rewards"),
        pytest.param(lambda s: s.rewards("b2"), id="rewards-b2"),
        pytest.param(lambda s: s.scores(), id="scores"),
        pytest.param(lambda s: s.score_history("b1"), id="score-history"),
        pytest.param(lambda s: s.brand_overview(0.7), id="overview"),
        pytest.param(lambda s: s.alerts(), id="alerts"),
        pytest.param(lambda s: s.alerts("unresolved", "b2"), id="alerts-unresolved-b2"),
        pytest.param(lambda s: s.metric_history(), id="metric-history"),
        pytest.param(lambda s: s.job_runs(3), id="job-runs"),
        pytest.param(lambda s: s.ad_elements(None), id="elements-all"),
        pytest.param(lambda s: s.ad_elements(["b2"], ["hook_type", "color_mode"]), id="elements-b2"),
    ],
)
def test_reads_over_rest_equal_the_postgres_backend_on_the_same_database(refreshed_database, read):
    url, over_rest = refreshed_database
    direct = PostgresStore(url, Settings())
    try:
        expected = read(direct)
    finally:
        direct.close()
    pd.testing.assert_frame_equal(read(over_rest), expected)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("asked", "known"),
    [
        pytest.param(["ad-00001", "ad-01099", "nope"], {"ad-00001", "ad-01099"}, id="few"),
        pytest.param(
            [f"ad-{i:05d}" for i in range(2500)], {f"ad-{i:05d}" for i in range(1100)}, id="three-calls"
        ),
    ],
)
def test_known_ad_ids_over_rest_equal_the_postgres_backend(refreshed_database, asked, known):
    url, over_rest = refreshed_database
    direct = PostgresStore(url, Settings())
    try:
        assert over_rest.known_ad_ids(asked) == direct.known_ad_ids(asked) == known
    finally:
        direct.close()


# --- the keyset-paged functions on the real PostgreSQL server ---------------------------

SMALL_PAGE = 3  # rows per page in the tests below: many pages of a few ads or (brand, element, value) groups


@pytest.mark.postgres
@pytest.mark.parametrize(
    "read",
    [
        pytest.param(lambda s: s.ad_aggregates(None, date(2026, 1, 2)), id="all"),
        pytest.param(lambda s: s.ad_aggregates(["b1"], None), id="b1-no-date-limit"),
        pytest.param(lambda s: s.ad_aggregates(None, date(2025, 12, 30)), id="before-any-ad"),
    ],
)
def test_aggregate_pages_over_rest_add_up_to_the_unpaged_function(
    rest_on_postgres, postgres_database, monkeypatch, read
):
    over_rest, counter = rest_on_postgres
    live.load(over_rest, live.synthetic_workspace(ads=10, days=3))
    direct = PostgresStore(postgres_database, Settings())
    try:
        expected = read(direct)
    finally:
        direct.close()
    monkeypatch.setattr(rq, "PAGE_SIZE", SMALL_PAGE)
    before = len(counter.requests)
    pd.testing.assert_frame_equal(read(over_rest), expected)
    assert len(counter.requests) - before == len(expected) // SMALL_PAGE + 1


GROUP_COLUMNS = ("brand_id", "element_name", "element_value", "ad_ids")


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("brand_ids", "elements"),
    [
        pytest.param(None, None, id="all"),
        pytest.param(["b1"], ["note", "hook_type"], id="b1"),
        pytest.param(["b1"], ["no_such_tag"], id="none"),
    ],
)
def test_element_group_pages_over_rest_add_up_to_the_unpaged_groups_which_unfold_to_the_element_rows(
    postgres_database, monkeypatch, brand_ids, elements
):
    answers: list = []

    def keep_answers(request: httpx.Request) -> httpx.Response:
        response = server(request)
        answers.append(response.json())
        return response

    server = PostgrestOnPostgres(postgres_database)
    over_rest = SupabaseStore(URL, SECRET, Settings(), transport=httpx.MockTransport(keep_answers))
    try:
        live.load(over_rest, live.synthetic_workspace(ads=10, days=3))
        monkeypatch.setattr(rq, "PAGE_SIZE", SMALL_PAGE)
        before = len(server.requests)
        frame = over_rest.ad_elements(brand_ids, elements)
        requests, pages = server.requests[before:], answers[before:]
    finally:
        over_rest.close()
        server.close()
    with psycopg.connect(postgres_database, autocommit=True) as connection, connection.transaction():
        connection.execute("set local role service_role")
        groups = connection.execute(
            "select brand_id, element_name, element_value, ad_ids from public.genome_ad_element_groups("
            "%s::text[], %s::text[], p_limit => null)",
            (brand_ids, elements),
        ).fetchall()
        rows = connection.execute(  # the element rows the groups fold, straight from their table
            "select generated_ad_id, brand_id, element_name, element_value from public.generated_ad_elements"
            " where (%s::text[] is null or brand_id = any(%s::text[]))"
            " and (%s::text[] is null or element_name = any(%s::text[])) order by generated_ad_id, element_name",
            (brand_ids, brand_ids, elements, elements),
        ).fetchall()
    assert {request.url.path for request in requests} == {"/rest/v1/rpc/genome_ad_element_groups"}
    assert len(requests) == len(groups) // SMALL_PAGE + 1
    assert [row for page in pages for row in page] == [
        dict(zip(GROUP_COLUMNS, g, strict=True)) for g in groups
    ]
    expected = frames.coerce(
        [dict(zip(frames.AD_ELEMENTS, row, strict=True)) for row in rows], frames.AD_ELEMENTS
    )
    pd.testing.assert_frame_equal(frames.elements_from_groups(groups), expected)
    pd.testing.assert_frame_equal(frame, expected)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("brand_ids", "elements", "after", "limit", "expected"),
    [
        pytest.param(
            None,
            None,
            (None, None, None),
            2,
            [
                ("b1", "color_mode", "dark", ["ad-00003", "ad-00005"]),
                ("b1", "color_mode", "light", ["ad-00001", "ad-00002", "ad-00006", "ad-00007", "ad-00009"]),
            ],
            id="first-page",
        ),
        pytest.param(
            None,
            None,
            ("b1", "hook_type", "question"),
            2,
            [
                ("b1", "hook_type", "statistic", ["ad-00003", "ad-00005"]),
                ("b1", "hook_type", "story", ["ad-00002", "ad-00006"]),
            ],
            id="inside-an-element",
        ),
        pytest.param(
            None,
            None,
            ("b1", "note", "x"),
            1,
            [("b2", "color_mode", "dark", ["ad-00000"])],
            id="into-the-next-brand",
        ),
        pytest.param(
            None,
            None,
            ("b2", "color_mode", "light"),
            None,
            [
                ("b2", "hook_type", "question", ["ad-00000"]),
                ("b2", "hook_type", "statistic", ["ad-00004", "ad-00008"]),
                ("b2", "note", "x", ["ad-00000", "ad-00004", "ad-00008"]),
            ],
            id="null-limit-reads-the-rest",
        ),
        pytest.param(None, None, ("b2", "note", "x"), 5, [], id="past-the-last"),
        pytest.param(
            ["b2"],
            ["hook_type"],
            (None, None, None),
            None,
            [
                ("b2", "hook_type", "question", ["ad-00000"]),
                ("b2", "hook_type", "statistic", ["ad-00004", "ad-00008"]),
            ],
            id="brands-and-elements",
        ),
    ],
)
def test_element_groups_start_after_the_given_brand_element_and_value(
    rest_on_postgres, postgres_database, brand_ids, elements, after, limit, expected
):
    live.load(rest_on_postgres[0], live.synthetic_workspace(ads=10, days=1))
    with psycopg.connect(postgres_database, autocommit=True) as connection, connection.transaction():
        connection.execute("set local role service_role")
        rows = connection.execute(
            "select * from public.genome_ad_element_groups(%s::text[], %s::text[], %s, %s, %s, %s)",
            (brand_ids, elements, *after, limit),
        ).fetchall()
    assert rows == expected


@pytest.mark.postgres
def test_known_ad_ids_need_no_quoting_and_leave_unknown_ids_out(rest_on_postgres):
    live.check_known_ad_ids(rest_on_postgres[0], prefix="")


# the service_role-only functions REST clients page through, by the function file that creates them
PAGING_FUNCTIONS = {
    "genome_ad_aggregates.sql": ["public.genome_ad_aggregates(text[], date, text, integer)"],
    "genome_known_ad_ids.sql": ["public.genome_known_ad_ids(text[])"],
    "genome_ad_element_groups.sql": [
        "public.genome_ad_element_groups(text[], text[], text, text, text, integer)"
    ],
    "genome_brand_stats.sql": ["public.genome_brand_stats(text, date, date)"],
}


@pytest.fixture(params=["migrated", "supabase-default-privileges"])
def paging_grants_database(request, postgres_database):
    """A migrated database; or one where the function files created their functions again under Supabase's
    default privileges (every new function in public executable by anon and authenticated), which
    their revokes must undo."""
    if request.param == "supabase-default-privileges":
        with psycopg.connect(postgres_database, autocommit=True) as connection:
            connection.execute("drop function " + ", ".join(chain.from_iterable(PAGING_FUNCTIONS.values())))
            connection.execute(
                "alter default privileges in schema public"
                " grant all on functions to anon, authenticated, service_role"
            )
            for migration in PAGING_FUNCTIONS:
                connection.execute((migrations.folder("postgres") / "functions" / migration).read_text())
    return postgres_database


@pytest.mark.postgres
@pytest.mark.parametrize("function", list(chain.from_iterable(PAGING_FUNCTIONS.values())))
def test_only_the_service_role_may_execute_the_paging_functions(paging_grants_database, function):
    with psycopg.connect(paging_grants_database, autocommit=True) as connection:
        may = connection.execute(
            "select role, has_function_privilege(role, %s, 'execute')"
            " from unnest(array['anon', 'authenticated', 'service_role']) as role",
            (function,),
        ).fetchall()
        definer, config = connection.execute(
            "select prosecdef, proconfig from pg_proc where oid = %s::regprocedure", (function,)
        ).fetchone()
    assert dict(may) == {"anon": False, "authenticated": False, "service_role": True}
    assert (definer, 'search_path=""' in config) == (False, True)


@pytest.mark.postgres
@pytest.mark.parametrize("role", ["anon", "authenticated"])
@pytest.mark.parametrize(
    ("read", "function"),
    [
        (lambda s: s.ad_aggregates(None, date(2026, 1, 2)), "genome_ad_aggregates"),
        (lambda s: s.ad_elements(None), "genome_ad_element_groups"),
        (lambda s: s.known_ad_ids(["ad-00001"]), "genome_known_ad_ids"),
    ],
    ids=["aggregates", "elements", "known-ad-ids"],
)
def test_other_roles_are_refused_the_paging_functions_over_rest(paging_grants_database, role, read, function):
    server = PostgrestOnPostgres(paging_grants_database, role=role)
    store = SupabaseStore(URL, SECRET, Settings(), transport=httpx.MockTransport(server))
    try:
        with pytest.raises(StoreError, match=f"permission denied for function {function}") as caught:
            read(store)
    finally:
        store.close()
        server.close()
    assert caught.value.code == "42501"
