"""genome.priors: contributors, same-organization preference, pooling, shrinkage and floor."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from genome.posteriors import EVIDENCE_COLUMNS, posterior_scores
from genome.priors import COLD_START_PRIOR_COLUMNS, cold_start_priors
from genome.settings import Settings

SETTINGS = Settings()


def brands_frame(*rows: tuple) -> pd.DataFrame:
    """Rows of (id, organization_id, cross_brand_sharing)."""
    frame = pd.DataFrame(rows, columns=["id", "organization_id", "cross_brand_sharing"])
    return frame.assign(name=frame["id"].str.upper())


def evidence_frame(*rows: tuple) -> pd.DataFrame:
    """Rows of (brand_id, element_value, successes, failures, observations) for element hook_type."""
    return pd.DataFrame(
        [(brand, "hook_type", value, s, f, n) for brand, value, s, f, n in rows],
        columns=list(EVIDENCE_COLUMNS),
    )


BRANDS = brands_frame(
    ("target", "org-1", False),
    ("peer", "org-1", True),  # same organization, shares
    ("private", "org-1", False),  # same organization, does not share
    ("outsider", "org-2", True),
    ("loner", None, True),
)
EVIDENCE = evidence_frame(
    ("target", "question", 4.0, 1.0, 5),
    ("peer", "question", 3.0, 1.0, 4),  # data-only Beta(4, 2)
    ("private", "question", 0.0, 10.0, 10),
    ("private", "stat", 9.0, 0.0, 9),
    ("outsider", "question", 0.0, 2.0, 2),  # Beta(1, 3)
    ("loner", "question", 0.5, 0.5, 1),  # Beta(1.5, 1.5)
)


def priors_by_brand(evidence: pd.DataFrame = EVIDENCE, settings: Settings = SETTINGS, **kwargs) -> dict:
    priors = cold_start_priors(evidence, BRANDS, settings, **kwargs)
    return {
        (row.brand_id, row.element_value): (
            pytest.approx(row.prior_alpha),
            pytest.approx(row.prior_beta),
            row.prior_source,
            row.prior_brands,
        )
        for row in priors.itertuples(index=False)
    }


def shrunk(pooled: float) -> float:
    return 1 + 0.3 * (pooled - 1)


def test_priors_by_the_contract() -> None:
    network_without_peer = ((2 * 1 + 1 * 1.5) / 3, (2 * 3 + 1 * 1.5) / 3)  # outsider + loner
    network_without_outsider = ((4 * 4 + 1 * 1.5) / 5, (4 * 2 + 1 * 1.5) / 5)  # peer + loner
    network_without_loner = ((4 * 4 + 2 * 1) / 6, (4 * 2 + 2 * 3) / 6)  # peer + outsider
    assert priors_by_brand() == {
        # same organization first: only peer (private does not share, target is itself)
        ("target", "question"): (shrunk(4), shrunk(2), "organization", 1),
        ("private", "question"): (shrunk(4), shrunk(2), "organization", 1),
        # peer has no other sharing brand in org-1: the network without peer
        ("peer", "question"): (*map(shrunk, network_without_peer), "network", 2),
        ("outsider", "question"): (*map(shrunk, network_without_outsider), "network", 2),
        ("loner", "question"): (*map(shrunk, network_without_loner), "network", 2),
        # "stat" is only known by a brand that does not share: nobody receives a prior for it
    }


def test_output_has_the_contract_columns() -> None:
    assert tuple(cold_start_priors(EVIDENCE, BRANDS, SETTINGS).columns) == COLD_START_PRIOR_COLUMNS
    assert tuple(cold_start_priors(EVIDENCE.iloc[:0], BRANDS, SETTINGS).columns) == COLD_START_PRIOR_COLUMNS


def test_evidence_of_a_brand_that_does_not_share_never_moves_a_prior() -> None:
    louder = EVIDENCE.assign(
        successes=np.where(EVIDENCE["brand_id"] == "private", 1000.0, EVIDENCE["successes"])
    )
    assert priors_by_brand(louder) == priors_by_brand()


def test_a_brand_never_receives_its_own_evidence() -> None:
    only_peer = EVIDENCE[EVIDENCE["brand_id"] == "peer"]
    assert ("peer", "question") not in priors_by_brand(only_peer)
    assert priors_by_brand(only_peer)[("target", "question")] == (shrunk(4), shrunk(2), "organization", 1)


def test_no_contributor_means_no_row_and_a_uniform_posterior() -> None:
    evidence = evidence_frame(("target", "question", 4.0, 1.0, 5))
    assert cold_start_priors(evidence, BRANDS, SETTINGS).empty
    scores = posterior_scores(evidence, cold_start_priors(evidence, BRANDS, SETTINGS))
    assert scores[["alpha", "beta", "prior_source"]].to_numpy().tolist() == [[5.0, 2.0, "uniform"]]


def test_rows_without_observations_do_not_contribute() -> None:
    evidence = evidence_frame(("peer", "question", 0.0, 0.0, 0))
    assert cold_start_priors(evidence, BRANDS, SETTINGS).empty


@pytest.mark.parametrize(
    ("shrinkage", "floor", "expected"),
    [
        (1.0, 0.5, (4.0, 2.0)),  # no shrinkage: the pooled posterior itself
        (0.0, 0.5, (1.0, 1.0)),  # full shrinkage: uniform
        (0.3, 1.5, (1.9, 1.5)),  # 1 + 0.3 × (2 − 1) = 1.3 is below the floor
    ],
)
def test_shrinkage_and_floor_come_from_settings(shrinkage: float, floor: float, expected: tuple) -> None:
    custom = replace(SETTINGS, prior_shrinkage=shrinkage, prior_floor=floor)
    assert priors_by_brand(settings=custom)[("target", "question")] == (*expected, "organization", 1)


def test_receivers_can_be_limited() -> None:
    priors = cold_start_priors(EVIDENCE, BRANDS, SETTINGS, brand_ids=["target"])
    assert priors["brand_id"].tolist() == ["target"]


def test_brands_without_an_organization_use_the_network() -> None:
    brands = BRANDS.assign(organization_id=None)
    priors = cold_start_priors(EVIDENCE, brands, SETTINGS).set_index("brand_id")
    assert set(priors["prior_source"]) == {"network"}
    assert priors.loc["target", "prior_brands"] == 3  # peer, outsider, loner


def test_unset_sharing_flag_means_not_sharing() -> None:
    brands = BRANDS.assign(cross_brand_sharing=[None, True, None, None, None])
    priors = cold_start_priors(EVIDENCE, brands, SETTINGS)
    assert set(priors["brand_id"]) == {"target", "private", "outsider", "loner"}
    assert set(priors["prior_brands"]) == {1}


# --- property: the vectorised pools equal a direct per-brand computation ----------------------------


def direct_priors(evidence: pd.DataFrame, brands: pd.DataFrame, settings: Settings) -> dict:
    """The contract computed the slow, obvious way, one receiving brand and value at a time."""
    sharing = set(brands.loc[brands["cross_brand_sharing"], "id"])
    organization = dict(zip(brands["id"], brands["organization_id"], strict=True))
    observed = evidence[evidence["observations"] > 0]
    expected = {}
    for receiver in brands["id"]:
        for value, rows in observed.groupby("element_value"):
            contributors = rows[rows["brand_id"].isin(sharing - {receiver})]
            same = contributors[contributors["brand_id"].map(organization) == organization[receiver]]
            source, used = ("organization", same) if len(same) else ("network", contributors)
            if used.empty:
                continue
            n = used["observations"]
            pooled_alpha = (n * (1 + used["successes"])).sum() / n.sum()
            pooled_beta = (n * (1 + used["failures"])).sum() / n.sum()
            alpha = max(settings.prior_floor, 1 + settings.prior_shrinkage * (pooled_alpha - 1))
            beta = max(settings.prior_floor, 1 + settings.prior_shrinkage * (pooled_beta - 1))
            if settings.prior_max_weight and alpha + beta > settings.prior_max_weight:
                alpha, beta = (part * settings.prior_max_weight / (alpha + beta) for part in (alpha, beta))
            expected[(receiver, value)] = (
                pytest.approx(alpha),
                pytest.approx(beta),
                source,
                len(used),
            )
    return expected


@st.composite
def workspaces(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    count = draw(st.integers(1, 7))
    brands = brands_frame(
        *[(f"b{i}", draw(st.sampled_from(["o1", "o2", None])), draw(st.booleans())) for i in range(count)]
    )
    rows = [
        (f"b{i}", value, draw(st.floats(0, 50)), draw(st.floats(0, 50)), draw(st.integers(0, 30)))
        for i in range(count)
        for value in ("question", "stat")
        if draw(st.booleans())
    ]
    return brands, evidence_frame(*rows)


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    workspace=workspaces(),
    shrinkage=st.sampled_from([0.3, 1.0]),
    floor=st.sampled_from([0.5, 2.0]),
    cap=st.sampled_from([0.0, 5.0, 20.0]),
)
def test_priors_equal_the_direct_computation(workspace, shrinkage: float, floor: float, cap: float) -> None:
    brands, evidence = workspace
    custom = replace(SETTINGS, prior_shrinkage=shrinkage, prior_floor=floor, prior_max_weight=cap)
    priors = cold_start_priors(evidence, brands, custom)
    actual = {
        (row.brand_id, row.element_value): (
            row.prior_alpha,
            row.prior_beta,
            row.prior_source,
            row.prior_brands,
        )
        for row in priors.itertuples(index=False)
    }
    assert actual == direct_priors(evidence, brands, custom)
