"""The frames that cross the Store boundary: their columns and dtypes, and payload building.

Every backend (sqlite, postgres, supabase) passes what the database returned through `coerce`, so a
frame looks the same whichever backend produced it: ids and text as pandas strings, counts and
measures float64, flags bool, dates and timestamps datetime64[ns] (UTC, zone-naive).
Payloads for the SQL write functions are built in genome.store.payloads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any, Literal

import numpy as np
import pandas as pd

from genome import posteriors, rewards
from genome.vocabulary import HEALTH_METRIC_COLUMNS

Kind = Literal["str", "float", "int", "bool", "date", "datetime", "json"]

AD_AGGREGATES: dict[str, Kind] = {
    "ad_id": "str",
    "brand_id": "str",
    "is_imported": "bool",
    "created_at": "datetime",
    "final_status": "str",
    "pre_gen_score": "float",
    "impressions": "float",
    "clicks": "float",
    "conversions": "float",
    "spend": "float",
    "revenue": "float",
    "first_date": "date",
    "last_date": "date",
    "campaign_objective": "str",
}
AD_ELEMENTS: dict[str, Kind] = {
    "ad_id": "str",
    "brand_id": "str",
    "element_name": "str",
    "element_value": "str",
}
BRANDS: dict[str, Kind] = {
    "id": "str",
    "name": "str",
    "organization_id": "str",
    "cross_brand_sharing": "bool",
    "created_at": "datetime",
}
#: a stored reward's measures, in its reward_components JSON
REWARD_COMPONENTS = (*rewards.METRICS, *rewards.COMPONENT_SCORE_COLUMNS, *rewards.WEIGHT_COLUMNS)
# the core's columns of a reward and a score, each a float unless named, and when they were written
REWARDS: dict[str, Kind] = {
    **dict.fromkeys(rewards.REWARD_COLUMNS, "float"),
    **dict.fromkeys(("ad_id", "brand_id", "campaign_objective", "maturity"), "str"),
    "matured_at": "date",
    "computed_at": "datetime",
}
SCORES: dict[str, Kind] = {
    **dict.fromkeys(posteriors.SCORE_COLUMNS, "float"),
    **dict.fromkeys((*posteriors.KEY, "prior_source"), "str"),
    "last_updated": "datetime",
}
SCORE_HISTORY: dict[str, Kind] = {
    "as_of": "date",
    "element_name": "str",
    "element_value": "str",
    "alpha": "float",
    "beta": "float",
    "mean_reward": "float",
    "total_observations": "float",
}
BRAND_OVERVIEW: dict[str, Kind] = {
    "brand_id": "str",
    "name": "str",
    "organization_id": "str",
    "ads": "int",
    "matured_ads": "int",
    "approved": "int",
    "rejected": "int",
    "open_alerts": "int",
    "acknowledged_alerts": "int",
    "winner_rate": "float",
    "last_refresh": "datetime",
}
ALERTS: dict[str, Kind] = {
    "id": "int",
    "brand_id": "str",
    "alert_type": "str",
    "severity": "str",
    "status": "str",
    "metric_value": "float",
    "threshold_value": "float",
    "message": "str",
    "first_seen_at": "datetime",
    "last_seen_at": "datetime",
    "occurrences": "int",
    "acknowledged_by": "str",
    "acknowledged_at": "datetime",
    "ack_note": "str",
    "resolved_by": "str",
    "resolved_at": "datetime",
    "resolution_note": "str",
    "as_of": "date",
}
ALERT_EVENTS: dict[str, Kind] = {
    "id": "int",
    "alert_id": "int",
    "brand_id": "str",
    "kind": "str",
    "actor": "str",
    "occurred_at": "datetime",
    "note": "str",
    "severity": "str",
    "metric_value": "float",
    "as_of": "date",
}
METRIC_HISTORY: dict[str, Kind] = {
    "as_of": "date",
    **dict.fromkeys(HEALTH_METRIC_COLUMNS, "float"),
    **dict.fromkeys(("brand_id", "metric_name"), "str"),
}
SCORE_HISTORY_SINCE: dict[str, Kind] = {"brand_id": "str", **SCORE_HISTORY}

JOB_RUNS: dict[str, Kind] = {
    "id": "int",
    "job_type": "str",
    "brand_id": "str",
    "started_at": "datetime",
    "finished_at": "datetime",
    "status": "str",
    "summary": "json",
    "error": "str",
}

_EMPTY_DTYPES: dict[Kind, str] = {
    "str": "str",
    "float": "float64",
    "int": "int64",
    "bool": "bool",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
    "json": "object",
}


def coerce(
    data: pd.DataFrame | Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]], spec: Mapping[str, Kind]
) -> pd.DataFrame:
    """A frame with exactly the columns of `spec`, in order, each of its dtype.

    `data` is a frame, a list of dicts (REST rows) or a list of tuples in `spec` order (DB-API rows).
    """
    columns = list(spec)
    if isinstance(data, pd.DataFrame):
        frame = data
    elif len(data) and isinstance(data[0], Mapping):
        frame = pd.DataFrame.from_records(list(data))
    else:
        frame = pd.DataFrame.from_records(list(data), columns=columns)
    if frame.empty:
        return pd.DataFrame({name: pd.Series(dtype=_EMPTY_DTYPES[kind]) for name, kind in spec.items()})
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise KeyError(f"result lacks columns {missing}")
    return pd.DataFrame({name: _column(frame[name], kind) for name, kind in spec.items()}).reset_index(
        drop=True
    )


_READY_DTYPES: dict[Kind, object] = {
    "str": pd.StringDtype(na_value=np.nan),
    "float": np.dtype("float64"),
    "int": np.dtype("int64"),
}


def _column(values: pd.Series, kind: Kind) -> pd.Series:
    if kind in _READY_DTYPES and values.dtype == _READY_DTYPES[kind]:
        return values  # already right: the common case, and free (reads sit on hot paths)
    if kind == "str":
        return values.astype("str")
    if kind == "float":
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if kind == "int":
        return pd.to_numeric(values, errors="raise").astype("int64")
    if kind == "bool":
        if values.dtype == bool:
            return values
        if pd.api.types.is_integer_dtype(values):  # SQLite's 0/1: no per-value work
            return values != 0
        return values.map(_truth, na_action="ignore").fillna(False).astype(bool)
    if kind == "json":
        return values.map(lambda v: json.loads(v) if isinstance(v, str) else v).astype(object)
    stamps = pd.to_datetime(values, utc=True, format="ISO8601")
    stamps = stamps.dt.tz_convert(None).astype("datetime64[ns]")
    return stamps.dt.normalize() if kind == "date" else stamps


def _truth(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "t", "yes")
    return bool(value)


def elements_from_groups(groups: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """AD_ELEMENTS, ordered by ad_id and element_name, from rows of (brand_id, element_name,
    element_value, ad ids as a JSON array text or a list): a few rows per brand instead of one per
    ad and element, since moving each value from the database into Python is what a read costs."""
    if not groups:
        return coerce([], AD_ELEMENTS)
    ad_lists = [json.loads(group[3]) if isinstance(group[3], str) else group[3] for group in groups]
    group_of_row = np.repeat(np.arange(len(groups)), [len(ads) for ads in ad_lists])
    ad_ids = pd.array(list(chain.from_iterable(ad_lists)), dtype="str")
    keys = coerce(
        [group[:3] for group in groups], {"brand_id": "str", "element_name": "str", "element_value": "str"}
    )
    ad_rank, _ = pd.factorize(ad_ids, sort=True)
    name_rank, _ = pd.factorize(keys["element_name"].array, sort=True)
    order = np.lexsort((name_rank[group_of_row], ad_rank))
    group_of_row = group_of_row[order]
    return pd.DataFrame(
        {
            "ad_id": ad_ids.take(order),
            **{column: keys[column].array.take(group_of_row) for column in keys.columns},
        }
    )
