"""The Brands page on real SQLite workspaces: the table, the editor, refresh, the CSV import, the empty state.

Fixtures come from tests/test_dashboard_apptest.py (one demo workspace per session, copied per test).
The download buttons are checked by label; the brands file they offer is genome.brand_import.brands_file,
whose round trip tests/test_brands.py checks.
"""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests import test_dashboard_apptest as apptest
from tests.test_dashboard_apptest import APP, TIMEOUT, assert_clean, page_text, problem_rows

# the fixtures of the AppTest suite: one demo workspace per session, copied per test
demo_template = apptest.demo_template
demo_url = apptest.demo_url
empty_url = apptest.empty_url
workspace = apptest.workspace
fresh_caches = apptest.fresh_caches

PAGE = "views/brands.py"
GOOD_BRANDS = b"brand_id,name,organization_id,cross_brand_sharing\ndune-outdoor,Dune,org-lumen,ON\nfresh,,,\n"
BAD_BRANDS = b"brand_id,name,cross_brand_sharing\ndune-outdoor,Dune,on\n,Nobody,off\ncedar-home,Cedar,maybe\n"


def open_brands() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    return at.switch_page(PAGE).run()


def stored(workspace, brand_id: str) -> tuple:
    row = workspace.brands().set_index("id").loc[brand_id]
    organization = None if pd.isna(row["organization_id"]) else row["organization_id"]
    return row["name"], organization, bool(row["cross_brand_sharing"])


def choose(at: AppTest, brand_id: str) -> AppTest:
    return at.selectbox(key="brands_choice").select(brand_id).run()


# --- the table -------------------------------------------------------------------------------------------
def test_the_table_lists_every_brand_with_its_organization_sharing_and_ads(demo_url, workspace):
    at = open_brands()
    assert_clean(at)
    table = at.dataframe[0].value
    brands, overview = workspace.brands(), workspace.overview().set_index("brand_id")
    assert table["id"].tolist() == brands["id"].tolist()
    assert table["sharing"].tolist() == brands["cross_brand_sharing"].tolist()
    assert table["ads"].tolist() == overview.loc[brands["id"], "ads"].tolist()
    assert "**Sharing** is consent" in page_text(at)
    labels = {button.label for button in at.get("download_button")}
    assert labels == {"Download as a brands CSV", "Download a template"}


# --- the editor ------------------------------------------------------------------------------------------
def test_choosing_a_brand_fills_the_editor_with_its_stored_values(demo_url, workspace):
    at = choose(open_brands(), "dune-outdoor")
    assert_clean(at)
    name, organization, sharing = stored(workspace, "dune-outdoor")
    assert at.text_input(key="brands_name").value == name
    assert at.text_input(key="brands_organization").value == organization
    assert at.toggle(key="brands_sharing").value is sharing


def test_saving_a_brand_writes_the_form_and_shows_the_stored_brand(demo_url, workspace):
    at = choose(open_brands(), "dune-outdoor")
    at.text_input(key="brands_name").input("Dune Outdoor Co.")
    at.text_input(key="brands_organization").input("org-lumen")
    at.toggle(key="brands_sharing").set_value(True)
    at.button(key="brands_save").click().run()
    assert_clean(at)
    assert stored(workspace, "dune-outdoor") == ("Dune Outdoor Co.", "org-lumen", True)
    assert "Dune Outdoor Co. · dune-outdoor saved: org-lumen, sharing on." in page_text(at)
    assert at.selectbox(key="brands_choice").value == "dune-outdoor"
    assert at.text_input(key="brands_name").value == "Dune Outdoor Co."
    assert at.dataframe[0].value.set_index("id").loc["dune-outdoor", "sharing"]


def test_an_empty_organization_removes_it(demo_url, workspace):
    at = choose(open_brands(), "cedar-home")
    at.text_input(key="brands_organization").input("")
    at.button(key="brands_save").click().run()
    assert_clean(at)
    assert stored(workspace, "cedar-home")[1] is None
    assert "no organization" in page_text(at)


def test_the_editor_starts_on_the_brand_chosen_in_the_sidebar(demo_url):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.selectbox(key="sidebar_brand").select("cedar-home").run()
    at.switch_page(PAGE).run()
    assert_clean(at)
    assert at.selectbox(key="brands_choice").value == "cedar-home"
    assert at.text_input(key="brands_name").value == "Cedar Home"


def test_a_new_brand_is_created_before_its_ads(demo_url, workspace):
    at = choose(open_brands(), "")
    at.text_input(key="brands_new_id").input("gale-audio")
    at.text_input(key="brands_name").input("Gale Audio")
    at.button(key="brands_save").click().run()
    assert_clean(at)
    assert stored(workspace, "gale-audio") == ("Gale Audio", None, False)
    assert "gale-audio created" in page_text(at)
    assert "Gale Audio" in at.selectbox(key="sidebar_brand").options


def test_a_new_brand_with_an_existing_id_is_refused(demo_url, workspace):
    before = workspace.brands()
    at = choose(open_brands(), "")
    at.text_input(key="brands_new_id").input("dune-outdoor")
    at.text_input(key="brands_name").input("Someone else")
    at.button(key="brands_save").click().run()
    assert_clean(at)
    assert "already exists" in page_text(at)
    pd.testing.assert_frame_equal(workspace.brands(), before)


def test_text_that_may_not_be_stored_is_refused_with_the_reason(demo_url, workspace):
    at = choose(open_brands(), "dune-outdoor")
    at.text_input(key="brands_name").input("Dune\u202eOutdoor")
    at.button(key="brands_save").click().run()
    assert_clean(at)
    assert "Not saved: name holds a bidirectional override (U+202E)" in page_text(at)
    assert stored(workspace, "dune-outdoor")[0] == "Dune Outdoor"


def test_refresh_all_recomputes_the_priors_after_a_change(demo_url, workspace):
    refreshes = (workspace.job_runs(500)["job_type"] == "refresh").sum()
    at = choose(open_brands(), "dune-outdoor")
    at.toggle(key="brands_sharing").set_value(True)
    at.button(key="brands_save").click().run()
    at.button(key="brands_refresh").click().run()
    assert_clean(at)
    assert "Refresh finished" in page_text(at)
    runs = workspace.job_runs(500)
    assert (runs["job_type"] == "refresh").sum() == refreshes + 1
    assert "skipped" not in runs.iloc[0]["summary"]


# --- the CSV import --------------------------------------------------------------------------------------
def test_importing_a_brands_csv_creates_and_changes_brands(demo_url, workspace):
    at = open_brands()
    at.file_uploader(key="brands_file").upload("brands.csv", GOOD_BRANDS, "text/csv").run()
    at.button(key="brands_import").click().run()
    assert_clean(at)
    assert "brands.csv imported: 1 created, 1 changed, 0 unchanged." in page_text(at)
    assert stored(workspace, "dune-outdoor") == ("Dune", "org-lumen", True)
    assert stored(workspace, "fresh") == ("fresh", None, False)


def test_a_bad_brands_csv_lists_every_problem_and_writes_nothing(demo_url, workspace):
    before = workspace.brands()
    at = open_brands()
    at.file_uploader(key="brands_file").upload("bad.csv", BAD_BRANDS, "text/csv").run()
    at.button(key="brands_import").click().run()
    assert_clean(at)
    assert "bad.csv was refused; nothing was written" in page_text(at)
    assert problem_rows(at) == [("2", "brand_id"), ("3", "cross_brand_sharing")]
    pd.testing.assert_frame_equal(workspace.brands(), before)


# --- the empty workspace ---------------------------------------------------------------------------------
def test_an_empty_workspace_offers_to_add_a_brand(empty_url):
    at = open_brands()
    assert_clean(at)
    assert "No brands yet" in page_text(at)
    assert at.button(key="brands_refresh").disabled
    assert at.button(key="brands_import").disabled
    at.text_input(key="brands_new_id").input("first")
    at.toggle(key="brands_sharing").set_value(True)
    at.button(key="brands_save").click().run()
    assert_clean(at)
    assert "first · first created: no organization, sharing on." in page_text(at)
    assert at.dataframe[0].value["id"].tolist() == ["first"]
