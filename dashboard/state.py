"""Cached access to the workspace and the session state shared by the pages.

The Genome is opened once per configuration (`st.cache_resource`); every read goes through
`st.cache_data` with a short TTL (another process, e.g. a CLI refresh, may write meanwhile); every
write clears the read caches so the page shows the new data at once. Settings come from
`st.secrets` overlaid by the environment and are validated by `Settings.load`; a bad value stops
the page with a message naming the setting.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

import genome
from genome import coldstart, sampling
from genome.errors import GenomeError
from genome.service import ColdStart, Genome
from genome.settings import SETTING_NAMES, SETTINGS, Settings, SettingsError, shown_value

READ_TTL_SECONDS = 60  # reads may be this stale when another process writes to the workspace
JOB_HISTORY_LIMIT = 500
BRAND_KEY = "brand_id"  # the brand every page shows (shared across pages)
BRAND_WIDGET_KEY = "sidebar_brand"
OPERATOR_KEY = "operator_name"  # who acknowledges and resolves alerts, remembered for the session

Config = tuple[tuple[str, str], ...]
T = TypeVar("T")


# --- configuration -----------------------------------------------------------------------------------
def _secrets() -> Mapping[str, Any]:
    """Top-level st.secrets values; empty when there is no secrets file (st.secrets raises then)."""
    try:
        return st.secrets.to_dict()
    except (FileNotFoundError, OSError, ValueError):  # StreamlitSecretNotFoundError is a FileNotFoundError
        return {}


def config_mapping() -> dict[str, str]:
    """Every known setting that is set: st.secrets first, the environment overriding it."""
    secrets = _secrets()
    merged = {
        name: str(value)
        for name, value in secrets.items()
        if name in SETTING_NAMES and not isinstance(value, Mapping)
    }
    merged.update({name: os.environ[name] for name in SETTING_NAMES if name in os.environ})
    return merged


def settings_table(config: Mapping[str, str]) -> pd.DataFrame:
    """The settings in use (secrets masked by `shown_value`) with their defaults and help, for the Data page."""
    rows = [
        {
            "setting": s.name,
            "value": shown_value(s, config.get(s.name, s.default)),
            "default": shown_value(s, s.default),
            "set": s.name in config,
            "help": s.help,
        }
        for s in SETTINGS  # the fixed list of settings, not data
    ]
    return pd.DataFrame(rows)


# --- the cached workspace ----------------------------------------------------------------------------
@st.cache_resource(show_spinner="Opening the workspace…", on_release=lambda g: g.close())
def _open(config: Config) -> Genome:
    return genome.open(config=dict(config))


def _genome(config: Config) -> Genome:
    return _open(config)


@dataclass(frozen=True)
class Workspace:
    """The pages' view of the Genome: cached reads, and writes that clear the caches."""

    config: Config
    genome: Genome

    @property
    def settings(self) -> Settings:
        return self.genome.settings

    @property
    def url(self) -> str:
        return self.genome.url

    # reads (cached)
    def brands(self) -> pd.DataFrame:
        return _brands(self.config)

    def overview(self) -> pd.DataFrame:
        return _overview(self.config)

    def posteriors(self, brand_id: str) -> pd.DataFrame:
        return _posteriors(self.config, brand_id)

    def priors(self, brand_id: str) -> pd.DataFrame:
        return _priors(self.config, brand_id)

    def score_history(self, brand_id: str) -> pd.DataFrame:
        return _score_history(self.config, brand_id)

    def cold_start(self, brand_id: str) -> ColdStart:
        return _cold_start(self.config, brand_id)

    def alerts(self) -> pd.DataFrame:
        return _alerts(self.config)

    def alert_events(self, alert_id: int) -> pd.DataFrame:
        return _alert_events(self.config, alert_id)

    def metric_history(self) -> pd.DataFrame:
        return _metric_history(self.config)

    def job_runs(self) -> pd.DataFrame:
        return _job_runs(self.config)

    def recommendation(self, brand_id: str, seed: int) -> sampling.Recommendation:
        return _recommendation(self.config, brand_id, seed)

    def pre_gen_score(self, brand_id: str, tags: tuple[tuple[str, str], ...]):
        return _pre_gen_score(self.config, brand_id, tags)

    def performance_context(self, brand_id: str, seed: int):
        return _performance_context(self.config, brand_id, seed)

    def brand_names(self) -> dict[str, str]:
        brands = self.brands()
        return dict(zip(brands["id"], brands["name"].fillna(brands["id"]), strict=True))

    # writes
    def write(self, action: Callable[[Genome], T]) -> T:
        """Run one write against the Genome, then clear every cached read (also when it fails)."""
        try:
            return action(self.genome)
        finally:
            clear_reads()


def clear_reads() -> None:
    st.cache_data.clear()


def _escaped(text: object) -> str:
    """`text` literal in markdown (a redacted URL's *** is not emphasis); ui imports this module."""
    from dashboard import ui

    return ui.md(text)


def workspace() -> Workspace:
    """The workspace of this deployment; a bad configuration or unreachable database stops the page."""
    config = tuple(sorted(config_mapping().items()))
    try:
        return Workspace(config, _genome(config))
    except SettingsError as exc:
        st.error(
            f"**The configuration has a problem:** {exc}.\n\n"
            "Fix it in `.streamlit/secrets.toml` or the environment, then reload this page.",
            icon=":material/settings:",
        )
    except GenomeError as exc:
        st.error(
            f"**Cannot open the workspace:** {_escaped(exc)}\n\n"
            "Check `GENOME_DATABASE_URL` (or `SUPABASE_URL` and `SUPABASE_SECRET_KEY`), then reload.",
            icon=":material/error:",
        )
    st.stop()


# --- cached reads: keyed by the configuration, so two workspaces never share an entry -----------------
@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _brands(config: Config) -> pd.DataFrame:
    return _genome(config).brands()


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _overview(config: Config) -> pd.DataFrame:
    return _genome(config).overview()


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner="Summarising the posteriors…")
def _posteriors(config: Config, brand_id: str) -> pd.DataFrame:
    return _genome(config).posteriors(brand_id)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _priors(config: Config, brand_id: str) -> pd.DataFrame:
    return _genome(config).priors(brand_id)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _score_history(config: Config, brand_id: str) -> pd.DataFrame:
    return _genome(config).score_history(brand_id)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _cold_start(config: Config, brand_id: str) -> ColdStart:
    return _genome(config).cold_start(brand_id)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _alerts(config: Config) -> pd.DataFrame:
    return _genome(config).alerts()


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _alert_events(config: Config, alert_id: int) -> pd.DataFrame:
    return _genome(config).alert_events(alert_id=alert_id)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _metric_history(config: Config) -> pd.DataFrame:
    return _genome(config).metric_history()


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _job_runs(config: Config) -> pd.DataFrame:
    return _genome(config).job_runs(JOB_HISTORY_LIMIT)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _recommendation(config: Config, brand_id: str, seed: int) -> sampling.Recommendation:
    return _genome(config).recommendation(brand_id, seed=seed)


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _pre_gen_score(config: Config, brand_id: str, tags: tuple[tuple[str, str], ...]):
    return _genome(config).pre_gen_score(brand_id, dict(tags))


@st.cache_data(ttl=READ_TTL_SECONDS, show_spinner=False)
def _performance_context(config: Config, brand_id: str, seed: int):
    return _genome(config).performance_context(brand_id, seed=seed)


# --- rules shown next to the numbers (published by the pure core) -----------------------------------
def label_rule(settings: Settings) -> str:
    return sampling.label_rule(settings)


LEVEL_RULES: dict[int, str] = coldstart.LEVEL_RULES


def new_seed() -> int:
    """A fresh seed short enough for a person to read out and type back."""
    return sampling.new_seed()


# --- the shared brand selection ---------------------------------------------------------------------
def selected_brand() -> str | None:
    return st.session_state.get(BRAND_KEY)
