"""The Generation preview's "Rank templates" section, driven by AppTest on copies of the demo workspace."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from dashboard import glossary
from tests import test_dashboard_apptest as apptest
from tests.test_dashboard_apptest import assert_clean, open_page, page_text

# the AppTest suite's fixtures: a demo workspace per session, a copy per test, caches cleared after each
demo_template = apptest.demo_template
demo_url = apptest.demo_url
workspace = apptest.workspace
fresh_caches = apptest.fresh_caches

CANDIDATES = (
    "template_id,base_score,template_category,hook_type,layout\n"
    "t-low,0.2,lifestyle,question,grid\n"
    "<b>t-high</b>,0.9,,bold_claim,\n"
    "t-mid,,minimal_text,,split\n"
)


def ranked_table(at) -> pd.DataFrame:
    return next(frame.value for frame in at.dataframe if "template_id" in frame.value.columns)


def test_pasted_candidates_are_ranked_like_the_api_ranks_them(demo_url, workspace):
    at = open_page("preview")
    brand_id = at.session_state["brand_id"]
    at.text_area(key="preview_rank_text").input(CANDIDATES).run()
    at.button(key="preview_rank_button").click().run()
    assert_clean(at)
    table = ranked_table(at)
    expected = workspace.rank_templates(brand_id, io.StringIO(CANDIDATES))
    assert table["template_id"].tolist() == expected["template_id"].tolist()
    assert table["score"].tolist() == pytest.approx(expected["score"].tolist())
    assert "elements" in table.columns and "breakdown" not in table.columns
    assert "layout grid (not a tracked element)" in table.set_index("template_id").loc["t-low", "elements"]
    assert "Score = 0.70 × base score + 0.30 × performance score" in page_text(at)


def test_roll_the_dice_and_a_chosen_weight(demo_url):
    at = open_page("preview")
    at.text_area(key="preview_rank_text").input(CANDIDATES).run()
    at.radio(key="preview_rank_mode").set_value("roll_the_dice").run()
    at.button(key="preview_rank_button").click().run()
    assert ranked_table(at)["template_id"].tolist() == ["<b>t-high</b>", "t-mid", "t-low"]
    at.checkbox(key="preview_rank_custom").check().run()
    at.slider(key="preview_rank_weight").set_value(1.0).run()
    at.button(key="preview_rank_button").click().run()
    assert_clean(at)
    table = ranked_table(at)
    assert table["score"].tolist() == table["performance_score"].tolist()
    assert "Score = 0.00 × base score + 1.00 × performance score" in page_text(at)


def test_an_uploaded_file_is_ranked(demo_url):
    at = open_page("preview")
    at.radio(key="preview_rank_source").set_value("Upload a CSV file").run()
    assert at.button(key="preview_rank_button").disabled
    at.file_uploader(key="preview_rank_file").upload("candidates.csv", CANDIDATES.encode(), "text/csv").run()
    at.button(key="preview_rank_button").click().run()
    assert_clean(at)
    assert len(ranked_table(at)) == 3


def test_bad_candidates_list_row_column_and_reason(demo_url):
    at = open_page("preview")
    at.text_area(key="preview_rank_text").input(
        "template_id,base_score,hook_type\nt1,1.5,a\nt1,0.5,b\n"
    ).run()
    at.button(key="preview_rank_button").click().run()
    assert_clean(at)
    assert "The candidates were refused. Fix these 2 problems" in page_text(at)
    problems = next(frame.value for frame in at.dataframe if "reason" in frame.value.columns)
    assert problems[["row", "column"]].values.tolist() == [[1, "base_score"], [2, "template_id"]]


def test_a_never_scored_brand_says_the_ranking_rests_on_borrowed_evidence(demo_url, workspace):
    at = open_page("preview")
    at.selectbox(key="sidebar_brand").select("ember-kitchen").run()  # the demo's brand at level 0
    at.text_area(key="preview_rank_text").input(CANDIDATES).run()
    at.button(key="preview_rank_button").click().run()
    assert_clean(at)
    words = glossary.EVIDENCE_WORDS
    assert set(ranked_table(at)["evidence"]) <= {words["borrowed"], words["none"]}
    assert (ranked_table(at)["own_elements"] == 0).all()
    assert "no own results for these element values yet" in page_text(at)
