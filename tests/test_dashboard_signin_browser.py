"""Signing in to the dashboard through a real OIDC provider on loopback, in headless Chromium.

Starts oidc-provider-mock on 127.0.0.1 (a free port, in a thread of this process) and the dashboard
with a temporary secrets.toml whose `[auth]` section points at it (`--secrets.files`, so the
checkout's .streamlit/ is neither read for secrets nor written). The browser signs in through the
provider's login form, acknowledges an alert, and signs out; the stored `acknowledged_by` is read
back with genome's API. Screenshots go to the test's temporary folder, never into the checkout.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator

import pytest
import werkzeug.serving

import genome
from tests.test_dashboard_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    WAIT_MS,
    assert_no_exception,
    demo_workspace,
    free_port,
    running_dashboard,
    settle,
)

pytestmark = pytest.mark.browser

SUBJECT = "u-dana"
EMAIL = "dana@example.com"
STOP_TIMEOUT_S = 10


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """oidc-provider-mock on 127.0.0.1 with one predefined operator; stopped (bounded) at the end."""
    from oidc_provider_mock import User, app

    users = [User(sub=SUBJECT, claims={"email": EMAIL, "name": "Dana Ops"})]
    server = werkzeug.serving.make_server("127.0.0.1", 0, app(user_claims=users), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(STOP_TIMEOUT_S)
        assert not thread.is_alive(), "the OIDC provider did not stop"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    return demo_workspace(tmp_path_factory.mktemp("signin"))


@pytest.fixture(scope="module")
def server(provider, demo_url, tmp_path_factory) -> Iterator[str]:
    """The dashboard with sign-in configured by a secrets.toml in a temporary folder."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    secrets_file = tmp_path_factory.mktemp("signin_secrets") / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{base}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "creative-genome"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    with running_dashboard(demo_url, port, "--secrets.files", str(secrets_file)) as served:
        yield served


@pytest.fixture
def page():
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (scripts/system-deps.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = browser.new_context(viewport=VIEWPORT).new_page()
        tab.set_default_timeout(WAIT_MS)
        yield tab
        browser.close()


def sign_in(tab, base: str) -> None:
    """From the dashboard's sign-in screen through the provider's login form and back, signed in."""
    tab.goto(base)
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_role("heading", name="Authorize Client").wait_for()  # the provider's page
    tab.get_by_role("button", name=SUBJECT).click()  # its one-click login for the predefined user
    tab.get_by_test_id("stSidebar").get_by_text(f"Signed in as {EMAIL}").wait_for()
    settle(tab)


def test_an_operator_signs_in_acknowledges_as_themselves_and_signs_out(server, page, demo_url, tmp_path):
    page.goto(server)
    page.get_by_role("button", name="Sign in").wait_for()
    assert page.get_by_text("Open alerts").count() == 0  # nothing of the workspace before sign-in
    page.screenshot(path=str(tmp_path / "sign_in.png"))

    sign_in(page, server)
    assert page.get_by_text("Local mode").count() == 0
    page.screenshot(path=str(tmp_path / "signed_in.png"))

    page.goto(f"{server}/alerts")  # a new session: the identity cookie signs it in
    page.get_by_text(f"Acting as {EMAIL} (signed in)").wait_for()
    settle(page)
    assert page.get_by_label("Your name").count() == 0  # no name to type
    page.get_by_label("Note").fill("Checked the feed")
    page.screenshot(path=str(tmp_path / "alerts_signed_in.png"), full_page=True)
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    done = page.get_by_text(re.compile(rf"^Alert #\d+ acknowledged by {re.escape(EMAIL)}\.$"))
    done.wait_for()
    alert_id = int(re.search(r"#(\d+)", done.inner_text()).group(1))
    assert_no_exception(page)
    g = genome.open(demo_url)
    try:
        row = g.alerts().set_index("id").loc[alert_id]
    finally:
        g.close()
    assert (row["status"], row["acknowledged_by"], row["ack_note"]) == (
        "acknowledged",
        EMAIL,
        "Checked the feed",
    )

    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()  # the provider's end-session form
    page.get_by_role("button", name="Sign in").wait_for()
    page.goto(f"{server}/alerts")  # the identity cookie is gone: a fresh visit is signed out
    page.get_by_role("button", name="Sign in").wait_for()
    settle(page)
    assert page.get_by_text("Acting as").count() == 0
    assert page.get_by_text("Page not found").count() == 0
    assert_no_exception(page)
