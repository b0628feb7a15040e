"""Every dashboard page and every button and form AppTest can drive, on real SQLite workspaces.

Each test gets its own copy of one demo workspace (loaded once per session) through
GENOME_DATABASE_URL, so tests never share state. Dialogs, fragments re-running alone and
downloads are driven in the browser suite (tests/test_dashboard_browser.py).
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import genome
from dashboard import glossary
from genome.jobs import ValidateOutputs

APP = "../dashboard/app.py"  # relative to this file (AppTest.from_file resolves it so)
TIMEOUT = 120  # seconds per run: loading the demo refreshes and validates several times

PAGES = {
    "overview": "views/overview.py",
    "elements": "views/elements.py",
    "exploration": "views/exploration.py",
    "alerts": "views/alerts.py",
    "preview": "views/preview.py",
    "data": "views/data.py",
    "simulation": "views/simulation.py",
}

BAD_ADS = (
    b"ad_id,brand_id,created_at,final_status,is_imported,pre_gen_score,element_tags\n"
    b'a1,acme,2026-11-01,approved,false,0.5,"{""hook_type"": ""question""}"\n'
    b'a2,acme,not-a-date,approved,false,0.5,"{""hook_type"": ""question""}"\n'
    b'a3,acme,2026-11-01,shipped,false,0.5,"{""hook_type"": ""question""}"\n'
)
EVIL_VALUE = "<img src=x onerror=alert(1)>"
GOOD_ADS = (
    b"ad_id,brand_id,created_at,final_status,is_imported,pre_gen_score,element_tags\n"
    b'x1,newbrand,2026-11-01,approved,false,0.5,"{""hook_type"": ""<b>loud</b>""}"\n'
    b'x2,newbrand,2026-11-02,rejected,false,0.4,"{""hook_type"": ""question""}"\n'
)


# --- fixtures -------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """One demo workspace per session; tests copy it."""
    path = tmp_path_factory.mktemp("demo") / "genome.db"
    g = genome.open(f"sqlite:///{path}")
    g.load_demo()
    g.close()
    return path


@pytest.fixture(autouse=True)
def fresh_caches():
    yield
    st.cache_data.clear()
    st.cache_resource.clear()  # closes the cached Genome (on_release)


@pytest.fixture
def demo_url(demo_template, tmp_path, monkeypatch) -> str:
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{demo_template}{suffix}")
        if source.exists():
            shutil.copy(source, tmp_path / f"genome.db{suffix}")
    url = f"sqlite:///{tmp_path / 'genome.db'}"
    monkeypatch.setenv("GENOME_DATABASE_URL", url)
    return url


@pytest.fixture
def empty_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("GENOME_DATABASE_URL", url)
    return url


@pytest.fixture
def workspace(demo_url):
    """The same workspace the app sees, opened directly to check what the app wrote."""
    g = genome.open(demo_url)
    yield g
    g.close()


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    if page != "overview":
        at.switch_page(PAGES[page]).run()
    return at


def page_text(at: AppTest) -> str:
    """Every piece of text on the page, for content checks."""
    parts = [
        *(
            e.value
            for kind in ("title", "header", "subheader", "markdown", "caption", "code")
            for e in at.get(kind)
        ),
        *(e.value for kind in ("info", "success", "error", "warning") for e in at.get(kind)),
        *(f"{m.label} {m.value}" for m in at.metric),
    ]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))  # as rendered: escapes removed


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


# --- every page renders real content on the demo ---------------------------------------------------------
@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("overview", ["Overview", "Brands", "Matured ads", "Open alerts"]),
        ("elements", ["Elements", "Labels.", "Correlational, not causal", "Posterior history"]),
        ("exploration", ["Exploration & cold start", "Cold-start level", "Level ", "Priors in use"]),
        ("alerts", ["Alerts", "Acknowledged", "Metric history"]),
        ("preview", ["Generation preview", "Seed", "PERFORMANCE CONTEXT", "Pre-generation score"]),
        ("data", ["Data", "Import CSV files", "Job history"]),
        ("simulation", ["Simulation", "run the simulation"]),
    ],
)
def test_every_page_renders_on_the_demo_workspace(demo_url, page, expected):
    at = open_page(page)
    assert_clean(at)
    text = page_text(at)
    for snippet in expected:
        assert snippet in text


def test_overview_lists_every_brand_of_the_workspace(demo_url, workspace):
    at = open_page("overview")
    table = at.dataframe[0].value
    assert sorted(table["brand_id"]) == sorted(workspace.brands()["id"])
    assert at.metric[0].value == f"{len(workspace.brands()):,}"


def test_elements_page_shows_the_brands_posteriors_for_the_chosen_dimension(demo_url, workspace):
    at = open_page("elements")
    brand_id = at.session_state["brand_id"]
    dimension = at.segmented_control(key="elements_dimension").value
    expected = workspace.posteriors(brand_id)
    expected = expected.loc[expected["element_name"] == dimension]
    shown = at.dataframe[0].value
    assert shown["element_value"].tolist() == expected["element_value"].tolist()
    assert shown["mean"].to_numpy() == pytest.approx(expected["mean"].to_numpy())
    assert len(at.get("plotly_chart")) == 3
    assert at.download_button(key="elements_download").label.startswith("Download")


def test_brand_selection_is_shared_across_pages(demo_url, workspace):
    brands = workspace.brands()
    other = brands["id"].iloc[-1]
    at = open_page("elements")
    at.selectbox(key="sidebar_brand").select(other).run()
    at.switch_page(PAGES["exploration"]).run()
    assert_clean(at)
    assert at.session_state["brand_id"] == other
    assert f"id `{other}`" in page_text(at)
    assert at.metric[1].value == f"{workspace.cold_start(other).matured_ads:,}"


# --- empty workspace and bad configuration ------------------------------------------------------------
def test_empty_workspace_offers_the_demo_and_the_data_page(empty_url):
    at = open_page("overview")
    assert_clean(at)
    assert "no brands yet" in page_text(at)
    assert [link.label for link in at.get("page_link")] == ["Import ads and performance"]
    at.button(key="overview_load_demo").click().run()
    assert_clean(at)
    assert "Demo workspace loaded" in page_text(at)
    assert len(at.dataframe[0].value) == len(genome.open(empty_url).brands())


@pytest.mark.parametrize("page", ["elements", "preview", "alerts"])
def test_brand_pages_on_an_empty_workspace_offer_the_demo(empty_url, page):
    at = open_page(page)
    assert_clean(at)
    assert "no brands yet" in page_text(at)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("GENOME_POSTERIOR_MODE", "sometimes", "GENOME_POSTERIOR_MODE"),
        ("GENOME_ALERT_WINNER_RATE", "0.01,0.05", "GENOME_ALERT_WINNER_RATE"),
        ("GENOME_DATABASE_URL", "mysql://nowhere/db", "Cannot open the workspace"),
        ("GENOME_DATABASE_URL", "sqlite:////no/such/folder/genome.db", "does not exist"),
    ],
)
def test_bad_configuration_stops_with_a_clear_message(demo_url, monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert_clean(at)
    assert expected in at.error[0].value
    assert len(at.dataframe) == 0


# --- jobs ---------------------------------------------------------------------------------------------
def test_refresh_all_shows_a_summary_and_records_the_job(demo_url, workspace):
    before = len(workspace.job_runs(1000))
    at = open_page("overview")
    at.button(key="overview_refresh").click().run()
    assert_clean(at)
    assert at.success[0].value.startswith("Refresh finished")
    jobs = workspace.job_runs(1000)
    assert len(jobs) == before + 1
    assert jobs["job_type"].iloc[0] == "refresh"


def test_run_validation_shows_a_summary_and_records_the_job(demo_url, workspace):
    before = len(workspace.job_runs(1000))
    at = open_page("alerts")
    at.button(key="alerts_validate").click().run()
    assert_clean(at)
    assert at.success[0].value.startswith("Validation finished")
    assert workspace.job_runs(1000)["job_type"].iloc[0] == "validate"
    assert len(workspace.job_runs(1000)) == before + 1


# --- alerts -----------------------------------------------------------------------------------------------
def unresolved(workspace) -> pd.DataFrame:
    alerts = workspace.alerts()
    return alerts.loc[alerts["status"] != "resolved"]


@pytest.mark.parametrize(("button", "status", "by_column", "note_column"), [
    ("Acknowledge", "acknowledged", "acknowledged_by", "ack_note"),
    ("Resolve", "resolved", "resolved_by", "resolution_note"),
])  # fmt: skip
def test_acknowledge_and_resolve_record_name_and_note(
    demo_url, workspace, button, status, by_column, note_column
):
    assert not unresolved(workspace).empty, "the demo workspace should have unresolved alerts"
    at = open_page("alerts")
    alert_id = at.selectbox(key="alerts_pick").value
    at.text_input(key="alerts_by").input("Dana Ops")
    at.text_area(key="alerts_note").input("Checked the feed")
    next(b for b in at.form_submit_button if b.label == button).click().run()
    assert_clean(at)
    assert f"Alert #{alert_id} {status}" in page_text(at)
    row = workspace.alerts().set_index("id").loc[alert_id]
    assert (row["status"], row[by_column], row[note_column]) == (status, "Dana Ops", "Checked the feed")
    assert at.session_state["operator_name"] == "Dana Ops"
    at.switch_page(PAGES["overview"]).run().switch_page(PAGES["alerts"]).run()
    if not at.get("text_input"):
        pytest.skip("no unresolved alert left to act on")
    assert at.text_input(key="alerts_by").value == "Dana Ops"


def test_acknowledge_without_a_name_is_refused_with_a_message(demo_url, workspace):
    at = open_page("alerts")
    alert_id = at.selectbox(key="alerts_pick").value
    at.text_input(key="alerts_by").input("   ")
    next(b for b in at.form_submit_button if b.label == "Acknowledge").click().run()
    assert_clean(at)
    assert "name is required" in at.error[0].value
    assert workspace.alerts().set_index("id").loc[alert_id, "status"] == "open"


def event_table(at: AppTest) -> pd.DataFrame:
    return next(frame.value for frame in at.dataframe if "event" in frame.value.columns)


def test_the_history_of_an_alert_shows_each_change_in_words(demo_url, workspace):
    at = open_page("alerts")
    alert_id = at.selectbox(key="alerts_pick").value
    at.text_input(key="alerts_by").input("Dana Ops")
    at.text_area(key="alerts_note").input("Checked the feed")
    next(b for b in at.form_submit_button if b.label == "Acknowledge").click().run()
    at.selectbox(key="alerts_history_pick").set_value(alert_id).run()
    assert_clean(at)
    assert "Alert history" in page_text(at)
    events = event_table(at)
    assert list(events.columns) == ["occurred_at", "event", "actor", "note", "severity", "value", "as_of"]
    assert events["event"].iloc[0] == "Opened" and events["actor"].iloc[0] == "system"
    last = events.iloc[-1]
    assert (last["event"], last["actor"], last["note"]) == ("Acknowledged", "Dana Ops", "Checked the feed")
    stored = workspace.alert_events(alert_id=alert_id)["occurred_at"].iloc[-1]
    assert pd.Timestamp(last["occurred_at"]).floor("s") == stored.floor("s")  # to the second


def validate_with(workspace, day: date, action: dict) -> None:
    """One validation of the workspace that applies exactly `action` (no metrics)."""
    outputs = ValidateOutputs(
        metrics=pd.DataFrame(columns=["brand_id", "metric_name", "metric_value", "warning", "critical"]),
        actions=pd.DataFrame([action]),
    )
    workspace.store.validate([action["brand_id"]], day, lambda _inputs: outputs)


def test_an_acknowledged_alert_that_escalates_shows_as_open_and_reopened(demo_url, workspace):
    latest = workspace.metric_history()["as_of"].max().date()
    breach = {
        "action": "open", "alert_id": None, "brand_id": "aurora-skincare", "alert_type": "winner_rate",
        "severity": "warning", "metric_value": 0.04, "threshold_value": 0.05,
        "message": "Winner rate 4.0% is below the warning threshold 5.0%.",
    }  # fmt: skip
    validate_with(workspace, latest + timedelta(days=1), breach)
    alert_id = int(workspace.alerts(status="open", brand_id="aurora-skincare")["id"].iloc[0])
    workspace.acknowledge(alert_id, "Dana Ops", "watching")
    worse = {
        **breach,
        "action": "update",
        "alert_id": alert_id,
        "severity": "critical",
        "metric_value": 0.01,
        "threshold_value": 0.02,
    }
    validate_with(workspace, latest + timedelta(days=2), worse)
    at = open_page("alerts")
    table = at.dataframe[0].value.set_index("id")
    assert (table.loc[alert_id, "status"], table.loc[alert_id, "severity"]) == ("open", "critical")
    at.selectbox(key="alerts_history_pick").set_value(alert_id).run()
    assert_clean(at)
    assert event_table(at)["event"].tolist() == [
        "Opened",
        "Acknowledged",
        "Escalated to critical",
        "Reopened (escalated after it was acknowledged)",
    ]


@pytest.mark.parametrize("severity", ["critical", "warning"])
def test_alert_filters_narrow_the_table(demo_url, workspace, severity):
    at = open_page("alerts")
    at.multiselect(key="alerts_severity").set_value([severity])
    at.multiselect(key="alerts_status").set_value(["open", "acknowledged", "resolved"]).run()
    assert_clean(at)
    alerts = workspace.alerts()
    expected = alerts.loc[alerts["severity"] == severity]
    if expected.empty:
        assert "No alert matches these filters" in page_text(at)
    else:
        shown = at.dataframe[0].value
        assert set(shown["severity"]) == {severity}
        assert len(shown) == min(len(expected), 50)


# --- generation preview ---------------------------------------------------------------------------------
def recommended(at: AppTest) -> dict[str, str]:
    table = at.dataframe[0].value
    return dict(zip(table["element"], table["recommended value"], strict=True))


def test_recommendation_shows_its_seed_and_replays_from_it(demo_url, workspace):
    at = open_page("preview")
    brand_id, seed = at.session_state["brand_id"], at.session_state["preview_seed"]
    first = recommended(at)
    assert f"Seed `{seed}`" in page_text(at)
    assert first == workspace.recommend(brand_id, seed=seed)
    replayed = workspace.recommend(brand_id, seed=seed)  # the prompt's order is the API's
    assert (
        f"Recommended for this ad: {', '.join(f'{k}={v}' for k, v in replayed.items())}" in at.code[0].value
    )

    at.button(key="preview_draw").click().run()
    assert at.session_state["preview_seed"] != seed
    at.number_input(key="preview_seed_input").set_value(seed)
    at.button(key="preview_use_seed").click().run()
    assert_clean(at)
    assert at.session_state["preview_seed"] == seed
    assert recommended(at) == first
    assert at.code[0].value == workspace.performance_context(brand_id, seed=seed).to_prompt()


def test_manual_choice_is_scored_like_the_api(demo_url, workspace):
    at = open_page("preview")
    brand_id, seed = at.session_state["brand_id"], at.session_state["preview_seed"]
    prefix = f"preview_pick_{brand_id}_{seed}_"  # each box's key ends with its element name
    picks = {s.key.removeprefix(prefix): s for s in at.selectbox if s.key and s.key.startswith(prefix)}
    name, box = next(iter(picks.items()))
    assert box.label == name.replace("_", " ").capitalize()  # a heading, not snake_case
    other = next(v for v in box.options if v != box.value)
    box.select(other).run()
    assert_clean(at)
    tags = {s.key.removeprefix(prefix): s.value for s in at.selectbox if s.key and s.key.startswith(prefix)}
    assert tags[name] == other
    expected = workspace.pre_gen_score(brand_id, tags)
    score = next(m for m in at.metric if m.label == "Pre-generation score")
    assert score.value == f"{expected.score:.3f}"
    assert at.session_state["preview_seed"] == seed


def unscored_brand(workspace) -> str:
    """A brand with ads imported after the last refresh: no scores, no matured ads."""
    ads = pd.DataFrame(
        {
            "ad_id": ["cold-1", "cold-2"],
            "brand_id": "cold-brand",
            "created_at": "2026-11-01",
            "final_status": "approved",
            "is_imported": False,
            "pre_gen_score": 0.5,
            "element_tags": [json.dumps({"hook_type": "cold_hook"}), json.dumps({"hook_type": "question"})],
        }
    )
    workspace.import_ads(ads)
    return "cold-brand"


def test_preview_of_an_unscored_brand_answers_at_level_0_and_says_it_is_borrowed(demo_url, workspace):
    brand_id = unscored_brand(workspace)
    at = open_page("preview")
    at.selectbox(key="sidebar_brand").select(brand_id).run()
    assert_clean(at)
    seed = at.session_state["preview_seed"]
    text = page_text(at)
    assert "cold-start level 0" in text
    assert "priors **borrowed**" in text or "priors borrowed" in text
    assert recommended(at) == workspace.recommend(brand_id, seed=seed)
    assert "evidence: borrowed" in at.code[0].value
    breakdown = at.dataframe[1].value
    assert "evidence" in breakdown.columns


@pytest.mark.parametrize("page", ["elements", "exploration"])
def test_elements_and_exploration_show_own_versus_borrowed(demo_url, workspace, page):
    brand_id = unscored_brand(workspace)
    at = open_page(page)
    at.selectbox(key="sidebar_brand").select(brand_id).run()
    assert_clean(at)
    table = next(frame.value for frame in at.dataframe if "evidence" in frame.value.columns)
    words = glossary.EVIDENCE_WORDS
    assert set(table["evidence"]) == {words["borrowed"], words["none"]}  # cold_hook: own tag, no ads matured
    if page == "elements":
        assert "No own results yet (cold-start level 0)" in page_text(at)
        assert set(table["label"]) == {"Learning"}
    else:
        assert f"at most {workspace.settings.prior_max_weight:g} pseudo-observations" in page_text(at)


# --- data -------------------------------------------------------------------------------------------------
def as_rendered(text: object) -> str:
    """Markdown-escaped text as the page shows it."""
    return re.sub(r"\\(.)", r"\1", str(text))


def problem_rows(at: AppTest) -> list[tuple[str, str]]:
    """(row, column) of the problems table (a static table of markdown-escaped text), as rendered."""
    problems = at.table[-1].value.reset_index()
    assert list(problems.columns) == ["Row", "Column", "Reason"]
    return [
        (as_rendered(r), as_rendered(c)) for r, c in zip(problems["Row"], problems["Column"], strict=True)
    ]


def test_importing_a_bad_ads_file_lists_row_errors_and_writes_nothing(demo_url, workspace):
    ads_before = workspace.overview()["ads"].sum()
    at = open_page("data")
    at.file_uploader(key="data_ads_file").upload("bad.csv", BAD_ADS, "text/csv").run()
    at.button(key="data_ads_import").click().run()
    assert_clean(at)
    assert "bad.csv was refused; nothing was written" in page_text(at)
    assert sorted(problem_rows(at)) == [("2", "created_at"), ("3", "final_status")]
    assert workspace.overview()["ads"].sum() == ads_before


def test_importing_good_ads_adds_the_brand_to_the_shared_selector(demo_url, workspace):
    at = open_page("data")
    at.file_uploader(key="data_ads_file").upload("ads.csv", GOOD_ADS, "text/csv").run()
    at.button(key="data_ads_import").click().run()
    assert_clean(at)
    assert "ads.csv imported" in page_text(at)
    assert "newbrand" in set(workspace.brands()["id"])
    assert "newbrand" in at.selectbox(key="sidebar_brand").options


def test_importing_performance_says_which_objectives_fell_back_and_counts_conversions_above_clicks(
    demo_url, workspace
):
    at = open_page("data")
    at.file_uploader(key="data_ads_file").upload("ads.csv", GOOD_ADS, "text/csv").run()
    at.button(key="data_ads_import").click().run()
    performance = (
        b"ad_id,date,impressions,clicks,conversions,spend,revenue,campaign_objective\n"
        b"x1,2026-11-02,1000,10,25,5.0,20.0,BRANDING\n"
        b"x2,2026-11-03,1000,10,2,5.0,20.0,OUTCOME_SALES\n"
        b"x2,2026-11-04,1000,10,2,5.0,20.0,Branding\n"
    )
    at.file_uploader(key="data_performance_file").upload("days.csv", performance, "text/csv").run()
    at.button(key="data_performance_import").click().run()
    assert_clean(at)
    notes = [info.value.replace("\\", "") for info in at.info]  # as written, markdown escapes removed
    assert any("2 rows name a campaign objective the objectives table does not know" in n for n in notes)
    assert any("'BRANDING' (1 row), 'Branding' (1 row)" in n for n in notes)
    assert any("1 row counts more conversions than clicks" in n for n in notes)


def evil_files(brand_id: str) -> tuple[bytes, bytes]:
    """One matured ad whose element value is markup, with ten days of performance."""
    today = date.today()
    tags = json.dumps({"hook_type": EVIL_VALUE}).replace('"', '""')
    ads = (
        "ad_id,brand_id,created_at,final_status,is_imported,pre_gen_score,element_tags\n"
        f'evil-1,{brand_id},{today - timedelta(days=20)},approved,false,0.5,"{tags}"\n'
    )
    days = [today - timedelta(days=n) for n in range(19, 9, -1)]
    performance = "ad_id,date,impressions,clicks,conversions,spend,revenue,campaign_objective\n" + "".join(
        f"evil-1,{day},200,4,1,5.0,20.0,CONVERSIONS\n" for day in days
    )
    return ads.encode(), performance.encode()


def test_element_values_render_as_text_never_as_html(demo_url, workspace):
    brand_id = workspace.brands()["id"].iloc[0]
    ads, performance = evil_files(brand_id)
    at = open_page("data")
    at.file_uploader(key="data_ads_file").upload("ads.csv", ads, "text/csv").run()
    at.button(key="data_ads_import").click().run()
    at.file_uploader(key="data_performance_file").upload("perf.csv", performance, "text/csv").run()
    at.button(key="data_performance_import").click().run()
    at.button(key="data_refresh").click().run()
    assert_clean(at)
    assert "perf.csv imported" in page_text(at)
    at.switch_page(PAGES["elements"]).run()
    at.segmented_control(key="elements_dimension").set_value("hook_type").run()
    assert_clean(at)
    assert EVIL_VALUE in at.dataframe[0].value["element_value"].tolist()  # shown verbatim, as data
    charts = [chart.proto.spec for chart in at.get("plotly_chart")]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in spec for spec in charts)
    assert not any("<img" in spec for spec in charts)
    assert "<img" not in page_text(at)


def test_job_history_shows_the_demo_jobs(demo_url, workspace):
    at = open_page("data")
    jobs = next(d.value for d in at.dataframe if "job" in d.value.columns)
    assert set(jobs["job"]) >= {"Refresh", "Validation"}
    assert len(jobs) == min(len(workspace.job_runs(500)), 25)
    refresh = jobs.loc[jobs["job"] == "Refresh", "summary"].iloc[0]
    assert re.fullmatch(r"5 brands in \d+\.\d\d s: .*new rewards?.*rescored", refresh), (
        refresh
    )  # a sentence, no JSON
    assert not jobs["summary"].str.contains("[{}_]", regex=True).any()


def test_settings_table_never_shows_the_secret(demo_url, monkeypatch):
    monkeypatch.setenv("SUPABASE_SECRET_KEY", "sb_secret_do_not_show")
    at = open_page("data")
    assert_clean(at)
    settings = next(d.value for d in at.dataframe if "setting" in d.value.columns)
    assert "sb_secret_do_not_show" not in settings.to_string()
    assert settings.set_index("setting").loc["SUPABASE_SECRET_KEY", "value"] == "***"


# --- paging big tables -----------------------------------------------------------------------------------
def paged_script(rows: int) -> None:
    import pandas as pd

    from dashboard import ui

    ui.paged_table(pd.DataFrame({"n": range(rows)}), key="t")


@pytest.mark.parametrize(
    ("rows", "page", "expected"), [(120, 1, (0, 49)), (120, 3, (100, 119)), (50, None, (0, 49))]
)
def test_big_tables_are_shown_a_page_at_a_time(rows, page, expected):
    at = AppTest.from_function(paged_script, args=(rows,)).run()
    if page is None:
        assert len(at.pagination) == 0
    else:
        assert at.pagination(key="t_page").num_pages == 3
        at.pagination(key="t_page").select(page).run()
    shown = at.dataframe[0].value["n"]
    assert (shown.iloc[0], shown.iloc[-1]) == expected


# --- simulation -------------------------------------------------------------------------------------------
def test_simulation_runs_and_plots_regret(empty_url):
    at = open_page("simulation")
    at.slider(key="simulation_days").set_value(14)
    at.slider(key="simulation_ads_per_day").set_value(3)
    at.slider(key="simulation_seeds").set_value(2)
    at.form_submit_button[0].click().run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 2
    summary = at.dataframe[0].value
    assert len(summary) == 4
    assert "14 days" in page_text(at)
