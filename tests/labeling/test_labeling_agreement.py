"""Krippendorff's alpha per field, checked against hand computations (offline)."""

from __future__ import annotations

import numpy as np
import pytest
from labeling_helpers import row

from statemedia.labeling.agreement import (
    agreement_markdown,
    alpha_nominal,
    bootstrap_ci,
    compute_agreement,
    field_values,
    value_counts,
)


def test_alpha_matches_hand_computation() -> None:
    # Three items, two coders: (A,A), (B,B), (A,B). n = 6 pairable values, n_A = n_B = 3.
    # Coincidences: o_AA = 2, o_BB = 2, o_AB = o_BA = 1.  D_o = 2/6.
    # D_e = (n_A*n_B + n_B*n_A) / (n(n-1)) = 18/30.  alpha = 1 - (1/3)/(3/5) = 4/9.
    matrix = np.array([[2, 0], [0, 2], [1, 1]], dtype=float)
    assert alpha_nominal(matrix) == pytest.approx(4 / 9)


def test_alpha_undefined_with_one_value_and_perfect_with_variation() -> None:
    assert alpha_nominal(np.array([[2, 0], [2, 0]], dtype=float)) is None
    assert alpha_nominal(np.array([[2, 0], [0, 2]], dtype=float)) == pytest.approx(1.0)
    assert alpha_nominal(np.zeros((0, 0))) is None


def test_fields_use_targets_and_ignore_machine_rows(scheme) -> None:
    rows = [
        row("p1", "a1", "armed_conflict", {"nato": "against"}),
        row("p1", "a2", "armed_conflict"),
        row("p1", "m", "energy_resources", {"nato": "favor"}, origin="machine"),
    ]
    fields = field_values(rows, scheme)
    assert fields["topic_primary"] == {"p1": {"a1": "armed_conflict", "a2": "armed_conflict"}}
    assert fields["addressed:nato"] == {"p1": {"a1": "yes", "a2": "no"}}
    # Stance only from annotators who ticked the target.
    assert fields["stance:nato"] == {"p1": {"a1": "against"}}


def test_compute_agreement_on_a_small_panel(scheme) -> None:
    # Primary topic over 4 posts, coders a1/a2:
    #   p1 (AC, AC), p2 (BR, BR), p3 (MO, ST), p4 (HI, HI); p5 coded once (not pairable).
    # n = 8; value totals AC 2, BR 2, MO 1, ST 1, HI 2 → sum of squares 14.
    # D_o = 2/8 (p3 contributes o_MO,ST + o_ST,MO = 2);  D_e = (64 - 14) / (8*7) = 50/56.
    # alpha = 1 - (2/8) / (50/56) = 1 - 14/50 = 0.72.
    rows = [
        row("p1", "a1", "armed_conflict"),
        row("p1", "a2", "armed_conflict"),
        row("p2", "a1", "bilateral_relations"),
        row("p2", "a2", "bilateral_relations"),
        row("p3", "a1", "multilateral_order", {"the_west": "against"}),
        row("p3", "a2", "sanctions_trade_finance", {"the_west": "against"}),
        row("p4", "a1", "history_memory_identity"),
        row("p4", "a2", "history_memory_identity", {"the_west": "neutral"}),
        row("p5", "a1", "other_policy"),
    ]
    results = {r.field: r for r in compute_agreement(rows, scheme, n_boot=200, seed=7)}
    primary = results["topic_primary"]
    assert primary.alpha == pytest.approx(0.72)
    assert (primary.n_items, primary.n_annotators, primary.n_values) == (4, 2, 8)
    assert primary.ci_low is not None and primary.ci_low <= primary.ci_high
    # addressed:the_west: p1 (no,no) p2 (no,no) p3 (yes,yes) p4 (no,yes); yes 3, no 5.
    # D_o = 2/8;  D_e = (64 - 9 - 25)/56 = 30/56;  alpha = 1 - 14/30 = 8/15.
    assert results["addressed:the_west"].alpha == pytest.approx(8 / 15)
    # stance:the_west: only p3 has two values (against, against): one value, alpha undefined.
    assert results["stance:the_west"].alpha is None
    assert results["stance:the_west"].n_items == 1
    assert results["stance:nato"].note == "no item coded by two annotators"
    table = agreement_markdown(list(results.values()), 200, 7)
    assert "| topic_primary | 0.720 |" in table


def test_bootstrap_is_deterministic_and_brackets_alpha() -> None:
    rng = np.random.default_rng(0)
    matrix = np.zeros((60, 3))
    for i in range(60):
        first = rng.integers(0, 3)
        second = first if rng.random() < 0.8 else rng.integers(0, 3)
        matrix[i, first] += 1
        matrix[i, second] += 1
    alpha = alpha_nominal(matrix)
    low, high = bootstrap_ci(matrix, n_boot=300, seed=11)
    assert (low, high) == bootstrap_ci(matrix, n_boot=300, seed=11)
    assert low < alpha < high
    assert (low, high) != bootstrap_ci(matrix, n_boot=300, seed=12)


def test_value_counts_drops_single_coded_items() -> None:
    matrix, domain, n_annotators = value_counts(
        {"p1": {"a": "x", "b": "y"}, "p2": {"a": "x"}, "p3": {"b": "x", "c": "x"}}
    )
    assert domain == ["x", "y"]
    assert matrix.tolist() == [[1, 1], [2, 0]]
    assert n_annotators == 3
