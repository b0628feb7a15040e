"""Small Streamlit building blocks the pages share: escaping, notices, jobs, paged tables, empty states."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st

from dashboard import state
from genome.errors import GenomeError

PAGE_SIZE = 50  # rows per page of a big table
DATA_PAGE = "views/data.py"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&\"'])")


def md(text: object) -> str:
    """Escape data for st.markdown/st.write: markdown, directives (:red[]), LaTeX ($) and HTML stay literal."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def file_slug(text: str) -> str:
    """A safe file-name part made from data text."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60] or "brand"


def show_notice(key: str) -> None:
    """Show (once) the summary a job left in the session before the rerun that shows the new data."""
    notice = st.session_state.pop(key, None)
    if notice is None:
        return
    kind, title, summary = notice
    (st.success if kind == "success" else st.error)(
        title, icon=":material/check_circle:" if kind == "success" else ":material/warning:"
    )
    if summary:
        with st.expander("Job summary", expanded=False):
            st.json(_jsonable(summary))


def run_job(label: str, action: Callable, notice_key: str, done: Callable[[dict], str]) -> None:
    """Run a write with visible progress, remember its summary, clear the caches and rerun the page."""
    ws = state.workspace()
    with st.status(label, expanded=True) as status:
        st.write(f"{label} — this can take a few seconds on a big workspace.")
        try:
            summary = ws.write(action)
        except GenomeError as exc:
            status.update(label=f"{label} failed", state="error")
            st.session_state[notice_key] = ("error", f"{label} failed: {md(exc)}", None)
        else:
            status.update(label=f"{label}: done", state="complete")
            summary = summary if isinstance(summary, Mapping) else {"result": summary}
            st.session_state[notice_key] = ("success", done(dict(summary)), dict(summary))
    st.rerun()


def paged_table(frame: pd.DataFrame, key: str, page_size: int = PAGE_SIZE, **dataframe_args) -> None:
    """Show a table a page at a time (a big workspace has too many rows to ship to the browser at once)."""
    pages = max(1, math.ceil(len(frame) / page_size))
    page = 1
    if pages > 1:
        page = st.pagination(pages, key=f"{key}_page")
    start = (page - 1) * page_size
    st.dataframe(frame.iloc[start : start + page_size], hide_index=True, **dataframe_args)
    if pages > 1:
        st.caption(f"Rows {start + 1:,}–{min(start + page_size, len(frame)):,} of {len(frame):,}")


def empty_workspace(key: str) -> None:
    """What an empty workspace offers instead of an error: the demo, or the import page."""
    st.info(
        "This workspace has no brands yet. Load the demo workspace to explore every page with "
        "realistic data, or import your own ads and performance on the Data page.",
        icon=":material/eco:",
    )
    left, right = st.columns(2)
    with left:
        if st.button("Load demo workspace", type="primary", key=f"{key}_load_demo"):
            load_demo(f"{key}_notice")
    with right:
        st.page_link(DATA_PAGE, label="Import ads and performance", icon=":material/upload_file:")


def load_demo(notice_key: str) -> None:
    run_job(
        "Loading the demo workspace",
        lambda g: g.load_demo(),
        notice_key,
        lambda s: f"Demo workspace loaded: {s.get('brands', '?')} brands, {s.get('ads', '?')} ads.",
    )


def require_brand(ws: state.Workspace, key: str) -> str:
    """The brand chosen in the sidebar; an empty workspace shows its offer and stops the page."""
    brand_id = state.selected_brand()
    if ws.brands().empty or brand_id is None:
        empty_workspace(key)
        st.stop()
    return brand_id


def brand_heading(ws: state.Workspace, brand_id: str, title: str) -> None:
    st.title(title)
    name = ws.brand_names().get(brand_id, brand_id)
    st.caption(f"Brand: **{md(name)}** · id `{brand_id.replace('`', '')}`")


def job_summary_text(summary: Mapping) -> str:
    """The headline numbers of a refresh or validation summary, for the success message."""
    parts = [
        f"{key.replace('_', ' ')} {value:,}" if isinstance(value, int) else f"{key.replace('_', ' ')} {value}"
        for key, value in summary.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and key != "job_id"
    ]
    return ", ".join(parts[:6])


def _jsonable(value: object) -> object:
    return json.loads(json.dumps(value, default=str))
