"""Plotly figure builders for the dashboard: DataFrames in, figures out. No Streamlit, no I/O.

Every label that comes from data is HTML-escaped, because plotly renders a subset of HTML in tick
labels, legends and hover text. Figures that show findings about elements carry the
"correlational, not causal" note.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from genome import coldstart

CORRELATIONAL_NOTE = "Correlational, not causal: elements were not randomly assigned to ads."
DENSITY_POINTS = 400  # x grid of the Beta density curves (open interval, so pdf stays finite)
MAX_DENSITY_CURVES = 12  # curves drawn per dimension; the rest are named in the subtitle
MIN_CURVE_ADS = 300  # the exploration curve always spans at least this many matured ads
MIN_LABELLED_BAND = 0.03  # narrower level bands get no label (level 0 is one point; labels would overlap)
CURVE_POINTS = 1000  # at most this many points on the exploration curve (integers while the span allows)
LABEL_COLOURS = {"Best": "#2b8a3e", "Good": "#3b5bdb", "Low": "#c92a2a", "Learning": "#868e96"}
POLICY_COLOURS = ("#3b5bdb", "#e8590c", "#2b8a3e", "#ae3ec9", "#1098ad", "#f08c00")
THRESHOLD_COLOURS = {"warning": "#f08c00", "critical": "#e03131"}
NOTE_MARGIN = 90  # bottom margin (px) that leaves room for the note under the axis


def escape_text(values: pd.Series | list[str] | str) -> pd.Series | str:
    """HTML-escape data text for plotly (which renders <b>, <a>, <br> in labels and hovers)."""
    if isinstance(values, str):
        return escape_text(pd.Series([values])).iloc[0]
    series = pd.Series(values, dtype="string").fillna("")
    return (
        series.str.replace("&", "&amp;", regex=False)
        .str.replace("<", "&lt;", regex=False)
        .str.replace(">", "&gt;", regex=False)
    )


def beta_density_figure(
    posteriors: pd.DataFrame, element_name: str, max_curves: int = MAX_DENSITY_CURVES
) -> go.Figure:
    """Beta(alpha, beta) density of each value of one dimension, highest posterior mean first."""
    rows = _dimension(posteriors, element_name).sort_values("mean", ascending=False, kind="stable")
    title = f"Posterior densities: {escape_text(element_name)}"
    if rows.empty:
        return _empty(title, "No scored values for this dimension yet.")
    shown = rows.head(max_curves)
    grid = np.linspace(0.0, 1.0, DENSITY_POINTS + 2)[1:-1]
    alpha = shown["alpha"].to_numpy(dtype=float)[:, None]
    beta = shown["beta"].to_numpy(dtype=float)[:, None]
    density = stats.beta.pdf(grid[None, :], alpha, beta)
    names = escape_text(shown["element_value"]).tolist()
    fig = go.Figure(
        [
            go.Scatter(
                x=grid,
                y=curve,
                mode="lines",
                name=name,
                hovertemplate=f"{name}<br>reward %{{x:.3f}}<br>density %{{y:.2f}}<extra></extra>",
            )
            for name, curve in zip(names, density, strict=True)  # at most max_curves traces
        ]
    )
    subtitle = f"top {len(shown)} of {len(rows)} values by posterior mean" if len(rows) > len(shown) else ""
    fig.update_layout(xaxis_title="expected reward", yaxis_title="density", legend_title_text="value")
    return _finish(fig, title, subtitle, note=True)


def credible_interval_figure(posteriors: pd.DataFrame, element_name: str) -> go.Figure:
    """Forest plot: posterior mean and 95 % credible interval of each value, coloured by label."""
    rows = _dimension(posteriors, element_name).sort_values("mean", ascending=True, kind="stable")
    title = f"Posterior mean and 95 % credible interval: {escape_text(element_name)}"
    if rows.empty:
        return _empty(title, "No scored values for this dimension yet.")
    rows = rows.assign(
        display=escape_text(rows["element_value"]).to_numpy(),
        label=rows["label"].astype("string").fillna("Learning"),
    )
    fig = go.Figure()
    for label, group in rows.groupby("label", sort=False):  # one trace per label (a handful)
        mean = group["mean"].to_numpy(dtype=float)
        fig.add_trace(
            go.Scatter(
                x=mean,
                y=group["display"].tolist(),
                mode="markers",
                name=escape_text(str(label)),
                marker={"size": 10, "color": LABEL_COLOURS.get(str(label), "#495057")},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": group["ci_high"].to_numpy(dtype=float) - mean,
                    "arrayminus": mean - group["ci_low"].to_numpy(dtype=float),
                },
                customdata=np.column_stack(
                    [group[c].to_numpy(dtype=float) for c in ("ci_low", "ci_high", "p_best", "observations")]
                ),
                hovertemplate=(
                    "%{y}<br>mean %{x:.3f} (95 % CI %{customdata[0]:.3f}–%{customdata[1]:.3f})"
                    "<br>P(best) %{customdata[2]:.1%}<br>observations %{customdata[3]:.0f}<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        xaxis={"title": "expected reward", "range": [0, 1]},
        yaxis={"categoryorder": "array", "categoryarray": rows["display"].tolist()},
        legend_title_text="label",
        height=max(260, 60 + 28 * len(rows)),
    )
    return _finish(fig, title, "", note=True)


def posterior_history_figure(history: pd.DataFrame, element_name: str) -> go.Figure:
    """Posterior mean of each value of one dimension over the refreshes that snapshotted it."""
    rows = _dimension(history, element_name)
    title = f"Posterior mean over refreshes: {escape_text(element_name)}"
    if rows.empty:
        return _empty(title, "No refresh history for this dimension yet.")
    rows = rows.sort_values(["element_value", "as_of"], kind="stable")
    fig = go.Figure()
    for value, group in rows.groupby("element_value", sort=True):  # one line per value of the dimension
        name = escape_text(str(value))
        fig.add_trace(
            go.Scatter(
                x=group["as_of"],
                y=group["mean_reward"].to_numpy(dtype=float),
                mode="lines+markers",
                name=name,
                customdata=group["total_observations"].to_numpy(dtype=float),
                hovertemplate=f"{name}<br>%{{x|%Y-%m-%d}}: mean %{{y:.3f}}"
                "<br>observations %{customdata:.0f}<extra></extra>",
            )
        )
    fig.update_layout(xaxis_title="refresh date", yaxis={"title": "posterior mean", "range": [0, 1]})
    return _finish(fig, title, "", note=True)


def exploration_curve_figure(
    matured_ads: int, brand_name: str = "", parameters: Mapping[str, float] | None = None
) -> go.Figure:
    """The exploration-rate rule over matured ads, cold-start levels shaded, the brand marked on it;
    `parameters` are the rule's floor, start and scale (`coldstart.exploration_parameters`)."""
    parameters = dict(parameters or {})
    span = max(MIN_CURVE_ADS, int(np.ceil(matured_ads * 1.5)))
    grid = np.unique(np.linspace(0, span, min(span, CURVE_POINTS) + 1).round())
    rates = coldstart.exploration_rate(grid, **parameters)
    levels = coldstart.cold_start_level(grid)
    fig = go.Figure(
        go.Scatter(
            x=grid,
            y=rates,
            mode="lines",
            name="exploration rate",
            hovertemplate="%{x} matured ads: %{y:.1%}<extra></extra>",
        )
    )
    starts = np.concatenate([[0], np.flatnonzero(np.diff(levels)) + 1])  # grid index where a level begins
    bounds = np.append(grid[starts], span)
    for x0, x1, level in zip(bounds[:-1], bounds[1:], levels[starts], strict=True):  # one band per level
        fig.add_vrect(
            x0=float(x0),
            x1=float(x1),
            fillcolor="#adb5bd",
            opacity=0.06 if int(level) % 2 == 0 else 0.16,
            line_width=0,
            annotation_text=f"level {int(level)}" if x1 - x0 >= span * MIN_LABELLED_BAND else "",
            annotation_position="top left",
        )
    brand_rate = float(coldstart.exploration_rate(matured_ads, **parameters))
    label = escape_text(brand_name) or "this brand"
    fig.add_trace(
        go.Scatter(
            x=[matured_ads],
            y=[brand_rate],
            mode="markers+text",
            name=label,
            text=[label],
            textposition="top right",
            marker={"size": 14, "color": "#e8590c", "symbol": "diamond"},
            hovertemplate=f"{label}: %{{x}} matured ads, rate %{{y:.1%}}<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis_title="matured ads",
        yaxis={
            "title": "exploration rate",
            "tickformat": ".0%",
            "range": [0, max(float(rates.max()), 0.01) * 1.1],
        },
        showlegend=False,
    )
    return _finish(fig, "Exploration rate by matured ads", "", note=False)


def metric_history_figure(
    history: pd.DataFrame, metric_name: str, brand_names: dict | None = None
) -> go.Figure:
    """One health metric over validations, one line per brand, with its warning and critical lines."""
    rows = history.loc[history["metric_name"] == metric_name].sort_values(
        ["brand_id", "as_of"], kind="stable"
    )
    title = f"{escape_text(metric_name)} over validations"
    if rows.empty:
        return _empty(title, "No validation has recorded this metric yet.")
    names = brand_names or {}
    fig = go.Figure()
    for brand_id, group in rows.groupby("brand_id", sort=True):  # one line per brand
        name = escape_text(str(names.get(brand_id, brand_id)))
        fig.add_trace(
            go.Scatter(
                x=group["as_of"],
                y=group["metric_value"].to_numpy(dtype=float),
                mode="lines+markers",
                name=name,
                hovertemplate=f"{name}<br>%{{x|%Y-%m-%d}}: %{{y:.3f}}<extra></extra>",
            )
        )
    limits = rows.groupby("as_of", sort=True)[["warning", "critical"]].first()
    for column, colour in THRESHOLD_COLOURS.items():
        fig.add_trace(
            go.Scatter(
                x=limits.index,
                y=limits[column].to_numpy(dtype=float),
                mode="lines",
                name=f"{column} threshold",
                line={"color": colour, "dash": "dash", "shape": "hv"},
                hovertemplate=f"{column} threshold %{{y:.3f}}<extra></extra>",
            )
        )
    fig.update_layout(xaxis_title="validation date", yaxis_title=escape_text(metric_name))
    return _finish(fig, title, "", note=False)


STUDY_METRICS = {
    "cumulative_regret": ("Cumulative regret", "conversions per 1,000 impressions given up"),
    "regret_per_ad": ("Regret per ad", "conversions per 1,000 impressions given up"),
    "best_share": ("Share of dimensions at their true best value", "share"),
}


def study_curve_figure(curves: pd.DataFrame, metric: str = "cumulative_regret") -> go.Figure:
    """One simulated metric per policy over days: the mean over seeds, with its low–high band.

    `curves`: policy, day, metric, mean, low, high (the long frame genome.simulation reports).
    """
    title, unit = STUDY_METRICS.get(metric, (metric, metric))
    title = f"{escape_text(title)} by policy (simulated)"
    rows = curves.loc[curves["metric"] == metric]
    if rows.empty:
        return _empty(title, "Run a simulation to see its curves.")
    fig = go.Figure()
    groups = rows.sort_values(["policy", "day"]).groupby("policy", sort=False)
    for index, (policy, group) in enumerate(groups):  # a few policies
        name = escape_text(str(policy))
        colour = POLICY_COLOURS[index % len(POLICY_COLOURS)]
        days = group["day"].to_numpy()
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([days, days[::-1]]),
                y=np.concatenate(
                    [group["high"].to_numpy(dtype=float), group["low"].to_numpy(dtype=float)[::-1]]
                ),
                fill="toself",
                fillcolor=colour,
                opacity=0.15,
                line={"width": 0, "color": colour},
                hoverinfo="skip",
                showlegend=False,
                legendgroup=name,
                name=f"{name} band",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=group["mean"].to_numpy(dtype=float),
                mode="lines",
                line={"color": colour},
                name=name,
                legendgroup=name,
                hovertemplate=f"{name}<br>day %{{x}}: %{{y:.3f}}<extra></extra>",
            )
        )
    fig.update_layout(xaxis_title="simulated day", yaxis_title=unit, legend_title_text="policy")
    if metric == "best_share":
        fig.update_yaxes(range=[0, 1], tickformat=".0%")
    return _finish(fig, title, "mean over simulated brands; band: 10th–90th percentile", note=False)


def _dimension(frame: pd.DataFrame, element_name: str) -> pd.DataFrame:
    return frame.loc[frame["element_name"] == element_name]


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
    fig.update_layout(xaxis_visible=False, yaxis_visible=False, height=220)
    return _finish(fig, title, "", note=False)


def _finish(fig: go.Figure, title: str, subtitle: str, note: bool) -> go.Figure:
    fig.update_layout(
        title={"text": title, "subtitle": {"text": subtitle}},
        margin={"t": 70, "b": NOTE_MARGIN if note else 40},
        hovermode="closest",
    )
    if note:
        fig.add_annotation(
            text=CORRELATIONAL_NOTE,
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            yshift=-NOTE_MARGIN + 12,
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            font={"size": 11, "color": "#868e96"},
            name="correlational-note",
        )
    return fig
