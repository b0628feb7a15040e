"""Small Streamlit building blocks the pages share: escaping, notices, jobs, paged tables, empty states."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from dashboard import formats, state
from genome.errors import GenomeError
from genome.problems import WHOLE_FILE

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
    """Show (once) the sentence a job or an action left in the session before the rerun that shows the new data."""
    notice = st.session_state.pop(key, None)
    if notice is None:
        return
    kind, text = notice
    if kind == "success":
        st.success(text, icon=":material/check_circle:")
    else:
        st.error(text, icon=":material/warning:")


def run_job(label: str, action: Callable, notice_key: str, done: Callable[[dict], str]) -> None:
    """Run a write with visible progress, remember what it did as a sentence, clear the caches and rerun.

    A page that shows a table runs the job after drawing it (into a container placed above), so the
    table stays in view while the job works.
    """
    ws = state.workspace()
    with st.status(label, expanded=True) as status:
        st.write(f"{label} — this can take a few seconds on a big workspace.")
        try:
            summary = ws.write(action)
        except GenomeError as exc:
            status.update(label=f"{label} failed", state="error")
            st.session_state[notice_key] = ("error", f"{label} failed: {md(exc)}")
        else:
            status.update(label=f"{label}: done", state="complete")
            summary = summary if isinstance(summary, Mapping) else {"result": summary}
            st.session_state[notice_key] = ("success", done(dict(summary)))
    st.rerun()


def refresh_every_brand(notice_key: str) -> None:
    """Refresh every brand with visible progress; the page says what it did in a sentence."""
    run_job(
        "Refreshing every brand",
        lambda g: g.refresh(),
        notice_key,
        lambda s: f"Refresh finished for {job_summary_text('refresh', s)}.",
    )


def validate_every_brand(notice_key: str) -> None:
    """Validate every brand (health metrics and alerts) with visible progress."""
    run_job(
        "Validating every brand",
        lambda g: g.validate(),
        notice_key,
        lambda s: f"Validation finished for {job_summary_text('validate', s)}.",
    )


def paged_table(frame: pd.DataFrame, key: str, page_size: int = PAGE_SIZE, **dataframe_args) -> None:
    """Show a table a page at a time (a big workspace has too many rows to ship to the browser at once)."""
    dataframe_args.setdefault("placeholder", formats.MISSING)  # a missing value reads "—", never "None"
    with _paged(frame, key, page_size) as page:
        st.dataframe(page, hide_index=True, **dataframe_args)


@contextmanager
def _paged(frame: pd.DataFrame, key: str, page_size: int) -> Iterator[pd.DataFrame]:
    """The rows of the page the visitor chose (pagination above, a row count below when there are pages)."""
    pages = max(1, math.ceil(len(frame) / page_size))
    page = 1
    if pages > 1:
        page = st.pagination(pages, key=f"{key}_page")
    start = (page - 1) * page_size
    yield frame.iloc[start : start + page_size]
    if pages > 1:
        st.caption(f"Rows {start + 1:,}–{min(start + page_size, len(frame)):,} of {len(frame):,}")


def problems_table(problems: pd.DataFrame, key: str) -> None:
    """The row-level problems of a refused file, full width and wrapped: row, column and the whole reason."""
    rows = problems["row"].astype("int64")
    columns = problems["column"].astype(str)
    shown = pd.DataFrame(
        {
            "Row": rows.map("{:,}".format).where(rows > 0, "whole file"),
            "Column": escaped(columns).where(columns != WHOLE_FILE, "whole file"),
            "Reason": escaped(problems["reason"].astype(str)),
        }
    )
    with _paged(shown, key, PAGE_SIZE) as page:
        st.table(page.set_index("Row"), border="horizontal")
    st.caption("Row: the data row of the file, counting from 1 under the header row.")


def escaped(texts: pd.Series) -> pd.Series:
    """`md` over a column of texts at once."""
    return texts.str.replace(_MARKDOWN_SPECIAL, r"\\\1", regex=True)


def empty_state(title: str, text: str, icon: str) -> None:
    """A neutral empty state (never a success box): a title saying what is missing, a sentence saying
    what to do. Both are the page's own words; escape any data with `md` first."""
    st.info(f"**{title}**  \n{text}", icon=icon)


def empty_workspace(key: str) -> None:
    """What an empty workspace offers instead of an error: the demo, or the import page."""
    empty_state(
        "No brands yet",
        "This workspace has no brands yet. Load the demo workspace to explore every page with "
        "realistic data, or import your own ads and performance on the Data page.",
        ":material/eco:",
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
        lambda s: (
            f"Demo workspace loaded: {formats.count(s.get('brands'), 'brand')}, {formats.count(s.get('ads'), 'ad')}"
            f" and {formats.count(s.get('performance_rows'), 'daily performance row')}."
        ),
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


def _took(summary: Mapping) -> str:
    took = summary.get("duration_seconds")
    return f" in {formats.seconds(took)}" if isinstance(took, int | float) else ""


def _brands(summary: Mapping) -> str:
    brand_ids = summary.get("brand_ids")
    return formats.count(len(brand_ids), "brand") if isinstance(brand_ids, list) else "every brand"


def _number(summary: Mapping, key: str) -> int:
    value = summary.get(key, 0)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _changes(noun: str, changes: list[tuple[int, str]], none: str) -> str:
    """'3 alerts updated, 1 resolved' (the non-zero changes, the noun on the first), or `none`."""
    shown = [(n, what) for n, what in changes if n]
    if not shown:
        return none
    first, *rest = shown
    return ", ".join(
        [f"{formats.count(first[0], noun)} {first[1]}", *(f"{formats.count(n)} {w}" for n, w in rest)]
    )


def refresh_text(summary: Mapping) -> str:
    """'5 brands in 0.11 s: 30 new rewards, 305 updated, 85 unchanged; 136 element values rescored'."""
    head = f"{_brands(summary)}{_took(summary)}"
    unchanged = _number(summary, "rewards_unchanged")
    if summary.get("skipped"):
        return f"{head}: nothing new since the last refresh ({formats.count(unchanged, 'reward')} unchanged)"
    others = [(_number(summary, "rewards_updated"), "updated"), (unchanged, "unchanged"),
              (_number(summary, "rewards_removed"), "removed")]  # fmt: skip
    new = formats.count(_number(summary, "rewards_new"), "new reward")
    rewards = ", ".join([new, *(f"{formats.count(n)} {what}" for n, what in others if n)])
    return (
        f"{head}: {rewards}; {formats.count(_number(summary, 'elements_updated'), 'element value')} rescored"
    )


def validation_text(summary: Mapping) -> str:
    """'5 brands in 0.19 s: 20 health metrics; 1 alert opened, 3 updated; 2 notifications sent'."""
    alerts = _changes(
        "alert",
        [
            (_number(summary, f"alerts_{what}"), what)
            for what in ("opened", "updated", "reopened", "resolved")
        ],
        "no alert changed",
    )
    text = f"{_brands(summary)}{_took(summary)}: {formats.count(_number(summary, 'metrics'), 'health metric')}; {alerts}"
    sent = summary.get("notifications")
    if isinstance(sent, Mapping) and (_number(sent, "sent") or _number(sent, "failed")):
        text += f"; {notification_text(sent)}"
    return text


def notification_text(summary: Mapping) -> str:
    """'2 notifications sent, 1 failed'."""
    return _changes(
        "notification",
        [(_number(summary, "sent"), "sent"), (_number(summary, "failed"), "failed")],
        "nothing to send",
    )


def import_text(noun: str) -> Callable[[Mapping], str]:
    """'620 ads added, 3 changed, 2 unchanged' for an import of `noun`s."""
    return lambda summary: _changes(
        noun,
        [(_number(summary, "inserted"), "added"), (_number(summary, "updated"), "changed"),
         (_number(summary, "unchanged"), "unchanged")],
        f"no {noun}s in the file",
    )  # fmt: skip


def daily_text(summary: Mapping) -> str:
    refresh, validation = summary.get("refresh"), summary.get("validation")
    parts = [
        f"refresh of {refresh_text(refresh)}" if isinstance(refresh, Mapping) else "",
        f"validation of {validation_text(validation)}" if isinstance(validation, Mapping) else "",
    ]
    return "; then ".join(part for part in parts if part)


def counts_text(summary: Mapping) -> str:
    """Any other summary: its numbers with their names in words ('Rewarded ads: 420')."""
    return "; ".join(
        f"{formats.title(key)}: {formats.count(value) if isinstance(value, int) else formats.decimal(value)}"
        for key, value in summary.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and not key.endswith("job_id")
    )


JOB_TEXTS: dict[str, Callable[[Mapping], str]] = {
    "refresh": refresh_text,
    "validate": validation_text,
    "daily": daily_text,
    "notify": notification_text,
    "import_ads": import_text("ad"),
    "import_performance": import_text("daily performance row"),
}


def job_summary_text(job_type: str, summary: object) -> str:
    """What a job did, in a sentence a marketer reads (the notice after a job, the Data page's job
    history); empty when there is no summary."""
    if isinstance(summary, str):
        try:
            summary = json.loads(summary)
        except ValueError:
            return summary
    if not isinstance(summary, Mapping) or not summary:
        return ""
    return JOB_TEXTS.get(job_type, counts_text)(summary)
