"""Split assignment `split@2`: train / validation / test by a hash over duplicate clusters joined by
translation groups.

Components: the duplicate clusters (cluster id -> member ids), joined into one component where a
translation group has members in several clusters (union-find). A component's id is the smallest
cluster id among its clusters, and its point in [0, 1) is sha256(seed:component id); ratios cut the
interval. Without translation groups every component is one cluster and its id the cluster id, so
the result is exactly `split@1`'s.

Released posts never move. A cluster with released members keeps its split, as in `split@1`:
test over validation over train if its released members disagree (only the cluster's kept post is
a row, so this moves no released row). In a component with released clusters, every unreleased
cluster takes the split of the released clusters (by the same priority), and a released cluster
whose split differs keeps its own: the component then straddles splits, and `SplitAssignment`
reports it as a `SplitConflict` (the build counts them). Adding posts never moves an existing one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from hashlib import sha256

from statemedia.config import SplitConfig
from statemedia.vocab import SPLITS

SPLIT_VERSION = "split@2"
__all__ = [
    "SPLITS",
    "SPLIT_VERSION",
    "SplitAssignment",
    "SplitConflict",
    "assign_group_splits",
    "assign_splits",
    "hash_point",
    "split_for_point",
]
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


@dataclass(frozen=True, slots=True)
class SplitConflict:
    """A component whose released clusters sit in different splits: none of them moves."""

    component_id: str  # the smallest cluster id of the component
    split: str  # the split its unreleased clusters took
    released: tuple[tuple[str, str], ...]  # (cluster id, its released split), sorted


@dataclass(frozen=True, slots=True)
class SplitAssignment:
    """Every post's split, and the components that straddle splits because of released posts."""

    split_of: dict[str, str]  # post_id -> split
    conflicts: tuple[SplitConflict, ...]  # sorted by component id


def _released_split(members: Sequence[str], previous: Mapping[str, str]) -> str | None:
    """The split a cluster's released members give it (test over validation over train)."""
    released = sorted({previous[m] for m in members if m in previous}, key=_PRIORITY.__getitem__)
    return released[0] if released else None


def assign_group_splits(
    clusters: Mapping[str, Sequence[str]],
    groups: Mapping[str, Sequence[str]],
    config: SplitConfig,
    previous: Mapping[str, str] | None = None,
) -> SplitAssignment:
    """Split every post of `clusters` so that no cluster and no translation group straddles splits,
    except where released posts already do (reported as conflicts)."""
    previous = previous or {}
    # Only clusters with a translation group's member take part in the union-find: a million
    # clusters without one are each their own component, and need no entry in these maps.
    grouped = {member for members in groups.values() for member in members}
    cluster_of = {
        member: cid for cid, members in clusters.items() for member in members if member in grouped
    }
    parent = {cid: cid for cid in cluster_of.values()}

    def find(cid: str) -> str:
        while parent[cid] != cid:
            parent[cid] = parent[parent[cid]]
            cid = parent[cid]
        return cid

    for group_id, members in groups.items():
        unknown = sorted(m for m in members if m not in cluster_of)
        if unknown:
            raise ValueError(
                f"translation group {group_id}: post(s) {', '.join(unknown)} are in no cluster"
            )
        roots = sorted({find(cluster_of[m]) for m in members})
        for root in roots[1:]:  # the smallest cluster id is the root, whatever the order
            parent[root] = roots[0]

    joined: dict[str, list[str]] = {}  # root -> clusters, for components of several clusters
    for cid in parent:
        joined.setdefault(find(cid), []).append(cid)

    split_of: dict[str, str] = {}
    conflicts: list[SplitConflict] = []
    for component_id in clusters:
        if component_id in parent and find(component_id) != component_id:
            continue  # assigned with its root
        cids = joined.get(component_id, [component_id])
        released = {cid: s for cid in cids if (s := _released_split(clusters[cid], previous))}
        if released:
            split = min(released.values(), key=_PRIORITY.__getitem__)
            if len(set(released.values())) > 1:
                conflicts.append(
                    SplitConflict(component_id, split, tuple(sorted(released.items())))
                )
        else:
            split = split_for_point(hash_point(config.seed, component_id), config)
        for cid in cids:
            for member in clusters[cid]:
                split_of[member] = released.get(cid, split)
    conflicts.sort(key=lambda c: c.component_id)
    return SplitAssignment(split_of=split_of, conflicts=tuple(conflicts))


def assign_splits(
    clusters: Mapping[str, list[str]],
    config: SplitConfig,
    previous: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map every post_id in `clusters` (cluster id -> member ids) to a split, without translation
    groups (`assign_group_splits` with none)."""
    return assign_group_splits(clusters, {}, config, previous).split_of
