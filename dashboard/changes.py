"""'What changed' on Elements (one brand) and Overview (every brand): values that moved at the
latest refresh (genome.movers), up and down side by side, a few rows each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard import formats, state
from genome import movers

SHOWN = 8  # movers per side; the rest are counted, never sent
EMPTY = "Changes appear after the second refresh."
WINDOW_DAYS = 31  # Overview reads the snapshots of this many days (a bounded read, whatever the history)


@st.cache_data(ttl=state.READ_TTL_SECONDS, show_spinner=False)
def _all_movers(_ws: state.Workspace, config: state.Config, since: date) -> pd.DataFrame:
    """Mean moves of every brand (labels need a Monte Carlo P(best) per brand: Elements shows them)."""
    return movers.movers(_ws.genome.score_history_since(since), _ws.settings, labels=False)


@st.cache_data(ttl=state.READ_TTL_SECONDS, show_spinner=False)
def _brand_movers(_ws: state.Workspace, config: state.Config, brand_id: str) -> pd.DataFrame:
    return movers.movers(_ws.score_history(brand_id), _ws.settings)


def _arrow(before: pd.Series, after: pd.Series, write) -> list[str]:
    """'before → after' per row; 'new → after' where there was nothing before."""
    return [
        f"{'new' if pd.isna(b) else write(b)} → {write(a)}" for b, a in zip(before, after, strict=True)
    ]  # at most SHOWN rows


def table(found: pd.DataFrame, names: dict[str, str] | None) -> pd.DataFrame:
    """The movers as a table in words: brand (when `names` is given), element, value, label, mean, own ads."""
    frame = pd.DataFrame(
        {
            "Element": found["element_name"].map(formats.title).to_numpy(),
            "Value": found["element_value"].to_numpy(),
            "Label": _arrow(found["label_before"], found["label_after"], str),
            "Mean reward": _arrow(found["mean_before"], found["mean_after"], formats.decimal),
            "Own ads": _arrow(found["own_ads_before"], found["own_ads_after"], formats.count),
        }
    )
    if names is not None:
        frame.insert(0, "Brand", found["brand_id"].map(names).fillna(found["brand_id"]).to_numpy())
    if found["label_after"].isna().all():  # movers computed without labels
        frame = frame.drop(columns="Label")
    return frame


def show(found: pd.DataFrame, key: str, names: dict[str, str] | None = None) -> None:
    """The 'What changed' section: a caption with the dates, then movers up and down."""
    st.subheader("What changed", anchor=False)
    if found.empty:
        st.info(EMPTY, icon=":material/update:")
        return
    if names is None:
        first = found.iloc[0]
        st.caption(
            f"Since the previous refresh ({formats.moment(first['before'].date())} → "
            f"{formats.moment(first['after'].date())}): values whose label changed or whose mean reward moved "
            f"by at least {formats.decimal(movers.MIN_MEAN_CHANGE)}."
        )
    else:
        st.caption(
            f"Each brand's latest refresh of the last {WINDOW_DAYS} days against its previous one: values whose "
            f"mean reward moved by at least {formats.decimal(movers.MIN_MEAN_CHANGE)}. Label changes of a brand "
            "are on its Elements page."
        )
    for column, (direction, heading) in zip(
        st.columns(2), ((movers.UP, "Moved up"), (movers.DOWN, "Moved down")), strict=True
    ):
        side = found.loc[found["direction"] == direction]
        with column:
            st.markdown(f"**{heading}** · {formats.count(len(side), 'value')}")
            if side.empty:
                st.caption("Nothing moved this way.")
                continue
            st.dataframe(table(side.head(SHOWN), names), hide_index=True, key=f"{key}_{direction}")
            if len(side) > SHOWN:
                st.caption(f"The {SHOWN} biggest moves of {len(side):,}.")


def brand_section(ws: state.Workspace, brand_id: str) -> None:
    """What changed for one brand (Elements)."""
    show(_brand_movers(ws, ws.config, brand_id), key="elements_movers")


def all_brands_section(ws: state.Workspace) -> None:
    """What changed across brands (Overview)."""
    since = datetime.now(UTC).date() - timedelta(days=WINDOW_DAYS)
    show(_all_movers(ws, ws.config, since), key="overview_movers", names=ws.brand_names())
