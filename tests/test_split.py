"""Split assignment: deterministic, order-independent, stable when posts are added, leak-free."""

from __future__ import annotations

import itertools
import re

from hypothesis import given
from hypothesis import strategies as st

from statemedia.build import build_tables, dedup_text
from statemedia.config import SplitConfig, load_config
from statemedia.split import assign_splits, hash_point, split_for_point

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
