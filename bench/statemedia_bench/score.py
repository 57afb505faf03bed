"""Pair precision, recall and F1 of predicted clusters against the truth, and hard-negative merges."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from statemedia_bench.truth import Truth


@dataclass(frozen=True)
class Score:
    """How one method's clusters compare with the truth."""

    precision: float  # of the pairs sharing a predicted cluster, the share sharing a truth cluster
    recall: float  # of the pairs sharing a truth cluster, the share sharing a predicted cluster
    f1: float
    hard_negative_merges: int  # hard-negative pairs put in one predicted cluster (target: 0)


def pairs_in(labels: np.ndarray) -> int:
    """Number of pairs of posts that share a label."""
    _, sizes = np.unique(labels, return_counts=True)
    return int((sizes * (sizes - 1) // 2).sum())


def score(pred: np.ndarray, truth: Truth) -> Score:
    """Pair precision, recall, F1 against truth clusters, and hard-negative pairs merged."""
    t = truth.labels
    joint = t.astype(np.int64) * (int(pred.max()) + 1) + pred.astype(np.int64)
    tp, predicted, actual = pairs_in(joint), pairs_in(pred), pairs_in(t)
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    hard = int((pred[truth.hard_left] == pred[truth.hard_right]).sum())
    return Score(precision=precision, recall=recall, f1=f1, hard_negative_merges=hard)
