"""The dashboard in headless Chromium: every page, dialogs, a fragment, downloads, and screenshots.

Starts `streamlit run dashboard/app.py` on a demo workspace in a temporary SQLite file, drives the
OS's Chromium (/usr/bin/chromium, never `playwright install`) and saves one screenshot per page to a
temporary folder, or to docs/img/ for the README with `--update-screenshots` (tests/conftest.py).
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import genome
from dashboard import formats

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_S = 60
VIEWPORT = {"width": 1440, "height": 900}
MAX_SHOT_HEIGHT = 3200
WAIT_MS = 60_000  # a page (or job) may take a while on a loaded 2-core machine
# url path -> (screenshot name, a text that appears once the page has rendered)
PAGES = {
    "": ("overview", "Open alerts"),
    "elements": ("elements", "Posterior history"),
    "exploration": ("exploration", "Priors in use"),
    "alerts": ("alerts", "Metric history"),
    "preview": ("preview", "Prompt context"),
    "data": ("data", "Job history"),
    "brands": ("brands", "Import a brands CSV"),
    "simulation": ("simulation", "Run simulation"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}: {server.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy within {START_TIMEOUT_S} s")


def demo_workspace(folder: Path) -> str:
    """URL of a new SQLite workspace in `folder` with the demo loaded."""
    url = f"sqlite:///{folder / 'genome.db'}"
    g = genome.open(url)
    g.load_demo()
    g.close()
    return url


@contextmanager
def running_dashboard(
    database_url: str,
    port: int,
    *options: str,
    toolbar: tuple[str, ...] = ("--client.toolbarMode", "minimal"),
) -> Iterator[str]:
    """The dashboard served by `streamlit run` on 127.0.0.1:`port` (extra command-line `options`; no
    toolbar for screenshots unless `toolbar=()` keeps .streamlit/config.toml's), healthy before its
    base URL is yielded, stopped afterwards."""
    env = {**os.environ, "GENOME_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         *toolbar, *options],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    return demo_workspace(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def workspace(demo_url):
    """The workspace the server shows, opened directly to compute what the pages should show."""
    g = genome.open(demo_url)
    yield g
    g.close()


@pytest.fixture(scope="module")
def server(demo_url) -> Iterator[str]:
    with running_dashboard(demo_url, free_port()) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (scripts/system-deps.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    yield tab
    context.close()


def open_page(tab, base: str, path: str) -> None:
    """Go to a page and wait until its script has finished rendering."""
    tab.goto(f"{base}/{path}")
    tab.get_by_text(PAGES[path][1], exact=False).first.wait_for()
    settle(tab)


SETTLED_JS = """() => {
    const busy = document.querySelector(
        '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stSkeleton"], [data-testid="stSpinner"]');
    const count = document.getElementsByTagName('*').length;
    const stable = !busy && window.__settleCount === count;
    window.__settleCount = count;
    return stable;
}"""


def settle(tab) -> None:
    """Wait until the script has finished and the page has stopped changing (two equal polls, no skeletons)."""
    tab.wait_for_function(SETTLED_JS, polling=500)


def assert_no_exception(tab) -> None:
    boxes = tab.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.all_inner_texts()


@pytest.mark.parametrize("path", list(PAGES), ids=[name for name, _ in PAGES.values()])
def test_every_page_renders_without_an_exception_and_is_screenshotted(server, page, path, screenshot_dir):
    open_page(page, server, path)
    if path == "simulation":  # show the page with results: a default study takes a few seconds
        page.get_by_role("button", name="Run simulation").click()
        page.get_by_text("At the horizon").wait_for()
        settle(page)
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 2
    assert_no_exception(page)
    # Streamlit scrolls inside its main block, so grow the window to the content for a whole-page shot.
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size(
        {"width": VIEWPORT["width"], "height": min(max(height, VIEWPORT["height"]), MAX_SHOT_HEIGHT)}
    )
    settle(page)
    shot = screenshot_dir / f"dashboard_{PAGES[path][0]}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 0


def test_alert_details_open_in_a_dialog(server, page, workspace):
    open_page(page, server, "alerts")
    details = page.get_by_role("button", name="Details")
    if details.count() == 0:
        pytest.skip("the demo workspace has no unresolved alert")
    details.first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Alert details").wait_for()
    alerts = workspace.alerts()
    messages = alerts.loc[alerts["status"] != "resolved", "message"].tolist()
    assert any(message in dialog.inner_text() for message in messages)
    assert "History" in dialog.inner_text()  # the alert's event history table follows
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert_no_exception(page)


def test_demo_confirmation_dialog_opens_and_closes_without_writing(server, page, workspace):
    jobs_before = len(workspace.job_runs(1000))
    open_page(page, server, "data")
    page.get_by_role("button", name="Load demo workspace…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Your own brands are kept").wait_for()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert len(workspace.job_runs(1000)) == jobs_before


def shown_seed(tab) -> int:
    return int(tab.get_by_text(re.compile(r"^Seed \d+$")).first.inner_text().split()[1])


def test_changing_an_element_in_the_fragment_rescores_it(server, page, workspace):
    open_page(page, server, "preview")
    seed = shown_seed(page)
    g = workspace
    brand_id = g.brands()["id"].iloc[0]
    recommendation = g.recommend(brand_id, seed=seed)
    dimension = next(iter(recommendation))
    page.locator('[data-testid="stSelectbox"]').filter(has_text=formats.title(dimension)).first.click()
    options = page.get_by_role("option")
    options.first.wait_for()
    chosen = options.nth(options.count() - 1).inner_text().strip()
    options.nth(options.count() - 1).click()
    expected = g.pre_gen_score(brand_id, {**recommendation, dimension: chosen}).score
    score = page.locator('[data-testid="stMetric"]').filter(has_text="Pre-generation score")
    score.get_by_text(f"{expected:.3f}", exact=True).wait_for()
    settle(page)
    assert shown_seed(page) == seed
    assert_no_exception(page)


def test_posteriors_download_is_the_brands_csv(server, page, workspace):
    open_page(page, server, "elements")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download all posteriors (CSV)").click()
    content = Path(download.value.path()).read_text()
    rows = list(csv.DictReader(io.StringIO(content)))
    g = workspace
    brand_id = g.brands()["id"].iloc[0]
    assert download.value.suggested_filename == f"posteriors-{brand_id}.csv"
    assert len(rows) == len(g.posteriors(brand_id))
    assert {"element_name", "element_value", "mean", "ci_low", "ci_high", "p_best", "label"} <= set(rows[0])


def test_context_download_is_the_exact_prompt_text(server, page, workspace):
    open_page(page, server, "preview")
    seed = shown_seed(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download text").click()
    g = workspace
    brand_id = g.brands()["id"].iloc[0]
    assert Path(download.value.path()).read_text() == g.performance_context(brand_id, seed=seed).to_prompt()
