"""Managing brands: `Genome.set_brand` and `Genome.import_brands` on every backend, the brands file's
rules, bad arguments, the Supabase request, and what a change of sharing does to the next refresh."""

from __future__ import annotations

import io
import json
from datetime import date

import pandas as pd
import psycopg
import pytest

from genome.brand_import import MAX_BRAND_NAME_LENGTH, brands_file, validate_brands
from genome.errors import GenomeError, ValidationError
from genome.service import Genome
from genome.settings import Settings
from genome.store import supabase_requests as rq
from genome.store.sqlite import SqliteStore
from genome.validation import MAX_ID_LENGTH
from support import wire
from tests.test_migrations import rpc
from tests.test_supabase_requests import FakePostgrest, sent, store_with

AS_OF = date(2026, 3, 20)
HEADER = "brand_id,name,organization_id,cross_brand_sharing\n"


@pytest.fixture
def g(store) -> Genome:
    return Genome(store, Settings())


def csv(text: str) -> io.StringIO:
    return io.StringIO(text)


def brand(g: Genome, brand_id: str) -> dict:
    """The stored brand as plain values (None for no organization)."""
    row = g.brands().set_index("id").loc[brand_id]
    organization = None if pd.isna(row["organization_id"]) else row["organization_id"]
    return {"name": row["name"], "organization_id": organization, "sharing": bool(row["cross_brand_sharing"])}


# --- set_brand -------------------------------------------------------------------------------------------
def test_set_brand_creates_a_brand_before_its_ads_arrive(g):
    created = g.set_brand("aurora", cross_brand_sharing=True)
    assert {k: created[k] for k in ("id", "name", "organization_id", "cross_brand_sharing", "status")} == {
        "id": "aurora",
        "name": "aurora",
        "organization_id": None,
        "cross_brand_sharing": True,
        "status": "created",
    }
    assert g.cold_start("aurora").matured_ads == 0  # a brand of the workspace, with no data yet


def test_set_brand_keeps_what_it_is_not_given(g):
    g.set_brand("aurora", name="Aurora Skincare", organization_id="org-1", cross_brand_sharing=True)
    changed = g.set_brand("aurora", cross_brand_sharing=False)
    assert changed["status"] == "updated"
    assert brand(g, "aurora") == {"name": "Aurora Skincare", "organization_id": "org-1", "sharing": False}


def test_empty_organization_removes_it_and_empty_name_gives_back_the_id(g):
    g.set_brand("aurora", name="Aurora", organization_id="org-1")
    g.set_brand("aurora", name="", organization_id="")
    assert brand(g, "aurora") == {"name": "aurora", "organization_id": None, "sharing": False}


def test_setting_the_same_values_again_changes_nothing(g):
    first = g.set_brand("aurora", name="Aurora", organization_id="org-1")
    again = g.set_brand("aurora", name="Aurora", organization_id="org-1")
    assert again["status"] == "unchanged"
    assert again["created_at"] == first["created_at"]


def test_text_is_trimmed(g):
    changed = g.set_brand("  aurora ", name=" Aurora  ", organization_id=" org-1 ")
    assert (changed["id"], changed["name"], changed["organization_id"]) == ("aurora", "Aurora", "org-1")


def test_importing_ads_later_keeps_the_brand_as_it_was_set(g):
    g.set_brand("aurora", name="Aurora", organization_id="org-1", cross_brand_sharing=True)
    g.import_ads(ads_csv("aurora", ["a1"]))
    assert brand(g, "aurora") == {"name": "Aurora", "organization_id": "org-1", "sharing": True}


# --- import_brands -------------------------------------------------------------------------------------
def test_import_brands_creates_and_updates_all_or_nothing(g):
    g.set_brand("aurora", name="Aurora")
    summary = g.import_brands(csv(HEADER + "aurora,Aurora Skincare,org-1,on\nbolt,Bolt,org-1,off\n"))
    assert list(summary.items()) == [
        ("inserted", 1),
        ("updated", 1),
        ("unchanged", 0),
    ]  # printed in this order
    assert brand(g, "aurora") == {"name": "Aurora Skincare", "organization_id": "org-1", "sharing": True}
    assert brand(g, "bolt") == {"name": "Bolt", "organization_id": "org-1", "sharing": False}
    again = g.import_brands(csv(HEADER + "aurora,Aurora Skincare,org-1,on\nbolt,Bolt,org-1,off\n"))
    assert again == {"inserted": 0, "updated": 0, "unchanged": 2}


def test_a_column_left_out_keeps_the_stored_values(g):
    g.set_brand("aurora", name="Aurora", organization_id="org-1", cross_brand_sharing=True)
    g.import_brands(csv("brand_id,cross_brand_sharing\naurora,no\nbolt,yes\n"))
    assert brand(g, "aurora") == {"name": "Aurora", "organization_id": "org-1", "sharing": False}
    assert brand(g, "bolt") == {"name": "bolt", "organization_id": None, "sharing": True}


def test_a_blank_cell_sets_the_default(g):
    g.set_brand("aurora", name="Aurora", organization_id="org-1", cross_brand_sharing=True)
    g.import_brands(csv(HEADER + "aurora,,,\n"))
    assert brand(g, "aurora") == {"name": "aurora", "organization_id": None, "sharing": False}


def test_a_file_with_one_bad_row_writes_nothing(g):
    g.set_brand("aurora", name="Aurora")
    with pytest.raises(ValidationError) as refused:
        g.import_brands(csv(HEADER + "aurora,Renamed,org-1,on\nbolt,Bolt,org-1,sometimes\n"))
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "cross_brand_sharing")]
    assert g.brands()["id"].tolist() == ["aurora"]
    assert brand(g, "aurora") == {"name": "Aurora", "organization_id": None, "sharing": False}


def test_the_brands_file_of_a_workspace_imports_back_unchanged(g):
    g.set_brand("aurora", name='Aurora, "the" skincare', organization_id="org-1", cross_brand_sharing=True)
    g.set_brand("bolt")
    exported = brands_file(g.brands())
    assert exported.splitlines()[0] == "brand_id,name,organization_id,cross_brand_sharing"
    assert g.import_brands(csv(exported)) == {"inserted": 0, "updated": 0, "unchanged": 2}


def test_a_data_frame_imports_like_a_file(g):
    frame = pd.DataFrame({"brand_id": ["aurora", "bolt"], "cross_brand_sharing": [True, False]})
    assert g.import_brands(frame) == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert brand(g, "aurora")["sharing"] and not brand(g, "bolt")["sharing"]


# --- what sharing does to the next refresh ---------------------------------------------------------------
def ads_csv(brand_id: str, ad_ids: list[str]) -> io.StringIO:
    rows = "".join(
        f'{ad},{brand_id},2026-03-01,approved,false,0.5,"{{""hook_type"": ""question""}}"\n' for ad in ad_ids
    )
    return csv("ad_id,brand_id,created_at,final_status,is_imported,pre_gen_score,element_tags\n" + rows)


def performance_csv(ad_ids: list[str]) -> io.StringIO:
    rows = "".join(f"{ad},2026-03-02,1000,20,2,10,30,SALES\n" for ad in ad_ids)
    return csv("ad_id,date,impressions,clicks,conversions,spend,revenue,campaign_objective\n" + rows)


@pytest.fixture
def lender_and_learner(g) -> Genome:
    """`lender` has matured ads with hook_type=question; `learner` has none; neither shares yet."""
    g.set_brand("learner", organization_id="org-1")
    g.import_ads(ads_csv("lender", ["l1", "l2", "l3"]))
    g.import_performance(performance_csv(["l1", "l2", "l3"]))
    g.refresh(as_of=AS_OF)
    return g


def learner_priors(g: Genome) -> list[tuple]:
    priors = g.priors("learner")
    return list(priors[["element_name", "element_value", "prior_source"]].itertuples(index=False, name=None))


def test_without_sharing_nothing_reaches_another_brand(lender_and_learner):
    assert learner_priors(lender_and_learner) == []


def test_turning_sharing_on_gives_another_brand_a_prior_at_the_next_refresh(lender_and_learner):
    g = lender_and_learner
    g.set_brand("lender", cross_brand_sharing=True)
    summary = g.refresh(as_of=AS_OF)
    assert "skipped" not in summary
    assert learner_priors(g) == [("hook_type", "question", "network")]
    assert g.priors("learner")["prior_alpha"].iloc[0] > 1


def test_joining_the_organization_makes_the_prior_an_organization_prior(lender_and_learner):
    g = lender_and_learner
    g.set_brand("lender", cross_brand_sharing=True)
    g.refresh(as_of=AS_OF)
    g.set_brand("lender", organization_id="org-1")
    assert "skipped" not in g.refresh(as_of=AS_OF)
    assert learner_priors(g) == [("hook_type", "question", "organization")]


def test_turning_sharing_off_withdraws_the_prior_at_the_next_refresh(lender_and_learner):
    g = lender_and_learner
    g.set_brand("lender", cross_brand_sharing=True)
    g.refresh(as_of=AS_OF)
    g.import_brands(csv("brand_id,cross_brand_sharing\nlender,off\n"))
    assert "skipped" not in g.refresh(as_of=AS_OF)
    assert learner_priors(g) == []


# --- the brands file, one rule per test --------------------------------------------------------------------
@pytest.mark.parametrize("word", ["on", "ON", "true", "True", "yes", "YES", "1", " on "])
def test_sharing_on_words(word):
    assert validate_brands(csv(f"brand_id,cross_brand_sharing\nb1,{word}\n"))[
        "cross_brand_sharing"
    ].tolist() == [True]


@pytest.mark.parametrize("word", ["off", "Off", "false", "FALSE", "no", "No", "0", ""])
def test_sharing_off_words(word):
    assert validate_brands(csv(f"brand_id,cross_brand_sharing\nb1,{word}\n"))[
        "cross_brand_sharing"
    ].tolist() == [False]


def test_columns_left_out_come_back_as_none():
    clean = validate_brands(csv("brand_id\nb1\n"))
    assert clean.to_dict("records") == [
        {"id": "b1", "name": None, "organization_id": None, "cross_brand_sharing": None}
    ]


ZERO_WIDTH = "\u200b"
BIDI = "\u202e"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("name\nAurora\n", [(0, "brand_id", "missing column")]),
        (HEADER.strip() + ",notes\nb1,,,,x\n", [(0, "notes", "unexpected column")]),
        (HEADER + ",Aurora,,\n", [(1, "brand_id", "empty")]),
        (HEADER + "b1,,,\nb1,,,\n", [(2, "brand_id", "brand_id repeats row 1")]),
        (HEADER + f"b{ZERO_WIDTH}1,,,\n", [(1, "brand_id", "zero-width character (U+200B)")]),
        (HEADER + f"b1,Aur{BIDI}ora,,\n", [(1, "name", "bidirectional override (U+202E)")]),
        (HEADER + 'b1,"two\nlines",,\n', [(1, "name", "control character or line break (U+000A)")]),
        (HEADER + "b1,,org\x1b[31m,\n", [(1, "organization_id", "control character")]),
        (HEADER + f"{'b' * (MAX_ID_LENGTH + 1)},,,\n", [(1, "brand_id", f"longer than {MAX_ID_LENGTH}")]),
        (HEADER + f"b1,{'n' * (MAX_BRAND_NAME_LENGTH + 1)},,\n", [(1, "name", "longer than")]),
        (HEADER + f"b1,,{'o' * (MAX_ID_LENGTH + 1)},\n", [(1, "organization_id", "longer than")]),
        (HEADER + "b1,,,maybe\n", [(1, "cross_brand_sharing", "'maybe' is not one of on/off")]),
        ("", [(0, "*", "the file is empty")]),
        (HEADER, [(0, "*", "no data rows")]),
        (HEADER + "b1,,,,\n", [(1, "*", "5 cells where the header has 4")]),
    ],
    ids=[
        "no brand_id column",
        "unexpected column",
        "empty id",
        "repeated id",
        "zero-width id",
        "bidi name",
        "line break in name",
        "escape in organization",
        "long id",
        "long name",
        "long organization",
        "unknown sharing word",
        "empty file",
        "header only",
        "ragged row",
    ],
)
def test_a_bad_brands_file_names_row_column_and_reason(body, expected):
    with pytest.raises(ValidationError) as refused:
        validate_brands(csv(body))
    found = [(p.row, p.column, p.reason) for p in refused.value.problems]
    assert [(row, column) for row, column, _ in found] == [(row, column) for row, column, _ in expected]
    assert all(part in reason for (_, _, reason), (_, _, part) in zip(found, expected, strict=True))


# --- bad arguments to set_brand, one case per test -------------------------------------------------------
@pytest.fixture
def sqlite_genome(sqlite_url) -> Genome:
    opened = Genome(SqliteStore(sqlite_url, Settings()), Settings())
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"brand_id": 7}, "brand id must be text"),
        ({"brand_id": None}, "brand id must be text"),
        ({"brand_id": "  "}, "brand id is required"),
        ({"brand_id": "a\nb"}, "brand id holds a control character or line break"),
        ({"brand_id": "b" * (MAX_ID_LENGTH + 1)}, f"brand id is longer than {MAX_ID_LENGTH}"),
        ({"brand_id": "b1", "name": 3}, "name must be text"),
        ({"brand_id": "b1", "name": f"A{ZERO_WIDTH}"}, "name holds a zero-width character"),
        ({"brand_id": "b1", "name": "n" * (MAX_BRAND_NAME_LENGTH + 1)}, "name is longer than"),
        ({"brand_id": "b1", "organization_id": f"o{BIDI}"}, "organization id holds a bidirectional"),
        ({"brand_id": "b1", "organization_id": "\ud800"}, "organization id holds invalid Unicode"),
        ({"brand_id": "b1", "cross_brand_sharing": "on"}, "cross_brand_sharing must be True, False or None"),
        ({"brand_id": "b1", "cross_brand_sharing": 1}, "cross_brand_sharing must be True, False or None"),
    ],
    ids=[
        "id not text",
        "id None",
        "id blank",
        "id with line break",
        "id too long",
        "name not text",
        "name zero-width",
        "name too long",
        "organization bidi",
        "organization surrogate",
        "sharing as text",
        "sharing as number",
    ],
)
def test_set_brand_refuses_bad_arguments_and_writes_nothing(sqlite_genome, arguments, message):
    brand_id = arguments.pop("brand_id")
    with pytest.raises(GenomeError, match=message):
        sqlite_genome.set_brand(brand_id, **arguments)
    assert sqlite_genome.brands().empty


def test_import_brands_refuses_what_is_not_a_file(sqlite_genome):
    with pytest.raises(GenomeError, match="expected a CSV path, a file object or a DataFrame"):
        sqlite_genome.import_brands(42)


# --- Supabase: the request, and its SQL on the real server -----------------------------------------------
KEEP_SHARING = pd.DataFrame(
    {"id": ["b1"], "name": ["Brand One"], "organization_id": [None], "cross_brand_sharing": [None]},
    dtype=object,
)


def test_supabase_sends_kept_values_as_null():
    call = rq.save_brands_call(KEEP_SHARING)
    assert (call.function, call.args) == (
        "genome_save_brands",
        {
            "p_brands": [
                {
                    "id": "b1",
                    "name": "Brand One",
                    "organization_id": None,
                    "cross_brand_sharing": None,
                    "created_at": None,
                }
            ]
        },
    )


def test_supabase_adapter_sends_exactly_the_built_call_and_returns_the_counts():
    counts = {"inserted": 0, "updated": 1, "unchanged": 0}
    fake = FakePostgrest({"rpc/genome_save_brands": counts})
    assert store_with(fake).save_brands(KEEP_SHARING) == counts
    assert [sent(r) for r in fake.requests] == [wire.wire_request(rq.save_brands_call(KEEP_SHARING))]


@pytest.mark.postgres
def test_the_supabase_payload_keeps_what_it_leaves_null_on_the_real_server(postgres_database):
    with psycopg.connect(postgres_database, autocommit=True) as connection:
        first = rpc(
            connection,
            "genome_save_brands",
            p_brands=[{"id": "b1", "name": "B", "organization_id": "org-1", "cross_brand_sharing": True}],
        )
        second = rpc(
            connection, "genome_save_brands", **json.loads(json.dumps(rq.save_brands_call(KEEP_SHARING).args))
        )
        stored = connection.execute(
            "select name, organization_id, cross_brand_sharing from public.brands"
        ).fetchall()
    assert (first, second) == (
        {"inserted": 1, "updated": 0, "unchanged": 0},
        {"inserted": 0, "updated": 1, "unchanged": 0},
    )
    assert stored == [("Brand One", "org-1", True)]


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "update public.brands set cross_brand_sharing = true",
        """select public.genome_save_brands('[{"id": "b1", "cross_brand_sharing": true}]'::jsonb)""",
    ],
    ids=["table update", "function"],
)
def test_a_signed_in_user_cannot_turn_sharing_on(postgres_database, statement):
    with psycopg.connect(postgres_database, autocommit=True) as connection:
        connection.execute("insert into public.brands (id, name) values ('b1', 'b1')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege), connection.transaction():
            connection.execute("set local role authenticated")
            connection.execute(statement)
        sharing = connection.execute("select cross_brand_sharing from public.brands").fetchone()[0]
    assert sharing is False
