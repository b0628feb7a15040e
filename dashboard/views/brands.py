"""Brands: name each brand, set its organization and whether it shares its evidence; import a brands CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state, ui
from genome.brand_import import BRAND_FILE_COLUMNS, brands_file, sharing_word
from genome.errors import GenomeError, ValidationError

NOTICE = "brands_notice"
NEW_BRAND = ""  # the editor's choice for a brand that does not exist yet
EDITING = "brands_editing"  # the brand whose stored values the editor's fields hold
SELECT_NEXT = "brands_select_next"  # the brand to choose on the next run (after a save)
IMPORT_RESULT = "brands_import_result"
TEMPLATE = ",".join(BRAND_FILE_COLUMNS) + "\naurora,Aurora Skincare,org-1,on\nbolt,Bolt Outdoor,,off\n"
SHARING_EXPLAINED = (
    "**Sharing** is consent: a sharing brand's own evidence for each element value is pooled into "
    "the cold-start priors of the other brands, those of its organization first. Every brand "
    "receives priors; what only non-sharing brands have learned never reaches another brand. "
    "A change reaches other brands' priors at their next refresh."
)


def brand_table(brands: pd.DataFrame, overview: pd.DataFrame) -> pd.DataFrame:
    """One row per brand with its number of ads, for people."""
    ads = overview.set_index("brand_id")["ads"] if not overview.empty else pd.Series(dtype="int64")
    return pd.DataFrame(
        {
            "name": brands["name"],
            "id": brands["id"],
            "organization": brands["organization_id"],
            "sharing": brands["cross_brand_sharing"].astype(bool),
            "ads": brands["id"].map(ads).fillna(0).astype("int64"),
            "created": brands["created_at"],
        }
    )


def load_fields(choice: str, brands: pd.DataFrame) -> None:
    """Fill the editor with the stored values of `choice` (empty for a new brand) when it changes."""
    if st.session_state.get(EDITING) == choice:
        return
    row = brands.set_index("id").loc[choice] if choice != NEW_BRAND else None
    st.session_state[EDITING] = choice
    st.session_state["brands_new_id"] = ""
    st.session_state["brands_name"] = "" if row is None else str(row["name"])
    organization = None if row is None else row["organization_id"]
    st.session_state["brands_organization"] = "" if pd.isna(organization) else str(organization)
    st.session_state["brands_sharing"] = False if row is None else bool(row["cross_brand_sharing"])


def save_brand(brand_id: str, known: set[str]) -> None:
    """Write the editor's fields; keep the outcome for the next run, which shows the stored brand."""
    if st.session_state.get(EDITING) == NEW_BRAND and brand_id.strip() in known:
        st.error(f"A brand {ui.md(brand_id.strip())} already exists: choose it in the list to change it.")
        return
    try:
        saved = ws.write(
            lambda g: g.set_brand(
                brand_id,
                name=st.session_state["brands_name"],
                organization_id=st.session_state["brands_organization"],
                cross_brand_sharing=st.session_state["brands_sharing"],
            )
        )
    except GenomeError as exc:
        st.error(f"Not saved: {ui.md(exc)}", icon=":material/warning:")
        return
    st.session_state[NOTICE] = ("success", saved_text(saved))
    st.session_state[SELECT_NEXT] = saved["id"]
    st.session_state.pop(EDITING, None)
    st.rerun()


def saved_text(saved: dict) -> str:
    what = {"created": "created", "updated": "saved", "unchanged": "unchanged (nothing to save)"}
    organization = ui.md(saved["organization_id"]) if saved["organization_id"] else "no organization"
    return (
        f"Brand {ui.md(saved['name'])} · {ui.md(saved['id'])} {what[saved['status']]}: {organization}, "
        f"sharing {sharing_word(saved['cross_brand_sharing'])}."
    )


def import_brands(uploaded) -> None:
    """Import one uploaded brands CSV; keep the outcome (counts or row-level problems) for the next runs."""
    try:
        summary = ws.write(lambda g: g.import_brands(uploaded))
    except ValidationError as exc:
        st.session_state[IMPORT_RESULT] = ("problems", uploaded.name, pd.DataFrame(exc.problems))
    except GenomeError as exc:
        st.session_state[IMPORT_RESULT] = ("error", uploaded.name, str(exc))
    else:
        st.session_state[IMPORT_RESULT] = ("imported", uploaded.name, summary)
    st.rerun()


def show_import_result() -> None:
    outcome = st.session_state.get(IMPORT_RESULT)
    if outcome is None:
        return
    kind, name, payload = outcome
    if kind == "imported":
        st.success(
            f"{ui.md(name)} imported: {payload['inserted']:,} created, {payload['updated']:,} changed, "
            f"{payload['unchanged']:,} unchanged.",
            icon=":material/check_circle:",
        )
    elif kind == "error":
        st.error(f"{ui.md(name)} could not be imported: {ui.md(payload)}", icon=":material/warning:")
    else:
        st.error(
            f"{ui.md(name)} was refused; nothing was written. Fix these {len(payload):,} problems and "
            "upload it again:",
            icon=":material/warning:",
        )
        ui.problems_table(payload, key="brands_problems")


ws = state.workspace()
st.title("Brands")
st.caption(SHARING_EXPLAINED)
ui.show_notice(NOTICE)

brands = ws.brands()
if brands.empty:
    ui.empty_state(
        "No brands yet",
        "Add one below (a brand can be set up before its ads arrive), import a brands CSV, or import ads "
        "on the Data page.",
        ":material/storefront:",
    )
else:
    ui.paged_table(
        brand_table(brands, ws.overview()),
        key="brands_table",
        column_config={
            "name": st.column_config.TextColumn("Brand", pinned=True),
            "id": "Brand id",
            "organization": st.column_config.TextColumn("Organization", help="Empty: no organization."),
            "sharing": st.column_config.CheckboxColumn(
                "Sharing", help="Shares its evidence with others' priors."
            ),
            "ads": st.column_config.NumberColumn("Ads", format="localized"),
            "created": st.column_config.DatetimeColumn("Created (UTC)", format="YYYY-MM-DD"),
        },
    )
    st.download_button(
        "Download as a brands CSV",
        brands_file(brands),
        file_name="brands.csv",
        mime="text/csv",
        key="brands_download",
        type="tertiary",
        icon=":material/download:",
    )

st.subheader("Add or change a brand")
ids = brands["id"].tolist()
names = ws.brand_names()
if st.session_state.get(SELECT_NEXT) in ids:
    st.session_state["brands_choice"] = st.session_state.pop(SELECT_NEXT)
elif st.session_state.get("brands_choice") not in [NEW_BRAND, *ids]:  # first visit: the sidebar's brand
    st.session_state["brands_choice"] = state.selected_brand() if state.selected_brand() in ids else NEW_BRAND
choice = st.selectbox(
    "Brand",
    [NEW_BRAND, *ids],
    key="brands_choice",
    format_func=lambda brand_id: (
        f"{names.get(brand_id, brand_id)} · {brand_id}" if brand_id else "New brand…"
    ),
)
load_fields(choice, brands)
with st.form("brands_edit", border=True):
    new_id = ""
    if choice == NEW_BRAND:
        new_id = st.text_input("Brand id", key="brands_new_id", help="The id its ads carry in brand_id.")
    st.text_input("Name", key="brands_name", help="Empty: the brand id.")
    st.text_input("Organization", key="brands_organization", help="Empty: no organization.")
    st.toggle("Share this brand's evidence with other brands' priors", key="brands_sharing")
    if st.form_submit_button("Save brand", type="primary", key="brands_save"):
        save_brand(new_id if choice == NEW_BRAND else choice, set(ids))

if st.button(
    "Refresh all brands",
    key="brands_refresh",
    disabled=brands.empty,
    help="Recompute every brand's priors and posteriors with the brands as they are now.",
):
    ui.refresh_every_brand(NOTICE)

st.subheader("Import a brands CSV")
st.caption(
    "Columns: brand_id (required), name, organization_id, cross_brand_sharing (on/off, true/false, yes/no, "
    "1/0). A column left out keeps what is stored; a blank cell sets the default (the id as name, no "
    "organization, sharing off). The file is checked as a whole: if any row is wrong, nothing is written."
)
uploaded = st.file_uploader("Brands CSV", type=["csv"], key="brands_file")
if st.button("Import brands", key="brands_import", disabled=uploaded is None, type="primary"):
    import_brands(uploaded)
st.download_button(
    "Download a template",
    TEMPLATE,
    file_name="brands-template.csv",
    mime="text/csv",
    key="brands_template",
    type="tertiary",
    icon=":material/download:",
)
show_import_result()
