"""Split assignment `split@1`: train / validation / test by a hash of the duplicate-cluster id.

A cluster's point in [0, 1) is sha256(seed:cluster_id); ratios cut the interval. Whole clusters go
to one split, so a removed copy never sits across the line from its kept post. Posts already
released keep their split: a cluster with released members inherits it (test over validation over
train if released members disagree), so adding posts never moves a released post.
"""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import sha256

from statemedia.config import SplitConfig
from statemedia.vocab import SPLITS

SPLIT_VERSION = "split@1"
__all__ = ["SPLITS", "SPLIT_VERSION", "assign_splits", "hash_point", "split_for_point"]
_PRIORITY = {"test": 0, "validation": 1, "train": 2}


def hash_point(seed: str, cluster_id: str) -> float:
    """Deterministic point in [0, 1) for a cluster."""
    return int.from_bytes(sha256(f"{seed}:{cluster_id}".encode()).digest()[:8], "big") / 2**64


def split_for_point(point: float, config: SplitConfig) -> str:
    """The split whose interval contains `point`."""
    if point < config.train:
        return "train"
    if point < config.train + config.validation:
        return "validation"
    return "test"


def assign_splits(
    clusters: Mapping[str, list[str]],
    config: SplitConfig,
    previous: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map every post_id in `clusters` (cluster id -> member ids) to a split."""
    previous = previous or {}
    assignment: dict[str, str] = {}
    for cluster_id, members in clusters.items():
        released = sorted(
            {previous[m] for m in members if m in previous}, key=_PRIORITY.__getitem__
        )
        split = (
            released[0]
            if released
            else split_for_point(hash_point(config.seed, cluster_id), config)
        )
        for member in members:
            assignment[member] = split
    return assignment
