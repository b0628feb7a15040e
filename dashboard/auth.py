"""Who is acting: the operator signed in through OIDC (`st.login`), or nobody in local mode.

Sign-in is on when `.streamlit/secrets.toml` has an `[auth]` section (README, "Signing in"). Then the
whole dashboard requires a signed-in operator with a usable identity, and alerts are acknowledged and
resolved in that identity's name. Without `[auth]` the dashboard runs in local mode: names are typed,
not verified. A present but incomplete `[auth]` section never falls back to local mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import streamlit as st

from dashboard import ui
from genome.service import MAX_NAME_LENGTH
from genome.text_rules import forbidden_reason

#: what the default provider needs (Streamlit's st.login reads these from `[auth]`)
REQUIRED_AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
#: the identity claims an operator is recorded by, in order of preference
IDENTITY_CLAIMS = ("email", "name", "sub")
LOCAL_MODE_NOTICE = (
    "Local mode: no sign-in is configured, so the names typed on the Alerts page are not verified. "
    "See the README, section “Signing in”, to require sign-in."
)


@dataclass(frozen=True)
class Operator:
    """A signed-in operator: `identity` is what alerts record as acknowledged or resolved by."""

    identity: str
    claim: str  # which claim it came from: email, name or sub


def operator_from_claims(claims: Mapping[str, Any]) -> Operator | None:
    """The first usable identity claim (email, else name, else sub), or None when none is usable.

    A claim is usable when it is non-empty text that genome.text_rules allows in a name and fits the
    store's name length. A claim holding a forbidden character is skipped, never cleaned: stripping
    a zero-width character would turn `ana\u200b@x.com` into someone else's `ana@x.com`.
    """
    for claim in IDENTITY_CLAIMS:
        value = claims.get(claim)
        if not isinstance(value, str):
            continue
        value = value.strip()
        if value and len(value) <= MAX_NAME_LENGTH and forbidden_reason(value) is None:
            return Operator(identity=value, claim=claim)
    return None


def _auth_section() -> Mapping[str, Any] | None:
    """The `[auth]` section of st.secrets, or None (also when there is no secrets file at all)."""
    try:
        section = st.secrets.to_dict().get("auth")
    except (FileNotFoundError, OSError, ValueError):  # StreamlitSecretNotFoundError is a FileNotFoundError
        return None
    return section if isinstance(section, Mapping) else None


def auth_configured() -> bool:
    """True when sign-in is on: the secrets hold an `[auth]` section (complete or not)."""
    return _auth_section() is not None


def missing_auth_keys() -> list[str]:
    """The required `[auth]` keys that are missing or empty (names only, never values)."""
    section = _auth_section() or {}
    return [key for key in REQUIRED_AUTH_KEYS if not str(section.get(key, "")).strip()]


def current_operator() -> Operator | None:
    """The signed-in operator, or None in local mode (no `[auth]` section).

    With sign-in configured, a visitor who is not signed in with a usable identity sees the sign-in
    screen and the script stops here, so no page can fall back to a typed name.
    """
    if not auth_configured():
        return None
    missing = missing_auth_keys()
    if missing:
        _stop(
            "Sign-in is configured but incomplete: the `[auth]` section of `.streamlit/secrets.toml` "
            f"lacks {', '.join(f'`{key}`' for key in missing)}. Add them (README, “Signing in”) and reload."
        )
    user = st.user.to_dict()
    if user.get("is_logged_in") is not True:
        _sign_in_screen()
    operator = operator_from_claims(user)
    if operator is None:
        _stop(
            "You are signed in, but your account gives no usable email, name or subject to record "
            "your actions under. Ask your identity-provider administrator to add an email address.",
            sign_out=True,
        )
    return operator


def sidebar(operator: Operator | None) -> None:
    """Who is acting, in the sidebar: the signed-in identity with a sign-out button, or the local-mode notice."""
    if operator is None:
        st.caption(LOCAL_MODE_NOTICE)
        return
    st.markdown(f"Signed in as **{ui.md(operator.identity)}**")
    if st.button("Sign out", key="auth_sign_out", icon=":material/logout:"):
        st.logout()


def _sign_in_screen() -> NoReturn:
    st.title("Creative Genome")
    st.markdown("Sign in with your organisation's account to use the dashboard.")
    if st.button("Sign in", type="primary", key="auth_sign_in", icon=":material/login:"):
        st.login()
    st.stop()


def _stop(message: str, sign_out: bool = False) -> NoReturn:
    st.error(message, icon=":material/lock:")
    if sign_out and st.button("Sign out", key="auth_sign_out"):
        st.logout()
    st.stop()
