"""Template ranking (genome.ranking, Genome.rank_templates) and saving one generated ad at generation time
(Genome.save_generated_ad). Storage-backed tests run on every backend (`store_url`: SQLite and the
throwaway Postgres server)."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import genome
from genome import ranking
from genome.errors import GenomeError, Problem, StoreError, ValidationError
from genome.scoring import NEUTRAL_SCORE, NO_DATA_UNCERTAINTY, NOT_SCORED, NOT_TRACKED, SCORED, pre_gen_score
from genome.settings import Settings
from tests.factories import scores_frame

SETTINGS = Settings()
SCORES = scores_frame(
    [
        ("hook_type", "question", 40.0, 10.0, 48),  # mean 0.8
        ("hook_type", "statistic", 10.0, 40.0, 48),  # mean 0.2
        ("color_mode", "dark", 30.0, 30.0, 58),  # mean 0.5
        ("template_category", "lifestyle", 9.0, 1.0, 8),  # mean 0.9
        ("layout", "grid", 9.0, 1.0, 8),  # scored, but not a tracked element
    ]
)
CANDIDATES = pd.DataFrame(
    {
        "template_id": ["t-question", "t-statistic", "t-lifestyle", "t-unknown"],
        "base_score": [0.5, 0.9, 0.2, 0.6],
        "hook_type": ["question", "statistic", "", "never_seen"],
        "color_mode": ["dark", "dark", "", ""],
        "template_category": ["", "", "lifestyle", ""],
        "layout": ["grid", "", "", "grid"],
    }
)


def rank(candidates: pd.DataFrame = CANDIDATES, weight: float = ranking.SMART_SELECT_WEIGHT) -> pd.DataFrame:
    return ranking.rank_templates(ranking.validate_candidates(candidates), SCORES, weight, SETTINGS)


def tags_of(row: pd.Series) -> dict[str, str]:
    return {name: value for name, value in row.items() if name not in ("template_id", "base_score") and value}


# --- the ranking rule -------------------------------------------------------------------------------------
def test_mode_weights_are_the_reference_presets():
    assert ranking.SMART_SELECT_WEIGHT == ranking.ranking_weight("smart_select") == 0.3
    assert ranking.ROLL_THE_DICE_WEIGHT == ranking.ranking_weight("roll_the_dice") == 0.0
    assert ranking.ranking_weight("roll_the_dice", 0.75) == 0.75


@pytest.mark.parametrize("template", CANDIDATES["template_id"])
def test_performance_score_is_the_pre_generation_score_of_the_templates_elements(template):
    ranked = rank().set_index("template_id")
    row = CANDIDATES.set_index("template_id").loc[template]
    expected = pre_gen_score(SCORES, tags_of(row.drop("base_score")), SETTINGS)
    assert ranked.loc[template, "performance_score"] == expected.score
    assert ranked.loc[template, "uncertainty"] == expected.uncertainty
    assert ranked.loc[template, "known_elements"] == expected.known_elements
    assert ranked.loc[template, "evidence"] == expected.evidence
    assert ranked.loc[template, "breakdown"] == [
        {key: (None if isinstance(v, float) and math.isnan(v) else v) for key, v in vars(item).items()}
        for item in expected.breakdown
    ]


def test_score_blends_base_and_performance_and_sorts_best_first():
    ranked = rank()
    expected = 0.7 * ranked["base_score"] + 0.3 * ranked["performance_score"]
    np.testing.assert_allclose(ranked["score"], expected)
    assert ranked["score"].is_monotonic_decreasing
    assert ranked["rank"].tolist() == [1, 2, 3, 4]
    assert list(ranked.columns) == list(ranking.RANKING_COLUMNS)
    assert ranked.set_index("template_id").loc["t-question", "performance_score"] == pytest.approx(0.65)


def test_roll_the_dice_ignores_performance():
    ranked = rank(weight=ranking.ROLL_THE_DICE_WEIGHT)
    assert ranked["template_id"].tolist() == ["t-statistic", "t-unknown", "t-question", "t-lifestyle"]
    assert ranked["score"].tolist() == [0.9, 0.6, 0.5, 0.2]


def test_weight_one_ranks_by_performance_alone():
    ranked = rank(weight=1.0)
    assert ranked["template_id"].tolist() == ["t-lifestyle", "t-question", "t-unknown", "t-statistic"]
    assert ranked["score"].tolist() == ranked["performance_score"].tolist()


def test_untracked_and_unscored_elements_are_carried_but_do_not_count():
    ranked = rank().set_index("template_id")
    breakdown = {item["element_name"]: item for item in ranked.loc["t-unknown", "breakdown"]}
    assert (breakdown["hook_type"]["status"], breakdown["layout"]["status"]) == (NOT_SCORED, NOT_TRACKED)
    assert breakdown["layout"]["mean"] is None
    assert ranked.loc["t-unknown", "performance_score"] == NEUTRAL_SCORE
    assert ranked.loc["t-unknown", "uncertainty"] == NO_DATA_UNCERTAINTY
    assert ranked.loc["t-unknown", "evidence"] == "none"
    assert [item["status"] for item in ranked.loc["t-question", "breakdown"]] == [SCORED, SCORED, NOT_TRACKED]


@pytest.mark.parametrize("missing", ["column", "blank cells"])
def test_a_missing_base_score_is_neutral(missing):
    candidates = (
        CANDIDATES.drop(columns="base_score") if missing == "column" else CANDIDATES.assign(base_score="")
    )
    ranked = rank(candidates)
    assert (ranked["base_score"] == NEUTRAL_SCORE).all()
    assert ranked["template_id"].tolist() == ["t-lifestyle", "t-question", "t-unknown", "t-statistic"]


def test_ties_keep_the_candidates_order():
    candidates = pd.DataFrame(
        {"template_id": ["z", "a", "m"], "base_score": [0.4] * 3, "hook_type": ["x"] * 3}
    )
    assert rank(candidates)["template_id"].tolist() == ["z", "a", "m"]


def test_evidence_note_says_when_nothing_is_the_brands_own():
    none = rank(CANDIDATES[CANDIDATES["template_id"] == "t-unknown"])
    assert "neutral" in ranking.evidence_note(none)
    assert ranking.evidence_note(rank()) is None
    borrowed = rank().assign(evidence="borrowed")
    assert "borrowed" in ranking.evidence_note(borrowed)


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    bases=st.lists(st.floats(0, 1), min_size=1, max_size=12),
    weight=st.floats(0, 1),
    hooks=st.lists(st.sampled_from(["question", "statistic", "never_seen", ""]), min_size=12, max_size=12),
)
def test_scores_stay_between_base_and_performance(bases, weight, hooks):
    candidates = pd.DataFrame(
        {
            "template_id": [f"t{i}" for i in range(len(bases))],
            "base_score": bases,
            "hook_type": hooks[: len(bases)],
        }
    )
    ranked = rank(candidates, weight)
    low = np.minimum(ranked["base_score"], ranked["performance_score"])
    high = np.maximum(ranked["base_score"], ranked["performance_score"])
    assert ((ranked["score"] >= low - 1e-12) & (ranked["score"] <= high + 1e-12)).all()
    assert ranked["score"].is_monotonic_decreasing
    assert sorted(ranked["template_id"]) == sorted(candidates["template_id"])


# --- bad arguments and bad candidate files: row, column, reason ----------------------------------------
@pytest.mark.parametrize(
    ("mode", "weight"),
    [("best", None), ("smart_select", 1.5), ("smart_select", -0.1), ("smart_select", math.nan),
     ("smart_select", True), ("smart_select", "0.3")],
)  # fmt: skip
def test_bad_mode_or_weight_is_refused(mode, weight):
    with pytest.raises(GenomeError, match=r"mode must be|weight must be"):
        ranking.ranking_weight(mode, weight)


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        ranking.validate_candidates(io.StringIO(text))
    return caught.value.problems


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("base_score,hook_type\n0.5,question\n", Problem(0, "template_id", "missing column")),
        ("template_id,base_score\nt1,0.5\n", Problem(0, "*", "no element columns")),
        ("template_id,hook_type\n,question\n", Problem(1, "template_id", "empty")),
        ("template_id,hook_type\nt1,a\nt1,b\n", Problem(2, "template_id", "template_id repeats row 1")),
        ("template_id,base_score,hook_type\nt1,1.5,a\n", Problem(1, "base_score", "must be between 0 and 1")),
        ("template_id,base_score,hook_type\nt1,-0.1,a\n", Problem(1, "base_score", "negative")),
        ("template_id,base_score,hook_type\nt1,high,a\n", Problem(1, "base_score", "'high' is not a number")),
        ("template_id,hook_type\nt\u202e1,a\n", Problem(1, "template_id", "holds a bidirectional override")),
        ('template_id,hook_type\nt1,"two\nlines"\n', Problem(1, "hook_type", "holds a control character")),
        ("template_id,hook_type\n", Problem(0, "*", "the file has a header but no data rows")),
        ("", Problem(0, "*", "the file is empty")),
    ],
    ids=["no-template-id", "no-elements", "empty-id", "repeated-id", "base-above-1", "base-negative",
         "base-not-number", "bidi-id", "line-break-value", "no-rows", "empty-file"],
)  # fmt: skip
def test_bad_candidate_files_name_row_column_and_reason(text, problem):
    found = problems_of(text)
    assert any(
        (p.row, p.column) == (problem.row, problem.column) and p.reason.startswith(problem.reason)
        for p in found
    ), found


def test_every_problem_of_a_file_is_listed():
    found = problems_of("template_id,base_score,hook_type\nt1,2,a\nt1,x,b\n,0.5,c\n")
    assert [(p.row, p.column) for p in found] == [
        (1, "base_score"), (2, "template_id"), (2, "base_score"), (3, "template_id"),
    ]  # fmt: skip


# --- on every backend: the brand's own scores, or level 0 ------------------------------------------------
AS_OF = date(2026, 10, 20)
FIRST_DAY = date(2026, 10, 1)


def ads(brand_id: str, tags: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ad_id": [f"{brand_id}-{i}" for i in range(20)],
            "brand_id": brand_id,
            "created_at": FIRST_DAY.isoformat(),
            "final_status": "approved",
            "is_imported": False,
            "pre_gen_score": 0.5,
            "element_tags": [json.dumps(tags[i % len(tags)]) for i in range(20)],
        }
    )


def performance(ad_ids: pd.Series, clicks: np.ndarray) -> pd.DataFrame:
    """Five days of 200 impressions from FIRST_DAY: mature by AS_OF."""
    days = [(FIRST_DAY + timedelta(days=day)).isoformat() for day in range(5)]
    return pd.DataFrame(
        {
            "ad_id": np.repeat(ad_ids.to_numpy(), 5),
            "date": days * len(ad_ids),
            "impressions": 200,
            "clicks": np.repeat(clicks, 5),
            "conversions": 0,
            "spend": 2.0,
            "revenue": 0.0,
            "campaign_objective": "TRAFFIC",
        }
    )


@pytest.fixture
def workspace(store_url: str) -> Iterator[genome.Genome]:
    """`sharer` (shares its evidence, scored: question ads do well, story ads badly)."""
    g = genome.open(store_url, config={})
    g.set_brand("sharer", cross_brand_sharing=True)
    sharer = ads("sharer", [{"hook_type": "question", "color_mode": "dark"}, {"hook_type": "story"}])
    g.import_ads(sharer)
    g.import_performance(performance(sharer["ad_id"], np.tile([4, 0], 10)))
    g.refresh(as_of=AS_OF)
    yield g
    g.close()


TEMPLATES = pd.DataFrame(
    {
        "template_id": ["t-story", "t-question", "t-plain"],
        "base_score": [0.6, 0.55, 0.55],
        "hook_type": ["story", "question", ""],
        "color_mode": ["", "dark", ""],
    }
)


@pytest.mark.parametrize("brand_id", ["sharer", "never-seen-brand"])
def test_rank_templates_scores_like_pre_gen_score_for_known_and_never_seen_brands(workspace, brand_id):
    ranked = workspace.rank_templates(brand_id, TEMPLATES).set_index("template_id")
    for template, row in TEMPLATES.set_index("template_id").iterrows():  # three templates
        expected = workspace.pre_gen_score(brand_id, tags_of(row.drop("base_score")))
        assert ranked.loc[template, "performance_score"] == expected.score
        assert ranked.loc[template, "evidence"] == expected.evidence
    assert ranked.loc["t-question", "evidence"] == ("own" if brand_id == "sharer" else "borrowed")


def test_rank_templates_puts_what_worked_first_in_smart_select_and_not_when_rolling_the_dice(workspace):
    smart = workspace.rank_templates("sharer", TEMPLATES)
    dice = workspace.rank_templates("sharer", TEMPLATES, mode="roll_the_dice")
    assert smart["template_id"].tolist() == ["t-question", "t-plain", "t-story"]
    assert dice["template_id"].tolist() == ["t-story", "t-question", "t-plain"]  # a tie keeps the order
    assert (dice["weight"] == 0.0).all() and (smart["weight"] == 0.3).all()


def test_rank_templates_takes_files_and_records(workspace, tmp_path):
    path = tmp_path / "candidates.csv"
    TEMPLATES.to_csv(path, index=False)
    from_frame = workspace.rank_templates("sharer", TEMPLATES, weight=0.5)
    from_file = workspace.rank_templates("sharer", path, weight=0.5)
    from_records = workspace.rank_templates("sharer", TEMPLATES.to_dict("records"), weight=0.5)
    pd.testing.assert_frame_equal(from_file, from_frame)
    pd.testing.assert_frame_equal(from_records, from_frame)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"brand_id": ""}, "brand id is required"),
        ({"brand_id": "bad\u200bbrand"}, "brand id holds a zero-width character"),
        ({"mode": "best"}, "mode must be smart_select or roll_the_dice"),
        ({"weight": 3}, "weight must be a number from 0 to 1"),
        ({"candidates": 42}, "expected a CSV path, a file object or a DataFrame"),
    ],
    ids=["empty-brand", "zero-width-brand", "mode", "weight", "candidates-type"],
)
def test_rank_templates_refuses_bad_arguments(workspace, arguments, error):
    call = {"brand_id": "sharer", "candidates": TEMPLATES, **arguments}
    with pytest.raises(GenomeError, match=error):
        workspace.rank_templates(**call)


# --- saving one generated ad -----------------------------------------------------------------------------
CREATED = datetime(2026, 10, 19, 9, 30, tzinfo=UTC)


def stored_ad(g: genome.Genome, ad_id: str, brand_id: str) -> dict:
    ads = g.store.ad_aggregates([brand_id], datetime.now(UTC).date()).set_index("ad_id")
    elements = g.store.ad_elements([brand_id])
    own = elements[elements["ad_id"] == ad_id]
    return {
        **ads.loc[ad_id, ["final_status", "is_imported", "pre_gen_score"]].to_dict(),
        "created_at": pd.Timestamp(ads.loc[ad_id, "created_at"]).tz_localize(None),
        "elements": dict(zip(own["element_name"], own["element_value"], strict=True)),
    }


def test_save_generated_ad_inserts_then_is_idempotent_then_updates(workspace):
    tags = {"hook_type": "question", "color_mode": "dark", "layout": "grid"}
    first = workspace.save_generated_ad("gen-1", "sharer", tags, 0.62, created_at=CREATED)
    again = workspace.save_generated_ad("gen-1", "sharer", tags, 0.62, created_at=CREATED)
    assert (first["status"], again["status"]) == ("inserted", "unchanged")
    saved = stored_ad(workspace, "gen-1", "sharer")
    assert saved == {
        "final_status": "pending",
        "is_imported": False,
        "pre_gen_score": 0.62,
        "created_at": pd.Timestamp("2026-10-19 09:30"),
        "elements": {"hook_type": "question", "color_mode": "dark", "layout": "grid"},
    }
    changed = workspace.save_generated_ad(
        "gen-1", "sharer", {"hook_type": "story"}, 0.4, final_status="approved", created_at=CREATED
    )
    assert changed["status"] == "updated"
    saved = stored_ad(workspace, "gen-1", "sharer")
    assert (saved["final_status"], saved["pre_gen_score"], saved["elements"]) == (
        "approved", 0.4, {"hook_type": "story"},
    )  # fmt: skip


def test_save_generated_ad_for_a_new_brand_creates_it_and_keeps_an_unknown_score(workspace):
    result = workspace.save_generated_ad("gen-2", "brand-new", {"hook_type": "question"})
    assert result["status"] == "inserted"
    saved = stored_ad(workspace, "gen-2", "brand-new")
    assert math.isnan(saved["pre_gen_score"]) and saved["final_status"] == "pending"
    assert abs(saved["created_at"] - pd.Timestamp.now(tz="UTC").tz_localize(None)) < pd.Timedelta(minutes=5)
    assert "brand-new" in set(workspace.brands()["id"])


@pytest.mark.parametrize(
    ("arguments", "column", "reason"),
    [
        ({"pre_gen_score": 1.5}, "pre_gen_score", "must be between 0 and 1"),
        ({"final_status": "shipped"}, "final_status", "'shipped' is not one of"),
        ({"created_at": "yesterday"}, "created_at", "'yesterday' is not an ISO date"),
        ({"created_at": date(1999, 1, 1)}, "created_at", "before 2000-01-01"),
        ({"ad_id": "gen\n3"}, "ad_id", "holds a control character"),
        ({"element_tags": {"hook_type": "a\u200bb"}}, "element_tags", "element 'hook_type': the value holds"),
        ({"element_tags": {"hook_type": 3}}, "element_tags", "entry 'hook_type': 3"),
    ],
    ids=["score", "status", "date", "old-date", "ad-id", "zero-width-tag", "number-tag"],
)
def test_save_generated_ad_refuses_what_the_ads_import_refuses(workspace, arguments, column, reason):
    call = {"ad_id": "gen-3", "brand_id": "sharer", "element_tags": {"hook_type": "question"}, **arguments}
    with pytest.raises(ValidationError) as caught:
        workspace.save_generated_ad(**call)
    assert [(p.column, p.reason[: len(reason)]) for p in caught.value.problems] == [(column, reason)]
    assert "gen-3" not in workspace.store.known_ad_ids(["gen-3"])


def test_save_generated_ad_refuses_ids_that_are_not_text(workspace):
    with pytest.raises(GenomeError, match="ad id must be text"):
        workspace.save_generated_ad(17, "sharer", {"hook_type": "question"})


# --- storage that goes away: the generator's calls raise StoreError, nothing else --------------------------
GENERATOR_CALLS = {
    "recommend": lambda g: g.recommend("sharer", seed=1),
    "pre_gen_score": lambda g: g.pre_gen_score("sharer", {"hook_type": "question"}),
    "performance_context": lambda g: g.performance_context("sharer", seed=1),
    "rank_templates": lambda g: g.rank_templates("sharer", TEMPLATES),
    "save_generated_ad": lambda g: g.save_generated_ad("gen-9", "sharer", {"hook_type": "question"}),
}


@pytest.mark.postgres
@pytest.mark.parametrize("call", GENERATOR_CALLS, ids=str)
def test_generator_calls_raise_store_error_when_the_database_goes_away(postgres_url, postgres_database, call):
    import psycopg

    g = genome.open(postgres_database, config={"GENOME_DB_TIMEOUT_SECONDS": "2"})
    g.set_brand("sharer", cross_brand_sharing=True)
    name = postgres_database.rsplit("/", 1)[1]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'alter database "{name}" with allow_connections false')
        admin.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (name,))
    try:
        with pytest.raises(StoreError):
            GENERATOR_CALLS[call](g)
    finally:
        g.close()
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'alter database "{name}" with allow_connections true')


def test_asking_for_a_brand_never_seen_writes_nothing(workspace):
    before = workspace.brands()
    workspace.rank_templates("never-seen-brand", TEMPLATES)
    workspace.pre_gen_score("never-seen-brand", {"hook_type": "question"})
    workspace.performance_context("never-seen-brand", seed=1)
    pd.testing.assert_frame_equal(workspace.brands(), before)
