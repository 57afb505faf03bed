"""Split assignment: deterministic, order-independent, stable when posts are added, leak-free."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statemedia.build import build_tables, dedup_text
from statemedia.config import SplitConfig, load_config
from statemedia.split import (
    SPLITS,
    SplitConflict,
    assign_group_splits,
    assign_splits,
    hash_point,
    split_for_point,
)

CONFIG = SplitConfig(seed="s", train=0.8, validation=0.1, test=0.1)
ids = st.lists(
    st.text(alphabet="abcdef0123456789", min_size=4, max_size=8), unique=True, max_size=60
)


@given(ids, st.randoms())
def test_assignment_ignores_input_order(post_ids, rnd):
    clusters = {i: [i] for i in post_ids}
    shuffled = list(clusters.items())
    rnd.shuffle(shuffled)
    assert assign_splits(dict(shuffled), CONFIG) == assign_splits(clusters, CONFIG)


@given(ids, ids)
def test_adding_posts_never_moves_existing_ones(old_ids, new_ids):
    old = assign_splits({i: [i] for i in old_ids}, CONFIG)
    grown = {i: [i] for i in old_ids}
    for k, new in enumerate(i for i in new_ids if i not in old):
        if k % 3 == 0 and old_ids:  # some newcomers join an existing cluster as its new head
            target = old_ids[k % len(old_ids)]
            grown.pop(target, None)
            grown[new] = [new, target]
        else:
            grown[new] = [new]
    new = assign_splits(grown, CONFIG, previous=old)
    assert {i: new[i] for i in old} == old


def test_whole_clusters_share_a_split_and_merged_clusters_prefer_test():
    previous = {"a": "train", "b": "test"}
    result = assign_splits({"a": ["a", "b", "c"]}, CONFIG, previous)
    assert set(result.values()) == {"test"}


def test_ratio_intervals():
    assert split_for_point(0.0, CONFIG) == "train"
    assert split_for_point(0.85, CONFIG) == "validation"
    assert split_for_point(0.95, CONFIG) == "test"
    points = [hash_point("s", str(i)) for i in range(20_000)]
    share = sum(split_for_point(p, CONFIG) == "train" for p in points) / len(points)
    assert abs(share - 0.8) < 0.02


def shingles(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def test_no_near_duplicate_pair_crosses_splits_in_the_seed_build(repo_root):
    config = load_config(repo_root / "statemedia.toml")
    build = build_tables(repo_root, config)
    rows = [
        (split, row)
        for split in ("train", "validation", "test")
        for row in build.tables[split].to_pylist()
    ]
    sets = [
        (split, shingles(dedup_text(row["title"], row["text"]), config.dedup.shingle_words))
        for split, row in rows
    ]
    for (s1, a), (s2, b) in itertools.combinations(sets, 2):
        if s1 != s2:
            assert len(a & b) / len(a | b) < config.dedup.threshold


# --- split@2: duplicate clusters joined by translation groups ------------------------------------


def split_at_1(clusters, config, previous=None):
    """The `split@1` rule as released (commit 4f20d25), the reference for 'no groups'."""
    previous = previous or {}
    priority = {"test": 0, "validation": 1, "train": 2}
    out = {}
    for cluster_id, members in clusters.items():
        released = sorted({previous[m] for m in members if m in previous}, key=priority.get)
        split = (
            released[0]
            if released
            else split_for_point(hash_point(config.seed, cluster_id), config)
        )
        out.update(dict.fromkeys(members, split))
    return out


clusterings = st.dictionaries(
    st.text(alphabet="abcdef0123456789", min_size=3, max_size=6),
    st.lists(st.text(alphabet="ghijkl", min_size=1, max_size=3), max_size=3, unique=True),
    max_size=40,
).map(lambda d: {k: [k, *(f"{k}-{m}" for m in v)] for k, v in d.items()})
releases = st.dictionaries(
    st.text(alphabet="abcdef0123456789-ghijkl", min_size=3, max_size=9),
    st.sampled_from(["train", "validation", "test"]),
)


@given(clusterings, releases)
def test_without_groups_the_rule_is_split_at_1(clusters, previous):
    previous.update(
        {m: s for m, s in zip(sorted(clusters), itertools.cycle(SPLITS)) if len(m) % 3 == 0}
    )
    expected = split_at_1(clusters, CONFIG, previous)
    assert assign_group_splits(clusters, {}, CONFIG, previous).split_of == expected
    assert assign_splits(clusters, CONFIG, previous) == expected


def random_groups(clusters, rnd):
    posts = sorted(m for members in clusters.values() for m in members)
    groups = {}
    for k in range(len(posts) // 3):
        groups[f"tr-{k}"] = rnd.sample(posts, min(len(posts), rnd.randint(2, 4)))
    return groups


@given(clusterings, st.randoms())
def test_no_cluster_or_group_straddles_and_order_does_not_matter(clusters, rnd):
    groups = random_groups(clusters, rnd)
    result = assign_group_splits(clusters, groups, CONFIG)
    assert set(result.split_of) == {m for members in clusters.values() for m in members}
    for members in [*clusters.values(), *groups.values()]:
        assert len({result.split_of[m] for m in members}) == 1
    shuffled_clusters = list(clusters.items())
    rnd.shuffle(shuffled_clusters)
    shuffled_groups = [(g, rnd.sample(ms, len(ms))) for g, ms in groups.items()]
    rnd.shuffle(shuffled_groups)
    again = assign_group_splits(dict(shuffled_clusters), dict(shuffled_groups), CONFIG)
    assert again == result
    assert result.conflicts == ()


@given(clusterings, st.randoms())
def test_with_groups_released_posts_never_move(clusters, rnd):
    old = assign_group_splits(clusters, {}, CONFIG).split_of
    previous = {m: s for m, s in old.items() if rnd.random() < 0.5}
    groups = random_groups(clusters, rnd)
    result = assign_group_splits(clusters, groups, CONFIG, previous)
    assert {m: result.split_of[m] for m in previous} == previous


def test_a_group_joins_clusters_under_the_smallest_cluster_id():
    clusters = {"c1": ["c1", "c1-copy"], "c2": ["c2"], "c3": ["c3"]}
    result = assign_group_splits(clusters, {"tr-x": ["c2", "c1-copy"]}, CONFIG)
    expected = split_for_point(hash_point(CONFIG.seed, "c1"), CONFIG)
    assert {result.split_of[m] for m in ("c1", "c1-copy", "c2")} == {expected}
    assert result.split_of["c3"] == split_for_point(hash_point(CONFIG.seed, "c3"), CONFIG)


def test_unreleased_members_follow_a_released_member():
    clusters = {"ru": ["ru"], "en": ["en"], "es": ["es"]}
    result = assign_group_splits(clusters, {"tr-1": ["ru", "en", "es"]}, CONFIG, {"en": "test"})
    assert result.split_of == {"ru": "test", "en": "test", "es": "test"}
    assert result.conflicts == ()


def test_a_group_over_released_posts_in_different_splits_moves_none_and_is_reported():
    clusters = {"ru": ["ru"], "en": ["en", "en-copy"], "es": ["es"], "fr": ["fr"]}
    previous = {"ru": "train", "en": "validation", "es": "train"}
    groups = {"tr-1": ["ru", "en", "es", "fr"]}
    result = assign_group_splits(clusters, groups, CONFIG, previous)
    # Released posts keep theirs; the new post (fr) and the copy take validation (over train).
    assert result.split_of == {
        "ru": "train",
        "en": "validation",
        "en-copy": "validation",
        "es": "train",
        "fr": "validation",
    }
    assert result.conflicts == (
        SplitConflict(
            component_id="en",
            split="validation",
            released=(("en", "validation"), ("es", "train"), ("ru", "train")),
        ),
    )


def test_a_group_member_in_no_cluster_is_refused():
    with pytest.raises(ValueError, match="tr-1: post\\(s\\) ghost are in no cluster"):
        assign_group_splits({"a": ["a"]}, {"tr-1": ["a", "ghost"]}, CONFIG)
