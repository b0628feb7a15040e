"""Who acts in the dashboard: the signed-in operator (OIDC, `[auth]` configured) or a typed name (local mode).

AppTest seeds `st.user` and `st.secrets`, so sign-in states are driven here without a provider; the
real sign-in through an OIDC provider on loopback is tests/test_dashboard_signin_browser.py.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.auth import LOCAL_MODE_NOTICE, Operator, operator_from_claims
from genome.service import MAX_NAME_LENGTH
from tests import test_dashboard_apptest as apptest
from tests.test_dashboard_apptest import APP, PAGES, TIMEOUT, assert_clean, page_text
from tests.test_secrets import sent_to_browser

COOKIE_SECRET = "cookie-secret-never-shown-0123456789abcdef"
CLIENT_SECRET = "client-secret-never-shown-fedcba9876543210"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": COOKIE_SECRET,
    "client_id": "creative-genome",
    "client_secret": CLIENT_SECRET,
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
DANA = {"is_logged_in": True, "email": "dana@example.com", "name": "Dana Ops", "sub": "u-123"}


# --- fixtures -------------------------------------------------------------------------------------------
# the AppTest suite's fixtures: a demo workspace per session, a copy per test, caches cleared after each
demo_template = apptest.demo_template
demo_url = apptest.demo_url
workspace = apptest.workspace
fresh_caches = apptest.fresh_caches


def app(demo_url: str, auth: dict | None = None, user: dict | None = None) -> AppTest:
    """The dashboard with exactly these secrets (a developer's own secrets.toml cannot leak in) and user."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["GENOME_DATABASE_URL"] = demo_url
    if auth is not None:
        at.secrets["auth"] = auth
    if user is not None:
        at.user = user
    return at


def open_alerts(at: AppTest) -> AppTest:
    at.run()
    at.switch_page(PAGES["alerts"]).run()
    assert_clean(at)
    return at


def sidebar_text(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption") for e in at.sidebar.get(kind))


def act(at: AppTest, button: str, note: str = "Checked the feed") -> int:
    alert_id = at.selectbox(key="alerts_pick").value
    at.text_area(key="alerts_note").input(note)
    next(b for b in at.form_submit_button if b.label == button).click().run()
    assert_clean(at)
    return alert_id


# --- the identity an operator is recorded by --------------------------------------------------------------
@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": "dana@example.com", "name": "Dana", "sub": "u1"}, Operator("dana@example.com", "email")),
        ({"email": "  dana@example.com ", "sub": "u1"}, Operator("dana@example.com", "email")),
        ({"name": "Dana Ops", "sub": "u1"}, Operator("Dana Ops", "name")),
        ({"email": "", "name": "   ", "sub": "u1"}, Operator("u1", "sub")),
        ({"email": None, "name": 42, "sub": "u1"}, Operator("u1", "sub")),
        ({"email": "dana\u200b@example.com", "sub": "u1"}, Operator("u1", "sub")),  # zero-width twin
        ({"email": "dana@example.com\nroot", "sub": "u1"}, Operator("u1", "sub")),  # line break
        ({"name": "\u202eevil", "sub": "u1"}, Operator("u1", "sub")),  # bidirectional override
        ({"email": "\x1b[31mred", "sub": "u1"}, Operator("u1", "sub")),  # terminal escape
        ({"email": "a" * (MAX_NAME_LENGTH + 1), "sub": "u1"}, Operator("u1", "sub")),  # too long to store
    ],
)
def test_the_identity_is_email_else_name_else_sub_skipping_unusable_claims(claims, expected):
    assert operator_from_claims(claims) == expected


@pytest.mark.parametrize("claims", [{}, {"is_logged_in": True}, {"sub": "\u200b"}, {"email": "x\ty"}])
def test_no_usable_claim_gives_no_operator(claims):
    assert operator_from_claims(claims) is None


# --- local mode -------------------------------------------------------------------------------------------
def test_local_mode_says_names_are_not_verified_and_the_typed_name_is_recorded(demo_url, workspace):
    at = open_alerts(app(demo_url))
    assert LOCAL_MODE_NOTICE in sidebar_text(at)
    assert "Signed in as" not in sidebar_text(at)
    at.text_input(key="alerts_by").input("Dana Ops")
    alert_id = act(at, "Acknowledge")
    assert f"Alert #{alert_id} acknowledged by Dana Ops" in page_text(at)
    assert workspace.alerts().set_index("id").loc[alert_id, "acknowledged_by"] == "Dana Ops"


# --- sign-in configured -----------------------------------------------------------------------------------
def test_signed_out_visitors_see_only_the_sign_in_screen(demo_url):
    at = app(demo_url, auth=AUTH, user={"is_logged_in": False}).run()
    assert_clean(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert "Sign in with your organisation's account" in page_text(at)
    assert len(at.dataframe) == 0 and len(at.metric) == 0  # no workspace data
    assert LOCAL_MODE_NOTICE not in page_text(at) + sidebar_text(at)


def test_the_signed_in_identity_is_shown_and_a_sign_out_button_offered(demo_url):
    at = app(demo_url, auth=AUTH, user=DANA).run()
    assert_clean(at)
    assert "Signed in as **dana@example\\.com**" in sidebar_text(at)
    assert LOCAL_MODE_NOTICE not in sidebar_text(at)
    assert at.sidebar.button(key="auth_sign_out").label == "Sign out"


@pytest.mark.parametrize(("button", "status", "by_column"), [
    ("Acknowledge", "acknowledged", "acknowledged_by"),
    ("Resolve", "resolved", "resolved_by"),
])  # fmt: skip
def test_signed_in_operators_act_in_their_own_name_with_no_name_to_type(
    demo_url, workspace, button, status, by_column
):
    at = open_alerts(app(demo_url, auth=AUTH, user=DANA))
    assert len(at.text_input) == 0  # nobody can type someone else's name
    assert "Acting as **dana@example\\.com** (signed in)" in [m.value for m in at.markdown]
    alert_id = act(at, button)
    row = workspace.alerts().set_index("id").loc[alert_id]
    assert (row["status"], row[by_column]) == (status, "dana@example.com")
    assert f"Alert #{alert_id} {status} by dana@example.com" in page_text(at)
    assert "operator_name" not in at.session_state  # local mode's remembered name is not touched


def test_a_tainted_email_claim_falls_back_to_the_subject(demo_url, workspace):
    user = {**DANA, "email": "dana\u200b@example.com", "name": "Dana\nOps"}
    at = open_alerts(app(demo_url, auth=AUTH, user=user))
    alert_id = act(at, "Acknowledge")
    assert workspace.alerts().set_index("id").loc[alert_id, "acknowledged_by"] == "u-123"


def test_a_sign_in_without_a_usable_identity_is_stopped_with_a_sign_out(demo_url):
    at = app(demo_url, auth=AUTH, user={"is_logged_in": True, "sub": "\u200b"}).run()
    assert_clean(at)
    assert "no usable email, name or subject" in at.error[0].value
    assert [b.label for b in at.button] == ["Sign out"]
    assert len(at.dataframe) == 0


def test_an_incomplete_auth_section_stops_the_app_instead_of_falling_back_to_local_mode(demo_url):
    partial = {
        key: value for key, value in AUTH.items() if key not in ("client_secret", "server_metadata_url")
    }
    at = app(demo_url, auth={**partial, "client_id": " "}, user={"is_logged_in": False}).run()
    assert_clean(at)
    message = at.error[0].value
    assert "`client_id`, `client_secret`, `server_metadata_url`" in message
    assert COOKIE_SECRET not in message and "creative-genome" not in message
    assert len(at.button) == 0 and len(at.text_input) == 0


def test_signing_out_returns_to_the_sign_in_screen(demo_url):
    at = app(demo_url, auth=AUTH, user=dict(DANA)).run()
    at.sidebar.button(key="auth_sign_out").click().run()
    at.run()
    assert_clean(at)
    assert [b.label for b in at.button] == ["Sign in"]


@pytest.mark.parametrize("page", list(PAGES))
def test_no_page_sends_the_sign_in_secrets_to_the_browser(demo_url, page):
    at = app(demo_url, auth=AUTH, user=DANA).run()
    if page != "overview":
        at.switch_page(PAGES[page]).run()
    assert_clean(at)
    sent = sent_to_browser(at)  # every element and block as serialised protobuf
    assert COOKIE_SECRET.encode() not in sent and CLIENT_SECRET.encode() not in sent
    assert b"dana@example" in sent  # the walk does see the sidebar
