"""What operators read on the dashboard means one thing everywhere and reads in words (issue 15).

"Open alerts" is status open on Overview and Alerts alike; a critical alert shows the critical
threshold; an empty filter is a neutral state, not a success; a job says what it did in a sentence.
AppTest on copies of the AppTest suite's demo workspace; the alert workflow in a browser is
tests/test_dashboard_alerts_browser.py.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from dashboard import ui
from genome import monitoring
from genome.settings import Settings
from tests import test_dashboard_apptest as apptest
from tests.test_dashboard_apptest import PAGES, assert_clean, open_page, page_text

# the AppTest suite's fixtures: a demo workspace per session, a copy per test, caches cleared after each
demo_template = apptest.demo_template
demo_url = apptest.demo_url
workspace = apptest.workspace
fresh_caches = apptest.fresh_caches
empty_url = apptest.empty_url


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# --- one meaning of "open" --------------------------------------------------------------------------------
def test_open_alerts_mean_the_same_on_overview_and_alerts_after_acknowledging(demo_url, workspace):
    unresolved = workspace.alerts(status="unresolved")
    assert len(unresolved) >= 2, "the demo workspace should have unresolved alerts"
    for alert_id in unresolved["id"]:
        workspace.acknowledge(int(alert_id), "Dana Ops", "looking into it")
    at = open_page("overview")
    assert_clean(at)
    overview = metrics(at)
    assert (overview["Open alerts"], overview["Acknowledged alerts"]) == ("0", f"{len(unresolved):,}")
    table = at.dataframe[0].value
    assert table["open_alerts"].sum() == 0 and table["acknowledged_alerts"].sum() == len(unresolved)
    at.switch_page(PAGES["alerts"]).run()
    assert_clean(at)
    alerts = metrics(at)
    assert (alerts["Open"], alerts["Acknowledged"]) == (
        overview["Open alerts"],
        overview["Acknowledged alerts"],
    )


def test_open_alerts_per_brand_count_status_open_only(demo_url, workspace):
    unresolved = workspace.alerts(status="unresolved")
    workspace.acknowledge(int(unresolved["id"].iloc[0]), "Dana Ops", "")
    expected = workspace.alerts(status="open").groupby("brand_id").size()
    table = open_page("overview").dataframe[0].value.set_index("brand_id")
    assert table["open_alerts"].to_dict() == expected.reindex(table.index, fill_value=0).to_dict()
    assert table["acknowledged_alerts"].sum() == 1


# --- a critical row names and shows the critical threshold ----------------------------------------------
def test_a_critical_row_shows_the_critical_threshold(demo_url, workspace):
    at = open_page("alerts")
    assert_clean(at)
    table = at.dataframe[0].value
    critical = table.loc[table["severity"] == "critical"]
    assert not critical.empty, "the demo workspace has critical alerts"
    thresholds = Settings().alert_thresholds
    names = {label: name for name, label in monitoring.METRIC_LABELS.items()}
    for _, row in critical.iterrows():  # a handful of rows
        name = names[row["alert_type"]]
        shown = monitoring.format_values(pd.Series([thresholds[name].critical]), pd.Series([name])).iloc[0]
        assert row["threshold_value"] == shown
        assert f"critical threshold {shown}" in row["message"]
        assert not row["message"].endswith(f"warning threshold {row['threshold_value']}.")


def test_alert_values_read_like_the_metric_not_raw_floats(demo_url, workspace):
    table = open_page("alerts").dataframe[0].value
    assert table["metric_value"].str.fullmatch(r"\d+(\.\d)? %|\d+(\.\d)? days?|-?\d\.\d\d").all()
    assert "Approval rate" in set(table["alert_type"])  # metric names in words


# --- empty states ---------------------------------------------------------------------------------------
def test_no_matching_alert_is_a_neutral_state_not_a_success(demo_url, workspace):
    calm = next(b for b in workspace.brands()["id"] if workspace.alerts(brand_id=b).empty)
    at = open_page("alerts")
    at.selectbox(key="alerts_brand").select(calm).run()
    assert_clean(at)
    assert not at.success
    assert any("No alert matches these filters" in box.value and "Widen the" in box.value for box in at.info)


def test_the_empty_workspace_state_has_a_title(empty_url):
    at = open_page("overview")
    assert at.info[0].value.startswith("**No brands yet**")


# --- a job says what it did, in a sentence --------------------------------------------------------------
@pytest.mark.parametrize(
    ("page", "button", "pattern"),
    [
        ("overview", "overview_refresh", r"Refresh finished for 5 brands in \d+\.\d\d s: ([\d,]+ new rewards?.*rescored|nothing new since the last refresh \([\d,]+ rewards unchanged\))\."),
        ("alerts", "alerts_validate", r"Validation finished for 5 brands in \d+\.\d\d s: 20 health metrics; .*\."),
    ],
)  # fmt: skip
def test_a_job_notice_is_a_sentence_without_field_names_or_json(demo_url, page, button, pattern):
    at = open_page(page)
    at.button(key=button).click().run()
    assert_clean(at)
    notice = at.success[0].value
    assert re.fullmatch(pattern, notice), notice
    assert "_" not in notice and "{" not in notice
    assert not at.get("json") and not at.expander  # no JSON dump of the summary


@pytest.mark.parametrize(
    ("job_type", "summary", "expected"),
    [
        (
            "refresh",
            {"brand_ids": ["a", "b", "c"], "rewards_new": 120, "rewards_updated": 0, "rewards_unchanged": 2,
             "rewards_removed": 0, "elements_updated": 14, "duration_seconds": 0.137, "job_id": 9},
            "3 brands in 0.14 s: 120 new rewards, 2 unchanged; 14 element values rescored",
        ),
        (
            "refresh",
            {"brand_ids": ["a"], "rewards_unchanged": 1, "skipped": True, "duration_seconds": 0.004},
            "1 brand in 0.00 s: nothing new since the last refresh (1 reward unchanged)",
        ),
        (
            "validate",
            {"brand_ids": ["a", "b"], "metrics": 10, "alerts_opened": 1, "alerts_updated": 0,
             "alerts_reopened": 0, "alerts_resolved": 2, "duration_seconds": 12.34,
             "notifications": {"sent": 3, "failed": 0, "errors": []}},
            "2 brands in 12.3 s: 10 health metrics; 1 alert opened, 2 resolved; 3 notifications sent",
        ),
        ("validate", {"brand_ids": [], "metrics": 0}, "0 brands: 0 health metrics; no alert changed"),
        ("import_ads", {"inserted": 1204, "updated": 1, "unchanged": 0}, "1,204 ads added, 1 changed"),
        ("import_performance", {"inserted": 0, "updated": 0, "unchanged": 0}, "no daily performance rows in the file"),
        ("notify", '{"sent": 0, "failed": 2, "errors": ["timeout"]}', "2 notifications failed"),
        ("something_new", {"rewarded_ads": 420, "ratio": 0.5, "job_id": 3}, "Rewarded ads: 420; Ratio: 0.50"),
        ("refresh", None, ""),
        (
            "daily",
            {"refresh": {"brand_ids": ["a"], "rewards_unchanged": 4, "skipped": True},
             "validation": {"brand_ids": ["a"], "metrics": 5, "alerts_resolved": 1}},
            "refresh of 1 brand: nothing new since the last refresh (4 rewards unchanged); then validation of "
            "1 brand: 5 health metrics; 1 alert resolved",
        ),
    ],
)  # fmt: skip
def test_job_summaries_read_as_sentences(job_type, summary, expected):
    assert ui.job_summary_text(job_type, summary) == expected


# --- chrome ---------------------------------------------------------------------------------------------
def test_the_sidebar_names_the_brand_and_shows_its_id_below(demo_url, workspace):
    at = open_page("overview")
    picker = at.selectbox(key="sidebar_brand")
    names = workspace.brands().set_index("id")["name"]
    assert picker.options == names.tolist()  # names alone: nothing to truncate but the name
    chosen = picker.value
    assert f"id `{chosen}`" in "\n".join(c.value for c in at.sidebar.caption)


def test_the_toolbar_hides_deploy_and_the_favicon_ships_with_the_dashboard():
    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "viewer"
    app = (root / "dashboard" / "app.py").read_text()
    assert ":material/genetics:" not in app and "page_icon=str(FAVICON)" in app
    assert (root / "dashboard" / "favicon.png").read_bytes().startswith(b"\x89PNG")


def test_overview_rates_are_percentages_and_missing_values_are_not_none(demo_url, workspace):
    at = open_page("overview")
    table = at.dataframe[0].value.set_index("brand_id")
    overview = workspace.overview().set_index("brand_id")
    assert table["winner_rate"].to_numpy() == pytest.approx(
        overview.loc[table.index, "winner_rate"] * 100, nan_ok=True
    )
    assert "None" not in table["organization_id"].astype(str).tolist()
    assert "Brands" in page_text(at)


# --- the alert workflow resets after an action ----------------------------------------------------------
def test_after_an_action_the_note_is_empty_and_the_picker_names_the_new_status(demo_url, workspace):
    at = open_page("alerts")
    alert_id = at.selectbox(key="alerts_pick").value
    at.text_input(key="alerts_by").input("Dana Ops")
    at.text_area(key="alerts_note").input("Checked the feed")
    next(b for b in at.form_submit_button if b.label == "Acknowledge").click().run()
    assert_clean(at)
    assert at.text_area(key="alerts_note").value == ""
    picker = next(s for s in at.selectbox if s.key and s.key.startswith("alerts_pick_"))  # a new key
    assert picker.value == alert_id  # the same alert stays chosen
    label = next(option for option in picker.options if option.startswith(f"#{alert_id} ·"))
    assert label.endswith("(acknowledged)")
    assert workspace.alerts().set_index("id").loc[alert_id, "ack_note"] == "Checked the feed"
