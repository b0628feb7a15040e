"""Plotly figure builders for the dashboard: DataFrames in, figures out. No Streamlit, no I/O.

Every label that comes from data is HTML-escaped, because plotly renders a subset of HTML in tick
labels, legends and hover text. Figures that show findings about elements carry the
"correlational, not causal" note.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from dashboard import formats
from genome import coldstart

CORRELATIONAL_NOTE = "Correlational, not causal: elements were not randomly assigned to ads."
DENSITY_POINTS = 400  # x grid of the Beta density curves (open interval, so pdf stays finite)
MAX_DENSITY_CURVES = 12  # curves drawn per dimension; the rest are named in the subtitle
MIN_CURVE_ADS = 300  # the exploration curve always spans at least this many matured ads
MIN_LABELLED_BAND = 0.03  # narrower level bands get no label (level 0 is one point; labels would overlap)
CURVE_POINTS = 1000  # at most this many points on the exploration curve (integers while the span allows)
LABEL_COLOURS = {"Best": "#2b8a3e", "Good": "#3b5bdb", "Low": "#c92a2a", "Learning": "#868e96"}
THRESHOLD_COLOURS = {"warning": "#f08c00", "critical": "#e03131"}
# Colours of element values, brands and policies: none is a label or threshold colour (no red, no
# label green, blue or grey), so a colour never means both "Low" and a value.
PALETTE = (
    "#0c8599", "#862e9c", "#a0522d", "#1c3d5a", "#b08900", "#5f3dc4",
    "#f783ac", "#808000", "#e599f7", "#22b8cf", "#5c3d2e", "#ff922b",
)  # fmt: skip
POLICY_COLOURS = PALETTE  # kept for callers that name it
BORROWED_COLOUR = "#adb5bd"  # values without own ads are drawn hollow and pale, never like evidence
BORROWED_NOTE = "Borrowed, not this brand's results"  # how a page marks a value known only from a prior
NO_DATA_NOTE = "No data yet"  # a value with neither own ads nor a borrowed prior
NOTE_MARGIN = 90  # bottom margin (px) that leaves room for the note under the axis
MAX_LABEL_CHARS = 32  # longer value labels end in an ellipsis; hover shows the full text
ROW_HEIGHT = 28  # px per value row of the interval chart, so every row keeps its label
DAY_MS = 86_400_000  # one day in plotly's date-axis milliseconds


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


def short_label(values: pd.Series | list[str] | str, limit: int = MAX_LABEL_CHARS) -> pd.Series | str:
    """Data text cut to `limit` characters with an ellipsis, then HTML-escaped (for ticks and legends)."""
    if isinstance(values, str):
        return short_label(pd.Series([values]), limit).iloc[0]
    series = pd.Series(values, dtype="string").fillna("")
    cut = series.str.len() > limit
    return escape_text(series.where(~cut, series.str.slice(0, limit - 1).str.rstrip() + "…"))


def colour_map(keys: object) -> dict[str, str]:
    """One palette colour per key, deterministic: keys sorted, then the palette in turn. Build it once
    from every value of a dimension (or every brand, or every policy) and pass it to each chart, so a
    key has the same colour in every chart of a page and on every page, whatever a filter shows."""
    ordered = sorted(set(pd.Series(keys, dtype="string").dropna().tolist()))
    return {key: PALETTE[index % len(PALETTE)] for index, key in enumerate(ordered)}


def _colour(colours: Mapping[str, str], key: object) -> str:
    return colours.get(str(key), PALETTE[zlib.crc32(str(key).encode("utf-8")) % len(PALETTE)])


def _own(frame: pd.DataFrame) -> np.ndarray:
    """True where a value rests on the brand's own ads (frames without `evidence` count observations)."""
    if "evidence" in frame.columns:
        return (frame["evidence"] == "own").to_numpy()
    return frame["observations"].to_numpy(dtype=float) > 0


def _not_own_note(frame: pd.DataFrame) -> np.ndarray:
    """Per value: "" for own evidence, else BORROWED_NOTE or NO_DATA_NOTE."""
    borrowed = (frame["evidence"] == "borrowed").to_numpy() if "evidence" in frame.columns else False
    return np.select([_own(frame), borrowed], ["", BORROWED_NOTE], NO_DATA_NOTE).astype(object)


def beta_density_figure(
    posteriors: pd.DataFrame,
    element_name: str,
    max_curves: int = MAX_DENSITY_CURVES,
    colours: Mapping[str, str] | None = None,
) -> go.Figure:
    """Beta(alpha, beta) density of each value of one dimension, highest posterior mean first.

    Values without own ads (borrowed or uniform priors) are drawn dotted and pale: not evidence."""
    rows = _dimension(posteriors, element_name).sort_values("mean", ascending=False, kind="stable")
    title = f"How sure we are: {escape_text(formats.title(element_name))}"
    if rows.empty:
        return _empty(title, "No scored values for this dimension yet.")
    colours = colours if colours is not None else colour_map(rows["element_value"])
    shown = rows.head(max_curves)
    grid = np.linspace(0.0, 1.0, DENSITY_POINTS + 2)[1:-1]
    alpha = shown["alpha"].to_numpy(dtype=float)[:, None]
    beta = shown["beta"].to_numpy(dtype=float)[:, None]
    density = stats.beta.pdf(grid[None, :], alpha, beta)
    values = shown["element_value"].astype(str).tolist()
    names, full = short_label(values).tolist(), escape_text(values).tolist()
    own, notes = _own(shown), _not_own_note(shown)
    fig = go.Figure(
        [
            go.Scatter(
                x=grid,
                y=curve,
                mode="lines",
                name=name if is_own else f"{name} ({note.split(',')[0].lower()})",
                line={
                    "color": _colour(colours, value) if is_own else BORROWED_COLOUR,
                    "dash": "solid" if is_own else "dot",
                },
                hovertemplate=f"{text}{'' if is_own else ' — ' + note}"
                "<br>reward %{x:.3f}<br>density %{y:.2f}<extra></extra>",
            )
            for value, name, text, curve, is_own, note in zip(
                values, names, full, density, own, notes, strict=True
            )
        ]  # at most max_curves traces
    )
    subtitle = f"top {len(shown)} of {len(rows):,} values by posterior mean" if len(rows) > len(shown) else ""
    fig.update_layout(
        xaxis_title="expected reward",
        yaxis_title="density (taller, narrower: surer)",
        legend_title_text="value",
    )
    return _finish(fig, title, subtitle, note=True)


def credible_interval_figure(
    posteriors: pd.DataFrame, element_name: str, colours: Mapping[str, str] | None = None
) -> go.Figure:
    """Forest plot: posterior mean and 95 % credible interval of each value, one row per value (every
    row labelled), the value's colour on every chart, its label as text; borrowed values hollow."""
    rows = _dimension(posteriors, element_name).sort_values("mean", ascending=True, kind="stable")
    title = f"Mean reward and 95 % interval: {escape_text(formats.title(element_name))}"
    if rows.empty:
        return _empty(title, "No scored values for this dimension yet.")
    colours = colours if colours is not None else colour_map(rows["element_value"])
    own = _own(rows)
    label = rows["label"].astype("string").fillna("Learning")
    mean = rows["mean"].to_numpy(dtype=float)
    full = escape_text(rows["element_value"]).tolist()  # unique category per value
    marker_colours = [_colour(colours, value) for value in rows["element_value"].astype(str)]  # shown rows
    fig = go.Figure(
        go.Scatter(
            x=mean,
            y=full,
            mode="markers+text",
            text=np.where(own, label.to_numpy(dtype=object), np.char.partition(
                _not_own_note(rows).astype(str), ","
            )[:, 0]).tolist(),  # "Borrowed" or "No data yet" beside a value without own ads
            textposition="middle right",
            textfont={"color": [LABEL_COLOURS.get(str(x), "#495057") if o else BORROWED_COLOUR
                                for x, o in zip(label, own, strict=True)]},
            showlegend=False,
            marker={
                "size": 11,
                "color": np.where(own, marker_colours, "rgba(0,0,0,0)").tolist(),
                "line": {"width": 2, "color": np.where(own, marker_colours, BORROWED_COLOUR).tolist()},
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "array": rows["ci_high"].to_numpy(dtype=float) - mean,
                "arrayminus": mean - rows["ci_low"].to_numpy(dtype=float),
                "color": "#868e96",
            },
            hovertext=_interval_hover(rows, own),
            hovertemplate="%{y}<br>%{hovertext}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        xaxis={"title": "expected reward", "range": [0, 1.15]},
        yaxis={
            "categoryorder": "array",
            "categoryarray": full,
            "tickmode": "array",
            "tickvals": full,
            "ticktext": short_label(rows["element_value"]).tolist(),
            "automargin": True,
        },
        height=max(260, 110 + ROW_HEIGHT * len(rows)),
    )
    return _finish(fig, title, "", note=True)


def _interval_hover(rows: pd.DataFrame, own: np.ndarray) -> list[str]:
    """Hover text of each shown value: mean, interval, own ads, and P(best) or the borrowed note."""
    return [
        f"mean {mean:.3f} (95 % interval {low:.3f}–{high:.3f})<br>own ads {int(ads):,}<br>"
        + (f"P(best) {formats.percent(p)}" if is_own else note)
        for mean, low, high, ads, p, is_own, note in zip(
            rows["mean"],
            rows["ci_low"],
            rows["ci_high"],
            rows["observations"],
            rows["p_best"],
            own,
            _not_own_note(rows),
            strict=True,
        )
    ]  # the rows shown on one page


def posterior_history_figure(
    history: pd.DataFrame,
    element_name: str,
    values: list[str] | None = None,
    colours: Mapping[str, str] | None = None,
) -> go.Figure:
    """Posterior mean of each value of one dimension over the refreshes that snapshotted it (only
    `values` when given); a sentence instead of a chart while there is only one refresh."""
    rows = _dimension(history, element_name)
    if values is not None:
        rows = rows.loc[rows["element_value"].isin(values)]
    title = f"Mean reward over refreshes: {escape_text(formats.title(element_name))}"
    if rows.empty:
        return _empty(title, "No refresh history for this dimension yet.")
    rows = rows.assign(as_of=pd.to_datetime(rows["as_of"])).sort_values(
        ["element_value", "as_of"], kind="stable"
    )
    refreshes = rows["as_of"].drop_duplicates()
    if len(refreshes) < 2:
        return _empty(
            title,
            f"Only one refresh so far ({refreshes.iloc[0]:%Y-%m-%d}): the history starts with the second refresh.",
        )
    colours = colours if colours is not None else colour_map(rows["element_value"])
    fig = go.Figure()
    for value, group in rows.groupby("element_value", sort=True):  # one line per shown value
        name, text = short_label(str(value)), escape_text(str(value))
        fig.add_trace(
            go.Scatter(
                x=group["as_of"],
                y=group["mean_reward"].to_numpy(dtype=float),
                mode="lines+markers",
                name=name,
                line={"color": _colour(colours, value)},
                customdata=group["total_observations"].to_numpy(dtype=float),
                hovertemplate=f"{text}<br>%{{x|%Y-%m-%d}}: mean %{{y:.3f}}"
                "<br>own ads %{customdata:.0f}<extra></extra>",
            )
        )
    fig.update_layout(
        xaxis=_date_axis("refresh date", refreshes), yaxis={"title": "mean reward", "range": [0, 1]}
    )
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
    history: pd.DataFrame,
    metric_name: str,
    brand_names: dict | None = None,
    colours: Mapping[str, str] | None = None,
) -> go.Figure:
    """One health metric over validations, one line per brand, with its warning and critical lines.

    A brand keeps its colour whatever the filter shows (`colours`, by default `colour_map` over every
    brand of `brand_names` and the history); a metric with no value yet says so instead of an empty plot."""
    rows = history.loc[history["metric_name"] == metric_name].sort_values(
        ["brand_id", "as_of"], kind="stable"
    )
    heading = formats.title(metric_name)
    title = f"{escape_text(heading)} over validations"
    if rows.empty:
        return _empty(title, "No validation has recorded this metric yet.")
    rows = rows.assign(as_of=pd.to_datetime(rows["as_of"]))
    if rows["metric_value"].isna().all():
        return _empty(
            title,
            f"Not enough data yet: {escape_text(heading.lower())} needs more ads in the health window "
            "before it has a value.",
        )
    names = brand_names or {}
    if colours is None:
        colours = colour_map([*map(str, names), *rows["brand_id"].astype(str).unique()])
    fig = go.Figure()
    for brand_id, group in rows.groupby("brand_id", sort=True):  # one line per brand
        name = escape_text(str(names.get(brand_id, brand_id)))
        fig.add_trace(
            go.Scatter(
                x=group["as_of"],
                y=group["metric_value"].to_numpy(dtype=float),
                mode="lines+markers",
                name=short_label(str(names.get(brand_id, brand_id))),
                line={"color": _colour(colours, brand_id)},
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
    fig.update_layout(
        xaxis=_date_axis("validation date", rows["as_of"].drop_duplicates()), yaxis_title=escape_text(heading)
    )
    return _finish(fig, title, "", note=False)


STUDY_METRICS = {
    "cumulative_regret": (
        "Cumulative regret",
        "conversions per 1,000 impressions given up (lower is better)",
    ),
    "regret_per_ad": ("Regret per ad", "conversions per 1,000 impressions given up"),
    "best_share": ("Share of dimensions at their true best value", "share"),
}


def study_curve_figure(
    curves: pd.DataFrame, metric: str = "cumulative_regret", colours: Mapping[str, str] | None = None
) -> go.Figure:
    """One simulated metric per policy over days: the mean over seeds, with its low–high band.

    `curves`: policy, day, metric, mean, low, high (the long frame genome.simulation reports);
    `colours`: policy -> colour, the same whichever policies a run compares.
    """
    title, unit = STUDY_METRICS.get(metric, (metric, metric))
    title = f"{escape_text(title)} by policy (simulated)"
    rows = curves.loc[curves["metric"] == metric]
    if rows.empty:
        return _empty(title, "Run a simulation to see its curves.")
    colours = colours if colours is not None else colour_map(rows["policy"])
    fig = go.Figure()
    groups = rows.sort_values(["policy", "day"]).groupby("policy", sort=False)
    for policy, group in groups:  # a few policies
        name = escape_text(str(policy))
        colour = _colour(colours, policy)
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


def _date_axis(title: str, dates: pd.Series) -> dict:
    """A date axis: whole days as ticks (a day apart at most when the span is short), never clock times."""
    span_days = (dates.max() - dates.min()) / pd.Timedelta(days=1) if len(dates) else 0
    axis = {"title": title, "type": "date", "tickformat": "%Y-%m-%d"}
    if span_days <= 10:
        axis["dtick"] = DAY_MS
    return axis


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
