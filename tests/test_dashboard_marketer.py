"""The marketer's pages in AppTest: own vs borrowed evidence, one colour per value, many values a
page at a time, what changed, and the simulation's honesty about noise (copies of the demo workspace)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import genome
from dashboard import changes, glossary
from genome import movers
from tests import test_dashboard_apptest as apptest
from tests.test_dashboard_apptest import assert_clean, open_page, page_text, unscored_brand

# the AppTest suite's fixtures: a demo workspace per session, a copy per test, caches cleared after each
demo_template = apptest.demo_template
demo_url = apptest.demo_url
empty_url = apptest.empty_url
workspace = apptest.workspace
fresh_caches = apptest.fresh_caches


def figures(at) -> dict[str, dict]:
    """The page's plotly figures by chart key suffix (elements_forest -> 'forest')."""
    return {
        chart.proto.id.rsplit("-", 1)[-1].removeprefix("elements_"): json.loads(chart.proto.spec)
        for chart in at.get("plotly_chart")
    }


def value_table(at) -> pd.DataFrame:
    return next(frame.value for frame in at.dataframe if "p_best" in frame.value.columns)


def many_values_brand(workspace, count: int) -> str:
    """A brand whose hook_type has `count` values (one ad each; no refresh, so no own results)."""
    ads = pd.DataFrame(
        {
            "ad_id": [f"many-{i}" for i in range(count)],
            "brand_id": "many-brand",
            "created_at": "2026-11-01",
            "final_status": "approved",
            "is_imported": False,
            "pre_gen_score": 0.5,
            "element_tags": [json.dumps({"hook_type": f"hook {i:03d}"}) for i in range(count)],
        }
    )
    workspace.import_ads(ads)
    return "many-brand"


# --- evidence: own vs borrowed ----------------------------------------------------------------------------
def test_values_without_own_ads_never_show_p_best_a_bar_or_best(demo_url, workspace):
    brand_id = unscored_brand(workspace)
    at = open_page("elements")
    at.selectbox(key="sidebar_brand").select(brand_id).run()
    assert_clean(at)
    table = value_table(at)
    assert (workspace.posteriors(brand_id)["observations"] == 0).all()
    assert set(table["p_best"]) == {"—"}  # a text column: no progress bar, no percentage
    assert "Best" not in set(table["label"])
    assert set(table["evidence"]) <= {glossary.EVIDENCE_WORDS["borrowed"], glossary.EVIDENCE_WORDS["none"]}
    forest = figures(at)["forest"]["data"][0]
    assert set(forest["marker"]["color"]) == {"rgba(0,0,0,0)"}  # hollow: not drawn like evidence
    assert set(forest["text"]) <= {"Borrowed", "No data yet"} and "Borrowed" in forest["text"]


def test_own_values_show_their_p_best_and_own_ads(demo_url, workspace):
    at = open_page("elements")
    brand_id = at.session_state["brand_id"]
    dimension = at.segmented_control(key="elements_dimension").value
    expected = workspace.posteriors(brand_id)
    expected = expected.loc[expected["element_name"] == dimension].set_index("element_value")
    table = value_table(at).set_index("element_value")
    for value, row in table.iterrows():
        assert row["p_best"] == f"{expected.loc[value, 'p_best'] * 100:.1f} %"
        assert row["observations"] == expected.loc[value, "observations"]
    assert list(table.index) == expected.sort_values(["p_best", "mean"], ascending=False).index.tolist()


def test_scored_elements_counts_own_evidence_and_a_borrowed_score_says_so(demo_url, workspace):
    brand_id = unscored_brand(workspace)
    at = open_page("preview")
    at.selectbox(key="sidebar_brand").select(brand_id).run()
    assert_clean(at)
    scored = next(m for m in at.metric if m.label == "Scored elements (own ads)")
    assert scored.value.startswith("0 of ")
    assert any("rests on borrowed evidence" in w.value for w in at.warning)
    recommendation = next(f.value for f in at.dataframe if "recommended value" in f.value.columns)
    assert (recommendation["own ads"] == 0).all()
    assert glossary.EVIDENCE_WORDS["own"] not in set(recommendation["evidence"])


def test_scored_elements_on_a_brand_with_own_ads_match_the_api(demo_url, workspace):
    at = open_page("preview")
    brand_id, seed = at.session_state["brand_id"], at.session_state["preview_seed"]
    breakdown = workspace.pre_gen_score(brand_id, workspace.recommend(brand_id, seed=seed)).breakdown_frame()
    own = int((breakdown["known"] & (breakdown["evidence"] == "own")).sum())
    scored = next(m for m in at.metric if m.label == "Scored elements (own ads)")
    assert scored.value == f"{own} of {len(breakdown)}" and own > 0
    assert not any("borrowed evidence" in w.value for w in at.warning)


# --- charts: one colour per value -------------------------------------------------------------------------
def test_one_value_has_one_colour_across_the_charts_of_the_elements_page(demo_url, workspace):
    at = open_page("elements")
    assert_clean(at)
    found = figures(at)
    forest = found["forest"]["data"][0]
    by_forest = dict(zip(forest["y"], forest["marker"]["color"], strict=True))
    by_density = {t["hovertemplate"].split("<br>")[0]: t["line"]["color"] for t in found["density"]["data"]}
    by_history = {t["name"]: t["line"]["color"] for t in found["history"]["data"]}
    assert by_forest == by_density and len(by_forest) >= 3
    assert by_history.items() <= by_forest.items() and by_history
    assert len(set(by_forest.values())) == len(by_forest)  # different values, different colours
    label_colours = {"#2b8a3e", "#3b5bdb", "#c92a2a", "#868e96"}
    assert not label_colours & set(by_forest.values())


# --- many values ------------------------------------------------------------------------------------------
def test_a_dimension_with_many_values_is_shown_a_page_at_a_time_with_search(demo_url, workspace):
    brand_id = many_values_brand(workspace, 40)
    at = open_page("elements")
    at.selectbox(key="sidebar_brand").select(brand_id).run()
    at.segmented_control(key="elements_dimension").set_value("hook_type").run()
    assert_clean(at)
    posteriors = workspace.posteriors(brand_id)
    count = int((posteriors["element_name"] == "hook_type").sum())  # 40 own tags and the borrowed values
    assert count >= 40
    assert len(value_table(at)) == 12
    assert f"Values 1–12 of {count}" in page_text(at)
    forest = figures(at)["forest"]["data"][0]
    assert len(forest["y"]) == 12 and sorted(forest["y"]) == sorted(value_table(at)["element_value"])
    last = -(-count // 12)
    at.pagination(key="elements_page_hook_type").select(last).run()
    assert len(value_table(at)) == count - 12 * (last - 1)
    assert f"Values {12 * (last - 1) + 1}–{count} of {count}" in page_text(at)
    at.text_input(key="elements_search_hook_type").input("hook 01").run()
    assert sorted(value_table(at)["element_value"]) == [f"hook {i:03d}" for i in range(10, 20)]
    at.text_input(key="elements_search_hook_type").input("nothing like it").run()
    assert_clean(at)
    assert "contains “nothing like it”" in page_text(at)


# --- what changed -----------------------------------------------------------------------------------------
def test_what_changed_on_elements_lists_the_brands_movers(demo_url, workspace):
    at = open_page("elements")
    assert_clean(at)
    brand_id = at.session_state["brand_id"]
    expected = movers.movers(workspace.score_history(brand_id), workspace.settings)
    assert not expected.empty  # the demo refreshes more than once
    text = page_text(at)
    assert "What changed" in text and "Since the previous refresh" in text
    up = next(f.value for f in at.dataframe if "Own ads" in f.value.columns)  # moved up comes first
    wanted = expected.loc[expected["direction"] == "up"].head(changes.SHOWN)
    assert up["Value"].tolist() == wanted["element_value"].tolist()
    first = wanted.iloc[0]
    assert up["Label"].iloc[0] == f"{first['label_before']} → {first['label_after']}"
    assert up["Own ads"].iloc[0] == f"{int(first['own_ads_before']):,} → {int(first['own_ads_after']):,}"


def test_what_changed_before_a_second_refresh_says_when_changes_appear(demo_url, workspace):
    brand_id = unscored_brand(workspace)
    at = open_page("elements")
    at.selectbox(key="sidebar_brand").select(brand_id).run()
    assert_clean(at)
    assert changes.EMPTY in page_text(at)


# --- simulation -------------------------------------------------------------------------------------------
def test_simulation_explains_its_words_and_says_when_seeds_are_too_few(empty_url):
    at = open_page("simulation")
    assert at.slider(key="simulation_seeds").value == 20
    assert "**Regret**" in page_text(at) and "**Seeds**" in page_text(at)
    at.slider(key="simulation_days").set_value(14)
    at.slider(key="simulation_ads_per_day").set_value(3)
    at.slider(key="simulation_seeds").set_value(1)
    at.form_submit_button[0].click().run()
    assert_clean(at)
    assert "too few to compare policies" in page_text(at)


@pytest.mark.parametrize("seeds", [3])
def test_simulation_shows_the_mean_with_its_interval_and_the_comparison(empty_url, seeds):
    at = open_page("simulation")
    at.slider(key="simulation_days").set_value(14)
    at.slider(key="simulation_ads_per_day").set_value(3)
    at.slider(key="simulation_seeds").set_value(seeds)
    at.form_submit_button[0].click().run()
    assert_clean(at)
    summary = at.dataframe[0].value
    assert summary["Cumulative regret"].str.contains(" ± ").all()
    text = page_text(at)
    assert f"With {seeds} seeds the difference" in text or f"Over {seeds} seeds" in text


def test_what_changed_on_overview_lists_movers_across_brands(demo_url, workspace):
    at = open_page("overview")
    assert_clean(at)
    since = pd.Timestamp.now("UTC").date() - pd.Timedelta(days=changes.WINDOW_DAYS)
    expected = movers.movers(workspace.score_history_since(since), workspace.settings, labels=False)
    assert expected["brand_id"].nunique() > 1
    assert "What changed" in page_text(at)
    up = next(f.value for f in at.dataframe if "Own ads" in f.value.columns)
    wanted = expected.loc[expected["direction"] == "up"].head(changes.SHOWN)
    names = workspace.brands().set_index("id")["name"]
    assert up["Brand"].tolist() == names.loc[wanted["brand_id"]].tolist()
    assert up["Value"].tolist() == wanted["element_value"].tolist()
    assert "Label" not in up.columns  # label changes are on each brand's Elements page


def test_what_changed_on_an_overview_before_a_second_refresh_says_when_changes_appear(empty_url):
    g = genome.open(empty_url)
    many_values_brand(g, 3)
    g.refresh()
    g.close()
    at = open_page("overview")
    assert_clean(at)
    assert changes.EMPTY in page_text(at)


def test_score_a_configuration_offers_a_bounded_list_with_the_recommended_value(demo_url, workspace):
    brand_id = many_values_brand(workspace, 150)
    at = open_page("preview")
    at.selectbox(key="sidebar_brand").select(brand_id).run()
    assert_clean(at)
    seed = at.session_state["preview_seed"]
    box = at.selectbox(key=f"preview_pick_{brand_id}_{seed}_hook_type")
    recommended = workspace.recommend(brand_id, seed=seed)["hook_type"]
    assert len(box.options) <= 101 and recommended in box.options and box.value == recommended
    assert "values with the highest P(best)" in page_text(at)
