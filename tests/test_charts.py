"""The dashboard's plotly figure builders: exact data in the traces, escaped labels, the note."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard import charts


def posteriors_frame(values: list[str], alphas: list[float], betas: list[float], labels=None) -> pd.DataFrame:
    alpha, beta = np.array(alphas, dtype=float), np.array(betas, dtype=float)
    mean = alpha / (alpha + beta)
    return pd.DataFrame(
        {
            "element_name": "hook_type",
            "element_value": values,
            "alpha": alpha,
            "beta": beta,
            "mean": mean,
            "ci_low": stats.beta.ppf(0.025, alpha, beta),
            "ci_high": stats.beta.ppf(0.975, alpha, beta),
            "p_best": np.full(len(values), 1 / len(values)),
            "observations": np.arange(len(values), dtype=float) + 3,
            "label": labels or ["Good"] * len(values),
        }
    )


THREE = posteriors_frame(["question", "<b>bold</b>", "stat"], [2, 9, 4], [8, 3, 4], ["Low", "Best", "Good"])


def history_frame() -> pd.DataFrame:
    dates = pd.to_datetime(["2026-11-05", "2026-11-12", "2026-11-19"])
    return pd.DataFrame(
        {
            "as_of": np.tile(dates, 2),
            "element_name": "hook_type",
            "element_value": np.repeat(["question", "stat"], 3),
            "alpha": [2.0, 3.0, 4.0, 1.0, 1.5, 2.0],
            "beta": [2.0, 2.0, 2.0, 1.0, 1.5, 3.0],
            "mean_reward": [0.5, 0.6, 2 / 3, 0.5, 0.5, 0.4],
            "total_observations": [1, 2, 3, 0, 1, 2],
        }
    )


def metric_frame() -> pd.DataFrame:
    dates = pd.to_datetime(["2026-11-12", "2026-11-19"])
    return pd.DataFrame(
        {
            "as_of": np.tile(dates, 2),
            "brand_id": np.repeat(["b1", "b2"], 2),
            "metric_name": "approval_rate",
            "metric_value": [0.5, 0.15, 0.3, 0.05],
            "warning": 0.2,
            "critical": 0.1,
        }
    )


def test_escape_text_neutralises_markup_and_keeps_plain_text():
    escaped = charts.escape_text(pd.Series(["<a href='x'>hi</a>", "R&D", "plain", None]))
    assert escaped.tolist() == ["&lt;a href='x'&gt;hi&lt;/a&gt;", "R&amp;D", "plain", ""]
    assert charts.escape_text("<br>") == "&lt;br&gt;"


def test_density_curves_are_the_beta_pdf_ordered_by_mean():
    fig = charts.beta_density_figure(THREE, "hook_type")
    assert [t.name for t in fig.data] == ["&lt;b&gt;bold&lt;/b&gt;", "stat", "question"]
    x = np.asarray(fig.data[0].x)
    assert len(x) == charts.DENSITY_POINTS and x.min() > 0 and x.max() < 1
    np.testing.assert_allclose(fig.data[0].y, stats.beta.pdf(x, 9, 3), rtol=1e-12)
    np.testing.assert_allclose(fig.data[2].y, stats.beta.pdf(x, 2, 8), rtol=1e-12)
    area = np.trapezoid(fig.data[1].y, x)
    assert area == pytest.approx(1.0, abs=1e-3)


def test_density_curves_are_capped_and_the_cap_is_named():
    values = [f"v{i}" for i in range(5)]
    frame = posteriors_frame(values, [1, 2, 3, 4, 5], [5, 5, 5, 5, 5])
    fig = charts.beta_density_figure(frame, "hook_type", max_curves=2)
    assert [t.name for t in fig.data] == ["v4", "v3"]
    assert fig.layout.title.subtitle.text == "top 2 of 5 values by posterior mean"


def test_forest_plot_carries_exact_means_and_interval_arms():
    fig = charts.credible_interval_figure(THREE, "hook_type")
    (trace,) = fig.data
    assert list(trace.y) == ["question", "stat", "&lt;b&gt;bold&lt;/b&gt;"]  # mean ascending
    assert list(trace.text) == ["Low", "Good", "Best"]  # the label is written beside each value
    row = THREE.iloc[1]
    assert trace.x[2] == pytest.approx(0.75)
    assert trace.error_x.array[2] == pytest.approx(row["ci_high"] - 0.75)
    assert trace.error_x.arrayminus[2] == pytest.approx(0.75 - row["ci_low"])
    assert list(fig.layout.yaxis.categoryarray) == ["question", "stat", "&lt;b&gt;bold&lt;/b&gt;"]


def test_forest_plot_labels_every_value_at_many_values():
    values = [f"value {i:02d}" for i in range(15)]
    frame = posteriors_frame(values, list(range(1, 16)), [5] * 15)
    fig = charts.credible_interval_figure(frame, "hook_type")
    assert fig.layout.yaxis.tickmode == "array"
    assert sorted(fig.layout.yaxis.ticktext) == values  # no label dropped
    assert fig.layout.height >= 15 * charts.ROW_HEIGHT


def test_long_values_are_cut_with_an_ellipsis_and_keep_their_full_text_in_hover():
    long_a, long_b = "a" * 199 + "1", "a" * 199 + "2"  # same 31-character prefix
    frame = posteriors_frame([long_a, long_b, "short"], [2, 3, 4], [4, 4, 4])
    forest = charts.credible_interval_figure(frame, "hook_type")
    ticks = list(forest.layout.yaxis.ticktext)
    assert max(len(t) for t in ticks) <= charts.MAX_LABEL_CHARS and "short" in ticks
    assert sum(t.endswith("…") for t in ticks) == 2
    assert set(forest.data[0].y) == {long_a, long_b, "short"}  # categories stay distinct and full
    density = charts.beta_density_figure(frame, "hook_type")
    assert max(len(t.name) for t in density.data) <= charts.MAX_LABEL_CHARS
    assert any(long_a in t.hovertemplate for t in density.data)


def test_one_value_has_one_colour_across_the_charts_and_never_a_label_colour():
    colours = charts.colour_map(["question", "stat", "<b>bold</b>", "gone"])
    density = charts.beta_density_figure(THREE, "hook_type", colours=colours)
    forest = charts.credible_interval_figure(THREE, "hook_type", colours=colours)
    history = charts.posterior_history_figure(history_frame(), "hook_type", colours=colours)
    by_density = {t.hovertemplate.split("<br>")[0]: t.line.color for t in density.data}
    by_forest = dict(zip(forest.data[0].y, forest.data[0].marker.color, strict=True))
    by_history = {t.name: t.line.color for t in history.data}
    assert by_density == by_forest == {charts.escape_text(k): v for k, v in colours.items() if k != "gone"}
    assert by_history == {"question": colours["question"], "stat": colours["stat"]}
    assert len(set(by_forest.values())) == 3
    forbidden = {*charts.LABEL_COLOURS.values(), *charts.THRESHOLD_COLOURS.values(), charts.BORROWED_COLOUR}
    assert not forbidden & set(charts.PALETTE)


def test_borrowed_values_are_drawn_hollow_and_say_so():
    frame = THREE.assign(evidence=["own", "borrowed", "none"])
    forest = charts.credible_interval_figure(frame, "hook_type")
    trace = forest.data[0]
    shown = dict(zip(trace.y, trace.text, strict=True))
    assert shown["&lt;b&gt;bold&lt;/b&gt;"] == "Borrowed" and shown["question"] == "Low"
    assert shown["stat"] == "No data yet"
    fill = dict(zip(trace.y, trace.marker.color, strict=True))
    assert fill["&lt;b&gt;bold&lt;/b&gt;"] == "rgba(0,0,0,0)" and fill["question"] != "rgba(0,0,0,0)"
    density = charts.beta_density_figure(frame, "hook_type")
    borrowed = next(t for t in density.data if "bold" in t.name)
    assert borrowed.line.dash == "dot" and charts.BORROWED_NOTE in borrowed.hovertemplate


def test_history_with_one_refresh_is_a_sentence_and_dates_tick_by_day():
    frame = history_frame()
    one = frame.loc[frame["as_of"] == pd.Timestamp("2026-11-19")]
    fig = charts.posterior_history_figure(one, "hook_type")
    assert len(fig.data) == 0
    assert "Only one refresh so far (2026-11-19)" in fig.layout.annotations[0].text
    two = frame.loc[frame["as_of"] >= pd.Timestamp("2026-11-12")]
    axis = charts.posterior_history_figure(two, "hook_type").layout.xaxis
    assert axis.type == "date" and axis.dtick == charts.DAY_MS and axis.tickformat == "%Y-%m-%d"


def test_history_shows_only_the_values_asked_for():
    fig = charts.posterior_history_figure(history_frame(), "hook_type", values=["stat"])
    assert [t.name for t in fig.data] == ["stat"]


def test_brand_colours_do_not_change_with_the_filter():
    names = {"b1": "One", "b2": "Two", "b3": "Three"}
    full = charts.metric_history_figure(metric_frame(), "approval_rate", names)
    only_b2 = metric_frame().query("brand_id == 'b2'")
    filtered = charts.metric_history_figure(only_b2, "approval_rate", names)
    assert full.data[1].name == filtered.data[0].name == "Two"
    assert full.data[1].line.color == filtered.data[0].line.color


def test_a_metric_without_a_value_yet_says_not_enough_data():
    frame = metric_frame().assign(metric_value=np.nan)
    fig = charts.metric_history_figure(frame, "approval_rate")
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text.startswith("Not enough data yet: approval rate")


def test_policy_colours_do_not_depend_on_which_policies_ran():
    curves = pd.DataFrame(
        {
            "policy": ["a", "b"],
            "day": [0, 0],
            "metric": "cumulative_regret",
            "mean": 1.0,
            "low": 0.0,
            "high": 2.0,
        }
    )
    colours = charts.colour_map(["a", "b", "c"])
    both = charts.study_curve_figure(curves, colours=colours)
    only_b = charts.study_curve_figure(curves.iloc[1:], colours=colours)
    line = {t.name: t.line.color for t in both.data if t.fill is None}
    assert line["b"] == next(t.line.color for t in only_b.data if t.fill is None) == colours["b"]


def test_posterior_history_draws_one_line_per_value_in_date_order():
    fig = charts.posterior_history_figure(history_frame(), "hook_type")
    assert [t.name for t in fig.data] == ["question", "stat"]
    np.testing.assert_allclose(fig.data[0].y, [0.5, 0.6, 2 / 3])
    assert list(pd.to_datetime(fig.data[1].x)) == list(
        pd.to_datetime(["2026-11-05", "2026-11-12", "2026-11-19"])
    )


@pytest.mark.parametrize(("matured", "rate"), [(0, 0.30), (50, 0.30 * np.exp(-0.5)), (1000, 0.05)])
def test_exploration_curve_marks_the_brand_on_the_rule(matured, rate):
    fig = charts.exploration_curve_figure(matured, "Acme <Shoes>")
    curve, point = fig.data
    assert point.x[0] == matured and point.y[0] == pytest.approx(rate)
    assert point.text[0] == "Acme &lt;Shoes&gt;"
    assert curve.y[0] == pytest.approx(0.30)
    assert max(curve.x) >= matured


def test_exploration_curve_shades_the_cold_start_levels_at_their_boundaries():
    fig = charts.exploration_curve_figure(10)
    assert [(s.x0, s.x1) for s in fig.layout.shapes] == [(0, 1), (1, 30), (30, 100), (100, 300)]
    labels = [a.text for a in fig.layout.annotations if a.text]
    assert labels == ["level 1", "level 2", "level 3"]  # level 0 is a single point: too narrow to label


def test_exploration_curve_for_a_large_brand_stays_small_and_keeps_the_boundaries():
    fig = charts.exploration_curve_figure(5000)
    step = 7500 / charts.CURVE_POINTS
    assert len(fig.data[0].x) <= charts.CURVE_POINTS + 1
    starts = [s.x0 for s in fig.layout.shapes]
    assert starts[0] == 0 and fig.layout.shapes[-1].x1 == 7500
    assert 30 <= starts[2] <= 30 + step and 100 <= starts[3] <= 100 + step


def test_metric_history_has_a_line_per_brand_and_the_threshold_lines():
    fig = charts.metric_history_figure(metric_frame(), "approval_rate", {"b1": "Brand <One>"})
    names = [t.name for t in fig.data]
    assert names == ["Brand &lt;One&gt;", "b2", "warning threshold", "critical threshold"]
    np.testing.assert_allclose(fig.data[1].y, [0.3, 0.05])
    np.testing.assert_allclose(fig.data[2].y, [0.2, 0.2])
    np.testing.assert_allclose(fig.data[3].y, [0.1, 0.1])


def test_study_curves_draw_a_band_and_a_mean_line_per_policy():
    curves = pd.DataFrame(
        {
            "policy": np.repeat(["thompson", "uniform"], 3),
            "day": np.tile([0, 1, 2], 2),
            "metric": "cumulative_regret",
            "mean": [0.1, 0.2, 0.25, 0.3, 0.6, 0.9],
            "low": [0.0, 0.1, 0.2, 0.2, 0.5, 0.8],
            "high": [0.2, 0.3, 0.3, 0.4, 0.7, 1.0],
        }
    )
    other = curves.assign(metric="best_share", mean=0.5)
    fig = charts.study_curve_figure(pd.concat([curves, other]), "cumulative_regret")
    lines = [t for t in fig.data if t.fill is None]
    assert [t.name for t in lines] == ["thompson", "uniform"]
    np.testing.assert_allclose(lines[1].y, [0.3, 0.6, 0.9])
    bands = [t for t in fig.data if t.fill == "toself"]
    np.testing.assert_allclose(bands[0].y, [0.2, 0.3, 0.3, 0.2, 0.1, 0.0])
    np.testing.assert_array_equal(bands[0].x, [0, 1, 2, 2, 1, 0])
    assert bands[0].fillcolor == lines[0].line.color != lines[1].line.color


def has_note(fig) -> bool:
    return any(a.text == charts.CORRELATIONAL_NOTE for a in fig.layout.annotations)


@pytest.mark.parametrize(
    ("build", "noted"),
    [
        (lambda: charts.beta_density_figure(THREE, "hook_type"), True),
        (lambda: charts.credible_interval_figure(THREE, "hook_type"), True),
        (lambda: charts.posterior_history_figure(history_frame(), "hook_type"), True),
        (lambda: charts.exploration_curve_figure(10), False),
        (lambda: charts.metric_history_figure(metric_frame(), "approval_rate"), False),
    ],
    ids=["density", "forest", "history", "exploration", "metrics"],
)
def test_findings_charts_carry_the_correlational_note(build, noted):
    assert has_note(build()) is noted


@pytest.mark.parametrize(
    "build",
    [
        lambda: charts.beta_density_figure(THREE, "colour_mode"),
        lambda: charts.credible_interval_figure(THREE.iloc[0:0], "hook_type"),
        lambda: charts.posterior_history_figure(history_frame().iloc[0:0], "hook_type"),
        lambda: charts.metric_history_figure(metric_frame(), "winner_rate"),
        lambda: charts.study_curve_figure(
            pd.DataFrame(columns=["policy", "day", "metric", "mean", "low", "high"])
        ),
    ],
    ids=["density", "forest", "history", "metrics", "study"],
)
def test_empty_inputs_give_a_message_not_an_error(build):
    fig = build()
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text.startswith(("No ", "Run "))
