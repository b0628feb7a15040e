"""Data: load the demo, import ads and daily performance (all or nothing, with row-level errors), job history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import formats, state, ui
from genome.errors import GenomeError, ValidationError
from genome.validation import NOTE_KEYS, performance_notes_text

NOTICE = "data_notice"
ADS_TEMPLATE = (
    "ad_id,brand_id,created_at,final_status,is_imported,pre_gen_score,element_tags\n"
    'ad-001,acme,2026-11-01,approved,false,0.62,"{""hook_type"": ""question"", ""color_mode"": ""dark""}"\n'
)
PERFORMANCE_TEMPLATE = (
    "ad_id,date,impressions,clicks,conversions,spend,revenue,campaign_objective\n"
    "ad-001,2026-11-02,1200,18,2,14.50,41.00,CONVERSIONS\n"
)
IMPORTS = {
    "ads": ("Ads", ADS_TEMPLATE, "One row per ad: element_tags as a JSON object, or one column per element."),
    "performance": (
        "Daily performance",
        PERFORMANCE_TEMPLATE,
        "One row per ad per day: counts, spend and revenue.",
    ),
}


JOB_NAMES = {
    "refresh": "Refresh",
    "validate": "Validation",
    "daily": "Daily refresh and validation",
    "notify": "Alert notifications",
    "import_ads": "Ads import",
    "import_performance": "Performance import",
}
JOB_COLUMNS = {
    "id": st.column_config.NumberColumn("#", format="%d"),
    "started_at": st.column_config.DatetimeColumn("Started (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "job": "Job",
    "brand": "Brand",
    "status": "Status",
    "duration": "Took",
    "summary": st.column_config.TextColumn("What it did", width="large"),
    "error": st.column_config.TextColumn("Error", width="medium"),
}


def job_table(jobs: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The job runs in words: what each did as a sentence (ui.job_summary_text), its brand by name, how long it took."""
    took = (jobs["finished_at"] - jobs["started_at"]).dt.total_seconds()
    return pd.DataFrame(
        {
            "id": jobs["id"],
            "started_at": jobs["started_at"],
            "job": jobs["job_type"].map(JOB_NAMES).fillna(jobs["job_type"]),
            "brand": jobs["brand_id"].map(names).fillna(jobs["brand_id"]).fillna("All brands"),
            "status": jobs["status"],
            "duration": took.map(formats.seconds),
            "summary": [
                ui.job_summary_text(kind, summary)  # at most JOB_HISTORY_LIMIT rows
                for kind, summary in zip(jobs["job_type"], jobs["summary"], strict=True)
            ],
            "error": jobs["error"],
        }
    )


@st.dialog("Load the demo workspace?")
def confirm_demo() -> None:
    st.write(
        "This adds the demo brands, their ads and a few weeks of performance to this workspace, then "
        "runs weekly refreshes and validations. Your own brands are kept."
    )
    if st.button("Load demo workspace", type="primary", key="data_demo_confirm"):
        ui.load_demo(NOTICE)


def import_file(kind: str, uploaded) -> None:
    """Import one uploaded CSV; keep the outcome (summary or row-level problems) for the next reruns."""
    result_key = f"data_{kind}_result"
    with st.status(f"Importing {uploaded.name}…", expanded=True) as status:
        try:
            if kind == "ads":
                summary = ws.write(lambda g: g.import_ads(uploaded))
            else:
                summary = ws.write(lambda g: g.import_performance(uploaded))
        except ValidationError as exc:
            status.update(label=f"{uploaded.name} refused: nothing was written", state="error")
            st.session_state[result_key] = (
                "problems",
                uploaded.name,
                (pd.DataFrame(exc.problems), exc.total),
            )
        except GenomeError as exc:
            status.update(label=f"{uploaded.name} failed", state="error")
            st.session_state[result_key] = ("error", uploaded.name, str(exc))
        else:
            status.update(label=f"{uploaded.name} imported", state="complete")
            st.session_state[result_key] = ("imported", uploaded.name, summary)
    st.rerun()


def show_import_result(kind: str) -> None:
    outcome = st.session_state.get(f"data_{kind}_result")
    if outcome is None:
        return
    kind_of, name, payload = outcome
    if kind_of == "imported":
        counts = {key: value for key, value in payload.items() if key not in NOTE_KEYS}
        st.success(
            f"{ui.md(name)} imported: {ui.job_summary_text(f'import_{kind}', counts)}. Run a refresh to learn from it.",
            icon=":material/check_circle:",
        )
        for line in performance_notes_text(payload):
            st.info(ui.md(line), icon=":material/info:")
    elif kind_of == "error":
        st.error(f"{ui.md(name)} could not be imported: {ui.md(payload)}", icon=":material/warning:")
    else:
        problems, total = payload
        st.error(
            f"{ui.md(name)} was refused; nothing was written. Fix these {total:,} problems and upload it again:",
            icon=":material/warning:",
        )
        ui.problems_table(problems, key=f"data_{kind}_problems")


ws = state.workspace()
st.title("Data")
st.caption(f"Workspace: {ui.md(ws.url)}")
ui.show_notice(NOTICE)

overview = ws.overview()
if overview.empty:
    ui.empty_workspace("data")
else:
    brands, ads, matured = st.columns(3)
    brands.metric("Brands", formats.count(len(overview)))
    ads.metric("Ads", formats.count(overview["ads"].sum()))
    matured.metric("Matured ads", formats.count(overview["matured_ads"].sum()))
    if st.button("Load demo workspace…", key="data_demo"):
        confirm_demo()

st.subheader("Import CSV files")
st.caption(
    "Each file is checked as a whole first: if any row is wrong, nothing is written and every problem is listed."
)
for column, (kind, (title, template, help_text)) in zip(st.columns(2), IMPORTS.items(), strict=True):
    with column:
        st.markdown(f"**{title}**")
        uploaded = st.file_uploader(f"{title} CSV", type=["csv"], key=f"data_{kind}_file", help=help_text)
        if st.button(
            f"Import {title.lower()}", key=f"data_{kind}_import", disabled=uploaded is None, type="primary"
        ):
            import_file(kind, uploaded)
        st.download_button(
            "Download a template",
            template,
            file_name=f"{kind}-template.csv",
            mime="text/csv",
            key=f"data_{kind}_template",
            type="tertiary",
            icon=":material/download:",
        )
for kind in IMPORTS:  # below both uploaders, full width: a problem's reason is read whole
    show_import_result(kind)

refresh_col, _ = st.columns([1, 3])
refresh_clicked = refresh_col.button(
    "Refresh all brands", key="data_refresh", help="Learn from the imported data now."
)
job_progress = st.container()  # the job's progress; the job history below stays in view meanwhile

st.subheader("Job history")
jobs = ws.job_runs()
notify_runs = jobs.loc[jobs["job_type"] == "notify"] if not jobs.empty else jobs
if not notify_runs.empty and notify_runs.iloc[0]["status"] == "failed":
    st.warning(
        f"The last alert notifications were not all delivered: {ui.md(str(notify_runs.iloc[0]['error']))}."
        " The alerts themselves are saved (Alerts page); check the receiving service and"
        " GENOME_ALERT_WEBHOOK_URL (README, Notifications)."
    )
if jobs.empty:
    ui.empty_state(
        "No jobs yet", "Imports, refreshes and validations will be listed here.", ":material/history:"
    )
else:
    status_filter = st.multiselect(
        "Status",
        sorted(jobs["status"].dropna().unique().tolist()),
        key="data_job_status",
        placeholder="All statuses",
    )
    if status_filter:
        jobs = jobs.loc[jobs["status"].isin(status_filter)]
    ui.paged_table(
        job_table(jobs, ws.brand_names()), key="data_jobs", page_size=25, column_config=JOB_COLUMNS
    )
    st.caption(f"The latest {state.JOB_HISTORY_LIMIT} job runs.")

with st.expander("Settings in use"):
    st.caption(
        "From .streamlit/secrets.toml and the environment (the environment wins). Secrets are never shown:"
        " keys are masked and URLs show *** for their passwords and tokens."
    )
    st.dataframe(
        state.settings_table(dict(ws.config)),
        hide_index=True,
        placeholder=formats.MISSING,
        column_config={
            "setting": "Setting",
            "value": "Value in use",
            "default": "Default",
            "set": st.column_config.CheckboxColumn("Set here", help="Set in the secrets or the environment."),
            "help": st.column_config.TextColumn("What it does", width="large"),
        },
    )
with job_progress:
    if refresh_clicked:
        ui.refresh_every_brand(NOTICE)
