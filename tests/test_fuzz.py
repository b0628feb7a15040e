"""Hypothesis fuzzing of the import boundary and of the pure core: no crash, no NaN stored, no partial write.

Imports: generated files of hostile and ordinary cells go through the facade into a real SQLite
database; each is either refused with ValidationError and the database is unchanged, or written whole
with every stored count finite and consistent. Core: generated ad aggregates (zero, huge and
inconsistent-looking counts, unknown objectives, missing dates) go through the refresh and
validation computes and the payload builders the stores use; every stored number is finite and in
range. Each example is a whole file (up to 40 rows) or a whole workspace (up to 20 brands, 150 ads),
so a default run tries about 3,000 file rows and 3,000 ads; GENOME_FUZZ_SCALE=10 runs ten times more.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import genome
from genome import jobs, sampling
from genome.errors import Problem, ValidationError
from genome.jobs import RefreshInputs, ValidateInputs
from genome.problems import MAX_PROBLEMS
from genome.service import Genome
from genome.settings import Settings
from genome.store import frames, payloads
from genome.vocabulary import ALERT_ACTION_COLUMNS, HEALTH_METRIC_COLUMNS
from tests.job_processes import job_counts

AS_OF = date(2026, 3, 1)
AD_COLUMNS = (
    "ad_id",
    "brand_id",
    "created_at",
    "final_status",
    "is_imported",
    "pre_gen_score",
    "element_tags",
)
TRACKED = ("hook_type", "color_mode", "template_category")
SCALE = int(os.environ.get("GENOME_FUZZ_SCALE", "1"))
SHARED = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

hostile_text = st.sampled_from(
    [
        "",
        " ",
        "x" * 600,
        "a\x00b",
        "\x1b[2J",
        "<script>x</script>",
        "=1+1",
        "nan",
        "NaN",
        "inf",
        "-1",
        "1e999",
    ]
) | st.text(max_size=6)
ad_ids = st.sampled_from(["a1", "a2", "a3", "p1", "p2"]) | hostile_text
dates = (
    st.sampled_from(
        [
            "2026-02-01",
            "2026-02-20",
            "2026-02-28T23:59:59Z",
            "2026-02-30",
            "2999-01-01",
            "1999-12-31",
            "01/02/2026",
        ]
    )
    | hostile_text
)
counts = st.sampled_from(["0", "1", "10", "1000", "25000", "-1", "1.5", str(2**60), "1e3"]) | hostile_text
money = st.sampled_from(["0", "0.01", "12.5", "1e300", "-3", "$4"]) | hostile_text
tags = (
    st.sampled_from(["{}", '{"hook_type": "q"}', "[]", '{"a": 1}', "{bad", '{"a": null}', '"text"'])
    | st.dictionaries(st.sampled_from([*TRACKED, "", "x" * 300]), hostile_text, max_size=3).map(json.dumps)
    | hostile_text
)
ad_rows = st.tuples(
    ad_ids,
    st.sampled_from(["b1", "b2"]) | hostile_text,
    dates,
    st.sampled_from(["approved", "Rejected", "pending", "generation_failed", "live"]) | hostile_text,
    st.sampled_from(["yes", "no", "TRUE", "0", "maybe"]) | hostile_text,
    st.sampled_from(["", "0", "0.5", "1", "1.5"]) | hostile_text,
    tags,
)
performance_rows = st.tuples(
    ad_ids,
    dates,
    counts,
    counts,
    counts,
    money,
    money,
    st.sampled_from(["", "SALES", "traffic", "DEFAULT", "BRANDING"]) | hostile_text,
)


def as_source(rows: list[tuple], columns: tuple[str, ...], through_csv: bool) -> pd.DataFrame | io.StringIO:
    frame = pd.DataFrame(rows, columns=list(columns), dtype=object)
    # every cell quoted, so a bare carriage return stays inside its cell as a CSV reader sees it
    return io.StringIO(frame.to_csv(index=False, quoting=csv.QUOTE_ALL)) if through_csv else frame


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory) -> Iterator[Genome]:
    g = genome.open(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'genome.db'}", config={})
    g.import_ads(
        io.StringIO(
            "ad_id,brand_id,created_at,final_status,is_imported,element_tags\np1,b1,2026-02-01,approved,no,{}\np2,b2,2026-02-01,rejected,yes,{}\n"
        )
    )
    yield g
    g.close()


def contents(g: Genome) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    return g.brands(), g.store.ad_aggregates(None, AS_OF), job_counts(g.store)


def import_or_refuse(g: Genome, call) -> list[Problem] | None:
    """None when written whole; on ValidationError, asserts that nothing changed and returns the problems."""
    before = contents(g)
    try:
        call()
    except ValidationError as error:
        after = contents(g)
        pd.testing.assert_frame_equal(after[0], before[0])
        pd.testing.assert_frame_equal(after[1], before[1])
        assert after[2] == before[2]
        return error.problems
    return None


def assert_stored_counts_are_sound(g: Genome) -> None:
    ads = g.store.ad_aggregates(None, date(2199, 12, 31))
    values = ads[["impressions", "clicks", "conversions", "spend", "revenue"]].to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()
    assert (ads["clicks"] <= ads["impressions"]).all()  # conversions may exceed clicks (view-through)
    assert ads["pre_gen_score"].dropna().between(0, 1).all()


def fuzz_import(g: Genome, importer, rows: list[tuple], columns: tuple[str, ...], through_csv: bool) -> None:
    """The file is written whole or refused untouched; then the rows no problem names are written whole."""
    problems = import_or_refuse(g, lambda: importer(as_source(rows, columns, through_csv)))
    if problems is not None:
        assert problems and all(0 <= problem.row <= len(rows) for problem in problems)
        assert {problem.column for problem in problems} <= {*columns, "*"}
        named = {problem.row for problem in problems}
        clean = [row for number, row in enumerate(rows, start=1) if number not in named]
        if 0 not in named and len(problems) < MAX_PROBLEMS and clean:
            importer(as_source(clean, columns, through_csv))
    assert_stored_counts_are_sound(g)


@settings(SHARED, max_examples=80 * SCALE)
@given(rows=st.lists(ad_rows, min_size=1, max_size=40), through_csv=st.booleans())
def test_fuzzed_ads_files_are_written_whole_or_not_at_all(fuzzed, rows, through_csv):
    fuzz_import(fuzzed, fuzzed.import_ads, rows, AD_COLUMNS, through_csv)


@settings(SHARED, max_examples=80 * SCALE)
@given(rows=st.lists(performance_rows, min_size=1, max_size=40), through_csv=st.booleans())
def test_fuzzed_performance_files_are_written_whole_or_not_at_all(fuzzed, rows, through_csv):
    fuzz_import(fuzzed, fuzzed.import_performance, rows, tuple(payloads.PERFORMANCE_PAYLOAD), through_csv)


# --- the pure core --------------------------------------------------------------------------------------
MAX_BRANDS = 20
ELEMENT_VALUES = st.sampled_from(["question", "statement", "bold", "<b>x</b>", "日本"])
brand_facts = st.tuples(st.booleans(), st.sampled_from(["org-1", "org-2", None]))
ad_facts = st.fixed_dictionaries(
    {
        "brand": st.integers(0, MAX_BRANDS - 1),
        "is_imported": st.booleans(),
        "created_days_ago": st.integers(0, 400),
        "final_status": st.sampled_from(["approved", "rejected", "flagged", "pending", "generation_failed"]),
        "pre_gen_score": st.none() | st.floats(0, 1),
        "impressions": st.sampled_from([0, 1, 499, 500, 10**6, 2**53]) | st.integers(0, 10**7),
        "click_share": st.sampled_from([0.0, 1.0]) | st.floats(0, 1),
        "conversion_share": st.sampled_from([0.0, 1.0]) | st.floats(0, 1),
        "spend": st.sampled_from([0.0, 1e-300, 1e300, 1.7e308]) | st.floats(0, 1e6),
        "revenue": st.sampled_from([0.0, 1e300, 1.7e308]) | st.floats(0, 1e7),
        "first_days_ago": st.none() | st.integers(0, 60),
        "delivery_days": st.integers(0, 40),
        "campaign_objective": st.sampled_from(["", "SALES", "TRAFFIC", "AWARENESS", "CONVERSIONS", "OTHER"]),
        "elements": st.dictionaries(st.sampled_from(TRACKED), ELEMENT_VALUES, max_size=3),
    }
)
core_settings = st.builds(
    Settings,
    posterior_mode=st.sampled_from(["fractional", "binary"]),
    decay_half_life_days=st.sampled_from([0.0, 0.5, 30.0]),
    imported_ad_weight=st.sampled_from([0.0, 0.3, 1.0]),
    min_impressions=st.sampled_from([0, 500]),
    baseline_min_ads=st.sampled_from([2, 20]),
    prior_shrinkage=st.sampled_from([0.0, 0.3, 1.0]),
    prob_best_draws=st.just(200),
    tracked_elements=st.just(TRACKED),
)


class Workspace(NamedTuple):
    """Generated data in the shapes the stores return (frames.coerce), and the same ads as files."""

    brands: pd.DataFrame
    ads: pd.DataFrame  # ad aggregates
    elements: pd.DataFrame
    ad_file: pd.DataFrame  # what import_ads takes
    performance_file: pd.DataFrame  # one daily row per delivered ad


def generated(brands: list[tuple], facts: list[dict]) -> Workspace:
    day = pd.Timestamp(AS_OF)
    brand_rows = [[f"b{i}", f"Brand {i}", org, sharing, day] for i, (sharing, org) in enumerate(brands)]
    records, elements, tags = [], [], []
    for number, fact in enumerate(facts):
        ad_id, brand = f"ad{number:04d}", f"b{fact['brand'] % len(brands)}"
        first = None if fact["first_days_ago"] is None else day - timedelta(days=fact["first_days_ago"])
        delivered = first is not None
        clicks = np.floor(fact["impressions"] * fact["click_share"]) if delivered else 0.0
        records.append(
            {
                "ad_id": ad_id,
                "brand_id": brand,
                "is_imported": fact["is_imported"],
                "created_at": day - timedelta(days=fact["created_days_ago"]),
                "final_status": fact["final_status"],
                "pre_gen_score": fact["pre_gen_score"],
                "impressions": float(fact["impressions"]) if delivered else 0.0,
                "clicks": clicks,
                "conversions": np.floor(clicks * fact["conversion_share"]),
                "spend": fact["spend"] if delivered else 0.0,
                "revenue": fact["revenue"] if delivered else 0.0,
                "first_date": first,
                "last_date": min(day, first + timedelta(days=fact["delivery_days"])) if delivered else None,
                "campaign_objective": fact["campaign_objective"],
            }
        )
        elements += [[ad_id, brand, name, value] for name, value in fact["elements"].items()]
        tags.append(json.dumps(fact["elements"]))
    ads = frames.coerce(pd.DataFrame(records), frames.AD_AGGREGATES)
    delivered_ads = ads.dropna(subset=["first_date"])
    return Workspace(
        brands=frames.coerce(brand_rows, frames.BRANDS),
        ads=ads,
        elements=frames.coerce(elements, frames.AD_ELEMENTS),
        ad_file=ads.assign(element_tags=tags)[list(AD_COLUMNS)],
        performance_file=delivered_ads.assign(date=delivered_ads["first_date"])[
            list(payloads.PERFORMANCE_PAYLOAD)
        ],
    )


@settings(SHARED, max_examples=40 * SCALE)
@given(
    brands=st.lists(brand_facts, min_size=1, max_size=MAX_BRANDS),
    facts=st.lists(ad_facts, min_size=1, max_size=150),
    config=core_settings,
)
def test_the_core_never_produces_a_number_the_stores_would_refuse(brands, facts, config):
    workspace = generated(brands, facts)
    ads = workspace.ads
    brand_ids = tuple(sorted(set(ads["brand_id"])))
    no_scores = frames.coerce([], frames.SCORES)
    refreshed = jobs.compute_refresh(
        RefreshInputs(AS_OF, brand_ids, ads, workspace.elements, workspace.brands, no_scores), config
    )
    rewards, scores = refreshed.rewards, refreshed.scores
    assert np.isfinite(rewards["reward_score"]).all() and rewards["reward_score"].between(0, 1).all()
    assert np.allclose(rewards[["ctr_weight", "conversion_weight", "roas_weight"]].sum(axis=1), 1.0)
    positive = scores[["alpha", "beta", "prior_alpha", "prior_beta"]].to_numpy()
    assert np.isfinite(positive).all() and (positive > 0).all()
    assert scores["mean_reward"].between(0, 1).all() and (scores["total_observations"] >= 0).all()
    json.loads(payloads.to_json_records(rewards, payloads.REWARD_PAYLOAD))  # no NaN or inf reaches JSON
    json.loads(payloads.to_json_records(scores, payloads.SCORE_PAYLOAD))

    alerts = frames.coerce([], frames.ALERTS)
    validated = jobs.compute_validation(ValidateInputs(AS_OF, brand_ids, ads, alerts), config)
    assert validated.summary["rewarded_ads"] == len(rewards)  # the same rewards a refresh at AS_OF makes
    json.loads(payloads.to_json_records(validated.metrics, HEALTH_METRIC_COLUMNS))
    json.loads(payloads.to_json_records(validated.actions, ALERT_ACTION_COLUMNS))
    assert np.isfinite(validated.actions["metric_value"].astype(float)).all()

    first_brand = scores[scores["brand_id"] == scores["brand_id"].min()]
    view = sampling.describe_posteriors(first_brand, config)
    assert np.allclose(view.groupby("element_name")["p_best"].sum(), 1.0)
    assert (view["ci_low"] <= view["mean"]).all() and (view["mean"] <= view["ci_high"]).all()


@settings(SHARED, max_examples=10 * SCALE)
@given(
    brands=st.lists(brand_facts, min_size=1, max_size=5), facts=st.lists(ad_facts, min_size=1, max_size=60)
)
def test_fuzzed_workspaces_import_refresh_and_validate_into_finite_stored_state(
    tmp_path_factory, brands, facts
):
    """Generated ads as files through the facade into SQLite, then the real refresh and validation."""
    workspace = generated(brands, facts)
    g = genome.open(f"sqlite:///{tmp_path_factory.mktemp('core') / 'genome.db'}", config={})
    try:
        g.import_ads(workspace.ad_file)
        if len(workspace.performance_file):
            import_or_refuse(g, lambda: g.import_performance(workspace.performance_file))
        assert_stored_counts_are_sound(g)
        g.refresh(as_of=AS_OF)
        g.validate(as_of=AS_OF)
        rewards, scores = g.store.rewards(), g.store.scores()
    finally:
        g.close()
    assert rewards["reward_score"].between(0, 1).all()
    assert np.isfinite(scores[["alpha", "beta", "mean_reward"]].to_numpy()).all()
