"""`python -m genome`: every command runs, data comes out as JSON, failures exit non-zero with one line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from genome.cli import main

ROOT = Path(__file__).parent.parent
AS_OF = "2026-11-20"


@pytest.fixture
def run(sqlite_url, capsys):
    """Run the CLI in-process on a fresh SQLite workspace: returns (exit code, stdout, stderr)."""

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(["--database", sqlite_url, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory) -> Path:
    """The demo workspace, loaded through the CLI once per module; each test gets a copy."""
    path = tmp_path_factory.mktemp("demo") / "genome.db"
    assert main(["--database", f"sqlite:///{path}", "demo", "--json"]) == 0
    return path


@pytest.fixture
def demo_run(run, demo_workspace, sqlite_url, capsys):
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{demo_workspace}{suffix}")
        if source.exists():
            shutil.copy(source, f"{sqlite_url.removeprefix('sqlite:///')}{suffix}")
    capsys.readouterr()
    return run


def test_demo_then_refresh_is_idempotent(demo_run):
    code, out, _ = demo_run("refresh", "--as-of", "2026-11-26", "--json")
    assert code == 0
    assert json.loads(out)["rewards_new"] == 0


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (("posteriors", "--brand", "aurora-skincare"), "p_best"),
        (("recommend", "--brand", "aurora-skincare", "--seed", "3"), "elements"),
        (("score", "--brand", "aurora-skincare", "--tags", '{"hook_type": "question"}'), "score"),
        (("context", "--brand", "aurora-skincare", "--seed", "3"), "cold_start_level"),
        (("cold-start", "--brand", "aurora-skincare"), "level"),
        (("alerts", "--status", "open"), "alert_type"),
        (("validate", "--as-of", AS_OF), "alerts_opened"),
        (("jobs", "--limit", "3"), "job_type"),
    ],
    ids=lambda value: value if isinstance(value, str) else value[0],
)
def test_data_commands_print_json(demo_run, args, key):
    code, out, err = demo_run(*args, "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert key in (data[0] if isinstance(data, list) else data)


def test_recommend_replays_its_seed(demo_run):
    first = demo_run("recommend", "--brand", "bolt-athletics", "--seed", "9", "--json")[1]
    assert first == demo_run("recommend", "--brand", "bolt-athletics", "--seed", "9", "--json")[1]


def test_context_prints_the_prompt_text(demo_run):
    code, out, _ = demo_run("context", "--brand", "cedar-home", "--seed", "1")
    assert code == 0
    assert out.startswith("PERFORMANCE CONTEXT")
    assert "correlational" in out


def test_ack_and_resolve(demo_run):
    alert_id = json.loads(demo_run("alerts", "--status", "open", "--json")[1])[0]["id"]
    code, out, _ = demo_run("ack", str(alert_id), "--by", "Ada", "--note", "on it", "--json")
    assert (code, json.loads(out)["status"]) == (0, "acknowledged")
    code, out, _ = demo_run("resolve", str(alert_id), "--by", "Ada", "--json")
    assert (code, json.loads(out)["status"]) == (0, "resolved")
    code, out, _ = demo_run("alert-events", str(alert_id), "--json")
    events = [(e["kind"], e["actor"], e["note"]) for e in json.loads(out)]
    assert (code, events[-2:]) == (0, [("acknowledged", "Ada", "on it"), ("resolved", "Ada", "")])
    code, out, _ = demo_run("alert-events", str(alert_id))
    assert code == 0 and "acknowledged" in out and "Ada" in out


def test_import_files(run, tmp_path):
    ads = tmp_path / "ads.csv"
    ads.write_text(
        "ad_id,brand_id,created_at,final_status,is_imported,pre_gen_score,hook_type\n"
        "a1,b1,2026-10-01,approved,false,0.5,question\n"
    )
    performance = tmp_path / "performance.csv"
    performance.write_text(
        "ad_id,date,impressions,clicks,conversions,spend,revenue,campaign_objective\n"
        "a1,2026-10-02,1000,20,1,10,30,SALES\n"
    )
    assert run("import-ads", str(ads), "--json")[0] == 0
    code, out, _ = run("import-performance", str(performance), "--json")
    assert (code, json.loads(out)["inserted"]) == (0, 1)


def test_import_performance_says_which_objectives_fell_back_and_counts_conversions_above_clicks(
    run, tmp_path
):
    ads = tmp_path / "ads.csv"
    ads.write_text(
        "ad_id,brand_id,created_at,final_status,is_imported,pre_gen_score,hook_type\n"
        "a1,b1,2026-10-01,approved,false,0.5,question\n"
    )
    performance = tmp_path / "performance.csv"
    performance.write_text(
        "ad_id,date,impressions,clicks,conversions,spend,revenue,campaign_objective\n"
        "a1,2026-10-02,1000,20,31,10,30,Branding\n"
        "a1,2026-10-03,1000,20,1,10,30,OUTCOME_SALES\n"
        "a1,2026-10-04,1000,20,25,10,30,Branding\n"
    )
    assert run("import-ads", str(ads))[0] == 0
    code, out, err = run("import-performance", str(performance))
    assert (code, err) == (0, "")
    assert "objective_fallbacks" not in out and "inserted" in out
    assert (
        "2 rows name a campaign objective the objectives table does not know, so they weigh as DEFAULT: "
        "'Branding' (2 rows)." in out
    )
    assert "2 rows count more conversions than clicks (view-through conversions)" in out
    performance.write_text(performance.read_text().replace("Branding", "REACH"))
    code, out, _ = run("import-performance", str(performance), "--json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["objective_fallbacks"], summary["conversions_above_clicks"]) == ({}, 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("posteriors", "--brand", "nobody"), "no brand 'nobody'"),
        (("score", "--brand", "nobody", "--tags", "{not json"), "--tags is not valid JSON"),
        (("import-ads", "/no/such/file.csv"), "no such file"),
        (("ack", "1", "--by", " "), "name is required"),
    ],
    ids=["unknown-brand", "bad-json", "missing-file", "blank-name"],
)
def test_failures_exit_1_with_one_line(run, args, message):
    code, out, err = run(*args)
    assert code == 1
    assert out == ""
    assert message in err
    assert err.count("\n") == 1


def test_invalid_csv_names_row_and_column(run, tmp_path):
    ads = tmp_path / "ads.csv"
    ads.write_text(
        "ad_id,brand_id,created_at,final_status,is_imported,pre_gen_score,element_tags\n"
        "a1,b1,2026-10-01,maybe,false,0.5,{}\n"
    )
    code, _, err = run("import-ads", str(ads))
    assert code == 1
    assert "row 1, column 'final_status'" in err


def test_bad_command_line_exits_2():
    result = subprocess.run(
        [sys.executable, "-m", "genome", "refresh", "--as-of", "someday"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "is not a date" in result.stderr


def test_migrate_on_sqlite_explains_there_is_nothing_to_do(run):
    code, out, _ = run("migrate")
    assert code == 0
    assert "SQLite needs no migrations" in out


def test_migrate_postgres(empty_postgres_database, capsys):
    assert main(["--database", empty_postgres_database, "migrate"]) == 0
    assert "applied 0001_baseline.sql" in capsys.readouterr().out
    assert main(["--database", empty_postgres_database, "migrate"]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_simulate_prints_a_table_and_writes_plots(run, tmp_path):
    code, out, err = run("simulate", "--seeds", "2", "--days", "20", "--plots", str(tmp_path), "--json")
    assert code == 0
    policies = {row["policy"] for row in json.loads(out)}
    assert {"uniform random", "genome (fractional)"} <= policies
    assert (tmp_path / "simulation_cumulative_regret.html").stat().st_size > 0
    assert "simulating… 100%" in err


# --- brands -------------------------------------------------------------------------------------------
def test_brand_set_prints_the_brand_after_the_change(run):
    code, out, err = run("brand", "set", "aurora", "--name", "Aurora Skincare", "--organization", "org-1")
    assert (code, err) == (0, "")
    assert out.splitlines()[:5] == [
        "brand         aurora",
        "name          Aurora Skincare",
        "organization  org-1",
        "sharing       off",
        "status        created",
    ]
    code, out, _ = run("brand", "set", "aurora", "--sharing", "on", "--organization", "", "--json")
    assert code == 0
    assert {k: v for k, v in json.loads(out).items() if k != "created_at"} == {
        "id": "aurora",
        "name": "Aurora Skincare",
        "organization_id": None,
        "cross_brand_sharing": True,
        "status": "updated",
    }


def test_brands_lists_name_organization_sharing_and_ads(run, tmp_path):
    assert run("brands")[1].startswith("No brands yet")
    ads = tmp_path / "ads.csv"
    ads.write_text(
        "ad_id,brand_id,created_at,final_status,is_imported,pre_gen_score,hook_type\n"
        "a1,bolt,2026-10-01,approved,false,0.5,question\n"
    )
    run("import-ads", str(ads))
    run("brand", "set", "aurora", "--name", "Aurora", "--organization", "org-1", "--sharing", "on")
    code, out, _ = run("brands")
    assert code == 0
    assert [line.split() for line in out.splitlines()] == [
        ["id", "name", "organization", "sharing", "ads"],
        ["aurora", "Aurora", "org-1", "on", "0"],
        ["bolt", "bolt", "-", "off", "1"],
    ]
    code, out, _ = run("brands", "--json")
    assert [(b["id"], b["cross_brand_sharing"], b["ads"]) for b in json.loads(out)] == [
        ("aurora", True, 0),
        ("bolt", False, 1),
    ]


def test_import_brands(run, tmp_path):
    brands = tmp_path / "brands.csv"
    brands.write_text("brand_id,name,organization_id,cross_brand_sharing\naurora,Aurora,org-1,YES\n")
    code, out, _ = run("import-brands", str(brands), "--json")
    assert (code, json.loads(out)) == (0, {"inserted": 1, "updated": 0, "unchanged": 0})
    assert json.loads(run("brands", "--json")[1])[0]["cross_brand_sharing"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("brand", "set", " "), "brand id is required"),
        (("brand", "set", "b1", "--name", "a\x1b[2Jb"), "name holds a control character"),
        (("import-brands", "/no/such/brands.csv"), "no such file"),
    ],
    ids=["blank-id", "escape-in-name", "missing-file"],
)
def test_brand_failures_exit_1_with_one_line(run, args, message):
    code, out, err = run(*args)
    assert (code, out) == (1, "")
    assert message in err
    assert err.count("\n") == 1


def test_a_bad_brands_file_names_row_and_column_and_writes_nothing(run, tmp_path):
    brands = tmp_path / "brands.csv"
    brands.write_text("brand_id,cross_brand_sharing\naurora,on\nbolt,sometimes\n")
    code, _, err = run("import-brands", str(brands))
    assert code == 1
    assert "row 2, column 'cross_brand_sharing'" in err
    assert json.loads(run("brands", "--json")[1]) == []


@pytest.mark.parametrize(
    "args",
    [("brand",), ("brand", "set"), ("brand", "set", "b1", "--sharing", "maybe"), ("brand", "rename", "b1")],
    ids=["no-action", "no-id", "bad-sharing", "unknown-action"],
)
def test_a_bad_brand_command_line_exits_2(run, args):
    with pytest.raises(SystemExit) as exited:
        run(*args)
    assert exited.value.code == 2


# --- the generator's calls: context for a brand never seen, template ranking --------------------------------
def test_context_for_a_brand_never_seen_prints_a_level_0_context(run):
    code, out, err = run("context", "--brand", "never-seen", "--seed", "1")
    assert (code, err) == (0, "")
    assert out.startswith("PERFORMANCE CONTEXT")
    code, out, err = run("context", "--brand", "never-seen", "--seed", "1", "--json")
    context = json.loads(out)
    assert (code, err, context["cold_start_level"], context["total_matured_ads"]) == (0, "", 0, 0)
    assert json.loads(run("brands", "--json")[1]) == []  # asking wrote nothing


CANDIDATES_CSV = (
    "template_id,base_score,template_category,hook_type,layout\n"
    "t-low,0.2,lifestyle,question,grid\n"
    "t-high,0.9,,statistic,\n"
    "t-mid,,minimal_text,,split\n"
)


@pytest.fixture
def candidates(tmp_path) -> Path:
    path = tmp_path / "candidates.csv"
    path.write_text(CANDIDATES_CSV)
    return path


def test_rank_prints_json_records_sorted_by_score(demo_run, candidates):
    code, out, err = demo_run("rank", "--brand", "aurora-skincare", "--candidates", str(candidates), "--json")
    assert (code, err) == (0, "")
    ranked = json.loads(out)
    assert [row["rank"] for row in ranked] == [1, 2, 3]
    assert [row["score"] for row in ranked] == sorted((row["score"] for row in ranked), reverse=True)
    assert {"template_id", "performance_score", "score", "base_score", "weight", "breakdown"} <= set(
        ranked[0]
    )
    low = next(row for row in ranked if row["template_id"] == "t-low")
    assert low["score"] == pytest.approx(0.7 * 0.2 + 0.3 * low["performance_score"])
    assert {item["element_name"]: item["status"] for item in low["breakdown"]}["layout"] == (
        "not a tracked element"
    )
    assert next(row for row in ranked if row["template_id"] == "t-mid")["base_score"] == 0.5


@pytest.mark.parametrize(("mode", "weight"), [("roll_the_dice", "0.0"), ("smart_select", "0.3")])
def test_rank_mode_and_weight_agree(demo_run, candidates, mode, weight):
    by_mode = demo_run(
        "rank", "--brand", "aurora-skincare", "--candidates", str(candidates), "--mode", mode, "--json"
    )
    by_weight = demo_run(
        "rank", "--brand", "aurora-skincare", "--candidates", str(candidates), "--weight", weight, "--json"
    )
    assert by_mode[0] == by_weight[0] == 0
    assert json.loads(by_mode[1]) == json.loads(by_weight[1])
    if mode == "roll_the_dice":
        assert [row["template_id"] for row in json.loads(by_mode[1])] == ["t-high", "t-mid", "t-low"]


def test_rank_prints_a_table_with_the_formula_and_the_evidence_note(run, candidates):
    code, out, err = run(
        "rank", "--brand", "never-seen", "--candidates", str(candidates), "--mode", "roll_the_dice"
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == [
        "rank",
        "template",
        "score",
        "base",
        "performance",
        "scored",
        "elements",
        "evidence",
    ]
    assert lines[1].split()[:4] == ["1", "t-high", "0.900", "0.900"]
    assert "score = 1.00 × base + 0.00 × performance (roll_the_dice)" in out
    assert "note: No evidence for these element values yet" in out


def test_rank_shows_hostile_ids_without_control_characters(run, tmp_path):
    path = tmp_path / "candidates.csv"
    path.write_text("template_id,hook_type\n<b>t1</b>,question\n")
    code, out, _ = run("rank", "--brand", "b1", "--candidates", str(path))
    assert code == 0 and "<b>t1</b>" in out
    path.write_text("template_id,hook_type\nt\x1b[31m1,question\n")
    code, out, err = run("rank", "--brand", "b1", "--candidates", str(path))
    assert (code, out) == (1, "")
    assert "\x1b" not in err and "row 1, column 'template_id': holds a control character" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--weight", "1.5"), "weight must be a number from 0 to 1"),
        (("--weight", "nan"), "weight must be a number from 0 to 1"),
        (("--candidates", "/no/such/candidates.csv"), "no such file"),
        (("--brand", "bad\u200bbrand"), "brand id holds a zero-width character"),
    ],
    ids=["weight-above-1", "weight-nan", "missing-file", "zero-width-brand"],
)
def test_rank_failures_exit_1_with_one_line(run, candidates, args, message):
    code, out, err = run("rank", "--brand", "b1", "--candidates", str(candidates), *args)
    assert (code, out) == (1, "")
    assert message in err
    assert err.count("\n") == 1


def test_rank_refuses_a_bad_candidates_file_with_row_column_and_reason(run, tmp_path):
    path = tmp_path / "candidates.csv"
    path.write_text("template_id,base_score,hook_type\nt1,1.5,question\nt1,0.5,story\n")
    code, out, err = run("rank", "--brand", "b1", "--candidates", str(path))
    assert (code, out) == (1, "")
    assert "row 1, column 'base_score': must be between 0 and 1" in err
    assert "row 2, column 'template_id': template_id repeats row 1" in err


@pytest.mark.parametrize(
    "args",
    [("--mode", "best"), ("--weight", "high"), ()],
    ids=["unknown-mode", "weight-not-a-number", "no-candidates"],
)
def test_a_bad_rank_command_line_exits_2(run, args):
    command = ("rank", "--brand", "b1", *(("--candidates", "c.csv") if args else ()), *args)
    with pytest.raises(SystemExit) as exited:
        run(*command)
    assert exited.value.code == 2
