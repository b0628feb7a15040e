"""The Alerts page's workflow in headless Chromium (issue 15): after Acknowledge the picker shows the new
status and the note is empty, and the details dialog reads in words and minutes, with the alert's history.

Reuses the browser suite's server, Chromium and page helpers (tests/test_dashboard_browser.py) on a
demo workspace of its own, since these tests write to it.
"""

from __future__ import annotations

import re

import pytest

from tests import test_dashboard_browser as suite
from tests.test_dashboard_browser import assert_no_exception, open_page, settle

# the browser suite's fixtures: Chromium, a page per test, a demo workspace of this module and its server
browser, page, demo_url, workspace, server = (
    suite.browser,
    suite.page,
    suite.demo_url,
    suite.workspace,
    suite.server,
)

pytestmark = pytest.mark.browser

NOTE = "Checked the feed; supplier fixed it"


def picker_text(tab) -> str:
    """The label the action picker shows for its chosen alert."""
    return tab.locator("[class*=st-key-alerts_pick] input").input_value()


def test_after_acknowledging_the_note_is_empty_the_picker_shows_the_status_and_details_read_in_words(
    server, page, workspace
):
    open_page(page, server, "alerts")
    first = re.search(r"#(\d+) ·.*\((\w+)\)", picker_text(page))
    assert first, picker_text(page)
    alert_id, status = int(first.group(1)), first.group(2)
    assert status == "open"
    page.locator(".st-key-alerts_by input").fill("Dana Ops")
    page.locator(".st-key-alerts_note textarea").fill(NOTE)
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    page.get_by_text(f"Alert #{alert_id} acknowledged by Dana Ops").wait_for()
    settle(page)
    assert_no_exception(page)

    assert f"#{alert_id} ·" in picker_text(page) and "(acknowledged)" in picker_text(page)
    assert page.locator(".st-key-alerts_note textarea").input_value() == ""  # never reused by the next action
    assert page.locator(".st-key-alerts_by input").input_value() == "Dana Ops"  # the name is remembered
    stored = workspace.alerts().set_index("id").loc[alert_id]
    assert (stored["status"], stored["ack_note"]) == ("acknowledged", NOTE)
    assert_details_read_in_words(page, stored)


def assert_details_read_in_words(tab, alert) -> None:
    """The details dialog of the picked alert: fields in words, times to the minute in UTC, who
    acknowledged it with the note, the message, and the alert's history."""
    tab.get_by_role("button", name="Details").click()
    dialog = tab.get_by_role("dialog")
    dialog.get_by_text("Alert details").wait_for()
    dialog.get_by_text("History").wait_for()
    settle(tab)
    text = dialog.inner_text()
    for field in ("Brand", "Metric", "Severity", "Status", "Value", "Threshold", "First seen", "Last seen"):
        assert field in text
    assert alert["message"] in text
    assert f"{alert['first_seen_at']:%Y-%m-%d %H:%M} UTC" in text  # to the minute, in UTC
    assert f"by Dana Ops, {alert['acknowledged_at']:%Y-%m-%d %H:%M} UTC" in text and NOTE in text
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", text), "no microsecond timestamps"
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), "no snake_case field names"
    assert "None" not in text and "nan" not in text.split()
    tab.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert_no_exception(tab)


WATCH_JOB_JS = """(jobLabel) => {
    const tables = () => document.querySelectorAll('[data-testid="stDataFrame"]').length;
    window.__tablesBefore = tables();  // the brand table, and What changed's tables below it
    window.__jobSeen = false;
    window.__tableGoneDuringJob = false;
    const check = () => {
        if (!document.body.innerText.includes(jobLabel)) return;
        window.__jobSeen = true;
        if (tables() < window.__tablesBefore) window.__tableGoneDuringJob = true;
    };
    new MutationObserver(check).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def test_the_brand_table_stays_in_view_while_a_job_runs(server, page):
    """Issue 15: the Overview's brand table disappeared while Refresh all brands ran."""
    open_page(page, server, "")
    page.evaluate(WATCH_JOB_JS, "Refreshing every brand")
    page.get_by_role("button", name="Refresh all brands").click()
    page.get_by_text("Refresh finished for").wait_for()
    settle(page)
    assert page.evaluate("window.__jobSeen"), "the job's progress was never shown"
    assert not page.evaluate("window.__tableGoneDuringJob")
    assert page.evaluate("window.__tablesBefore") >= 1
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    assert_no_exception(page)


def test_as_configured_there_is_no_deploy_button_and_the_favicon_is_served_locally(browser, demo_url):
    """Issue 15: the Deploy toolbar showed, and the tab icon was a material icon fetched from the internet."""
    context = browser.new_context(viewport=suite.VIEWPORT)
    tab = context.new_page()
    tab.set_default_timeout(suite.WAIT_MS)
    requested: list[str] = []
    tab.on("request", lambda request: requested.append(request.url))
    try:
        with suite.running_dashboard(demo_url, suite.free_port(), toolbar=()) as base:  # the shipped config
            open_page(tab, base, "")
            assert tab.get_by_role("button", name="Deploy").count() == 0
            icons = tab.evaluate("[...document.querySelectorAll('link[rel~=icon]')].map(link => link.href)")
            assert icons and all(icon.startswith(f"{base}/media/") for icon in icons), icons
            assert all(url.startswith(base) for url in requested), "nothing is fetched from the internet"
    finally:
        context.close()
