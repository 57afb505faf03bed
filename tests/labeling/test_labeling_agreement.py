"""Krippendorff's alpha per field, checked against hand computations (offline)."""

from __future__ import annotations

import numpy as np
import pytest
from labeling_helpers import row

from statemedia.config import CONFIG_FILE, load_config
from statemedia.labeling.agreement import (
    agreement_markdown,
    alpha_nominal,
    bootstrap_ci,
    compute_agreement,
    field_values,
    observed_agreement,
    too_few_marker,
    value_counts,
)
from statemedia.vocab import REPO_ROOT


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


def test_alpha_of_a_single_item_is_undefined_not_zero() -> None:
    # One item (A, B): D_o = 1 and D_e = 2*1*1/(2*1) = 1, so the formula gives 0 whatever the
    # coders did (and 0/0 when they agree): it measures nothing.
    assert alpha_nominal(np.array([[1, 1]], dtype=float)) is None
    assert alpha_nominal(np.array([[2, 0]], dtype=float)) is None


def test_observed_agreement_by_hand() -> None:
    # Two coders: items (A,A), (B,B), (A,B) agree 1, 1, 0 -> 2/3.
    assert observed_agreement(np.array([[2, 0], [0, 2], [1, 1]], dtype=float)) == pytest.approx(
        2 / 3
    )
    # Three coders: (A,A,B) has 2 of 6 ordered pairs alike -> 1/3; (A,A,A) -> 1; mean 2/3.
    assert observed_agreement(np.array([[2, 1], [3, 0]], dtype=float)) == pytest.approx(2 / 3)
    assert observed_agreement(np.zeros((0, 2))) is None


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
    results = {r.field: r for r in compute_agreement(rows, scheme, min_items=4, n_boot=200, seed=7)}
    primary = results["topic_primary"]
    assert primary.alpha == pytest.approx(0.72)
    assert primary.observed_agreement == pytest.approx(3 / 4)  # p1, p2, p4 alike; p3 not
    assert not primary.too_few_items
    assert (primary.n_items, primary.n_annotators, primary.n_values) == (4, 2, 8)
    assert primary.ci_low is not None and primary.ci_low <= primary.ci_high
    # addressed:the_west: p1 (no,no) p2 (no,no) p3 (yes,yes) p4 (no,yes); yes 3, no 5.
    # D_o = 2/8;  D_e = (64 - 9 - 25)/56 = 30/56;  alpha = 1 - 14/30 = 8/15.
    assert results["addressed:the_west"].alpha == pytest.approx(8 / 15)
    # stance:the_west: only p3 has two values (against, against): one value, alpha undefined.
    assert results["stance:the_west"].alpha is None
    assert results["stance:the_west"].n_items == 1
    assert results["stance:the_west"].note == "one item only: alpha undefined"
    assert results["stance:the_west"].observed_agreement == 1.0
    assert results["stance:nato"].note == "no item coded by two annotators"
    assert results["stance:nato"].observed_agreement is None
    table = agreement_markdown(list(results.values()), 200, 7, 4)
    assert "| topic_primary | 0.720 | [" in table
    assert "| 0.750 | 4 | 2 | 8 |" in table
    assert "| stance:the_west | too few items (n < 4) | n/a | 1.000 | 1 | 2 | 2 |" in table
    assert "| stance:nato | n/a | n/a | n/a | 0 | 0 | 0 | no item coded" in table


def panel(n_items: int) -> list:
    """n_items posts coded by a1 and a2; every third post coded differently."""
    topics = ("armed_conflict", "bilateral_relations")
    return [
        row(f"p{i:02d}", who, topics[(i % 3 == 0) and who == "a2"])
        for i in range(n_items)
        for who in ("a1", "a2")
    ]


def test_fewer_items_than_the_minimum_show_a_marker_not_a_number(scheme) -> None:
    # 9 items: p00, p03, p06 (AC, BR), the other 6 (AC, AC). Values AC 15, BR 3, n = 18.
    # D_o = 6/18; D_e = 2*15*3 / (18*17) = 90/306; alpha = 1 - (1/3) / (90/306) = -2/15.
    results = compute_agreement(panel(9), scheme, min_items=10, n_boot=50, seed=1)
    primary = results[0]
    assert primary.field == "topic_primary"
    assert primary.alpha == pytest.approx(-2 / 15)  # kept in agreement.json, flagged
    assert primary.too_few_items and primary.observed_agreement == pytest.approx(6 / 9)
    table = agreement_markdown(results, 50, 1, 10)
    assert "| topic_primary | too few items (n < 10) | n/a | 0.667 | 9 | 2 | 18 |" in table
    assert "-0.133" not in table
    # Ten items: the number is shown.
    results = compute_agreement(panel(10), scheme, min_items=10, n_boot=50, seed=1)
    assert not results[0].too_few_items
    table = agreement_markdown(results, 50, 1, 10)
    assert f"| topic_primary | {results[0].alpha:.3f} | [" in table


def test_a_single_item_never_prints_as_zero(scheme) -> None:
    rows = [row("p1", "a1", "armed_conflict"), row("p1", "a2", "energy_resources")]
    primary = compute_agreement(rows, scheme, min_items=10, n_boot=50, seed=1)[0]
    assert (primary.alpha, primary.ci_low, primary.n_items) == (None, None, 1)
    assert primary.observed_agreement == 0.0 and primary.too_few_items
    table = agreement_markdown([primary], 50, 1, 10)
    assert "| topic_primary | too few items (n < 10) | n/a | 0.000 | 1 |" in table
    assert "| topic_primary | 0.000" not in table


def test_the_minimum_comes_from_statemedia_toml() -> None:
    assert load_config(REPO_ROOT / CONFIG_FILE).labeling.agreement_min_items == 10
    assert too_few_marker(10) == "too few items (n < 10)"


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
