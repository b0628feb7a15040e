"""The benchmark runs end to end at a tiny size (bench/run.py --quick); no timing is asserted.

One quick run per module (SQLite sizes, the per-row baseline, Postgres with the REST stand-in, the
dashboard pages); the tests check the result file's shape, that every figure is a sane non-negative
number, and the facts that do not depend on the clock: the baseline computes the same scores as
ours, and it issues one statement per ad and per element where the REST backend pages.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from bench import run
from bench.workload import build_workload
from genome.demo import ELEMENT_TAXONOMY

pytestmark = pytest.mark.postgres  # the quick run includes the Postgres and REST phases

SECONDS_KEYS = ("floor_s", "floor_scoped_s", "refresh_s", "no_new_data_s")
LATENCY_KEYS = ("recommend_ms", "pre_gen_score_ms", "performance_context_ms")


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> tuple[int, dict, Path]:
    out = tmp_path_factory.mktemp("bench")
    code = run.main(["--quick", "--out", str(out), "--img", str(out)])
    return code, json.loads((out / "bench.json").read_text()), out


def _sane(value: object) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    )


def test_the_quick_run_succeeds_without_errors(quick):
    code, results, _ = quick
    assert results["errors"] == []
    assert code == 0


def test_the_result_file_has_every_section(quick):
    _, results, _ = quick
    assert set(results) == {
        "meta",
        "micro",
        "sqlite",
        "baseline",
        "postgres",
        "dashboard",
        "ratios",
        "targets",
        "errors",
    }
    assert [entry["daily_rows"] for entry in results["sqlite"]] == list(run.QUICK.sizes)
    assert [entry["daily_rows"] for entry in results["baseline"]] == list(run.QUICK.baseline_sizes)
    assert [entry["daily_rows"] for entry in results["postgres"]] == list(run.QUICK.postgres_sizes)


@pytest.mark.parametrize("section", ["sqlite", "postgres"])
@pytest.mark.parametrize("key", [*SECONDS_KEYS, *LATENCY_KEYS, "peak_rss_mb", "start_rss_mb"])
def test_refresh_figures_are_non_negative_numbers(quick, section, key):
    _, results, _ = quick
    assert all(_sane(entry[key]) for entry in results[section])


def test_the_refresh_reads_exactly_the_generated_daily_rows(quick):
    _, results, _ = quick
    for entry in results["sqlite"]:
        workload = build_workload(entry["daily_rows"])
        assert (entry["ads"], entry["delivering_ads"]) == (len(workload.ads), workload.delivering_ads)
        assert entry["floor_ads"] == entry["rewarded_ads"] == workload.delivering_ads


@pytest.mark.parametrize("section", ["baseline", "postgres"])
def test_the_baseline_computes_the_same_scores_as_ours(quick, section):
    _, results, _ = quick
    (entry,) = results[section]
    assert entry["max_score_difference"] < 1e-9
    assert _sane(entry["baseline_s"])


def test_the_baseline_issues_one_statement_per_ad_reward_and_element(quick):
    _, results, _ = quick
    (entry,) = results["baseline"]
    ratio = next(r for r in results["ratios"] if r["daily_rows"] == entry["daily_rows"])
    assert entry["element_rows"] == run.TRACKED_PER_AD * entry["rewarded_ads"]
    assert entry["statements"] == 1 + entry["ads"] + entry["rewarded_ads"] + entry["element_rows"]
    assert ratio["reference_requests"] == entry["statements"] == results["postgres"][0]["baseline_statements"]


def test_the_rest_backend_pages_instead_of_one_request_per_row(quick):
    _, results, _ = quick
    (entry,) = results["postgres"]
    ads = entry["ads"]
    # one (brand, element, value) group per tracked value the brand uses: never more than the taxonomy
    groups = sum(len(values) for values in ELEMENT_TAXONOMY.values())
    # brands, stored scores, the job-history check, the apply call, and pages of aggregates and of
    # element groups (each + the short last page): nothing grows with daily rows or element rows
    assert entry["rest_requests"] == 4 + ads // 1000 + 1 + groups // 1000 + 1
    assert entry["rest_rewarded_ads"] == entry["rewarded_ads"]


def test_every_dashboard_page_renders_and_is_timed(quick):
    _, results, _ = quick
    dashboard = results["dashboard"]
    assert dashboard["page_errors"] == []
    assert set(dashboard["pages"]) == set(run.PAGES)
    assert all(_sane(page["cold_s"]) and _sane(page["warm_s"]) for page in dashboard["pages"].values())
    assert all(_sane(dashboard[key]) for key in ("refresh_all_s", "validate_all_s", *LATENCY_KEYS))


def test_prob_best_and_the_targets_are_reported(quick):
    _, results, _ = quick
    assert _sane(results["micro"]["prob_best_50_arms_10k_draws_ms"])
    assert all(target["met"] in (True, False) and _sane(target["measured"]) for target in results["targets"])


def test_the_csv_and_the_plot_are_written(quick):
    _, _, out = quick
    with (out / "bench.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows and set(rows[0]) == {"section", "daily_rows", "metric", "value"}
    assert all(_sane(float(row["value"])) for row in rows)
    assert (out / "scaling.html").stat().st_size > 0
