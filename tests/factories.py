"""Small frames the pure-core tests build by hand."""

from __future__ import annotations

import pandas as pd

SCORE_COLUMNS = [
    "brand_id", "element_name", "element_value", "alpha", "beta", "prior_alpha", "prior_beta",
    "prior_source", "total_observations", "mean_reward",
]  # fmt: skip


def scores_frame(rows: list[tuple], brand_id: str = "brand-1") -> pd.DataFrame:
    """A scores frame (docs/ARCHITECTURE.md) from (element, value, alpha, beta, observations) rows."""
    frame = pd.DataFrame(
        rows, columns=["element_name", "element_value", "alpha", "beta", "total_observations"]
    )
    return frame.assign(
        brand_id=brand_id,
        prior_alpha=1.0,
        prior_beta=1.0,
        prior_source="uniform",
        mean_reward=frame["alpha"] / (frame["alpha"] + frame["beta"]),
    )[SCORE_COLUMNS]
