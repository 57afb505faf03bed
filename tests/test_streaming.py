"""The streaming build: posts spilled per file and read back by each pass give the same result as
the in-memory stages, whatever the partitioning; the spill never outlives the build."""

from __future__ import annotations

import hashlib
import random
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seed_helpers import finish_repo, seeds_entry

from statemedia.build import BuildResult, build_into, build_tables
from statemedia.completeness import channel_ids, completeness, completeness_of
from statemedia.config import load_config
from statemedia.dedup import (
    DedupItem,
    TextBatch,
    dedup_text,
    deduplicate,
    deduplicate_parts,
    rank_priority,
)
from statemedia.engines import LocalEngine
from statemedia.errors import BadInputError
from statemedia.inputs import load_inputs
from statemedia.language import language_counts, merge_language_counts
from statemedia.parse import registry
from statemedia.release.streaming import ShardTask, write_shard
from statemedia.release.writer import ROW_GROUP_ROWS, parquet_bytes, table_schema
from statemedia.stages import (
    keep_priority,
    keep_rank,
    pack_rank_fields,
    packed_keep_rank,
    parse_and_clean,
)
from statemedia.translations import _candidate_pairs, _Features, features_needed
from statemedia.vocab import Table

REPO = Path(__file__).resolve().parents[1]
ARTICLE = "Title {k}\n\nMonday, 2 May, 2022 - 10:00\n\nThe same body in {what} scrapes.\n"


@pytest.fixture(scope="module")
def seed_posts():
    config = load_config(REPO / "statemedia.toml")
    files = load_inputs(REPO / "seeds", REPO, set(registry()))
    return config, parse_and_clean(files).posts


def test_dedup_gives_the_same_result_however_the_posts_are_partitioned(seed_posts):
    config, posts = seed_posts
    items = [
        DedupItem(p.post_id, p.source, dedup_text(p.title, p.text), keep_rank(p)) for p in posts
    ]
    # Exact and near copies (one word more) of the longest posts, spread over the partitions.
    longest = sorted(items, key=lambda i: -len(i.text))[:6]
    for k, item in enumerate(longest):
        text = item.text if k % 2 else item.text + " Moscow."
        items.insert(
            7 * k + 3, DedupItem(f"copy-{k}", item.source, text, (*item.rank[:-1], f"copy-{k}"))
        )
    whole = deduplicate(items, config.dedup)
    assert {m.method for m in whole.matches} == {"exact", "near"}
    cuts = sorted(random.Random(7).sample(range(1, len(items)), 9))
    for bounds in ([0, len(items)], [0, *cuts, len(items)], list(range(len(items) + 1))):
        parts = [
            TextBatch(tuple(i.source for i in items[a:b]), tuple(i.text for i in items[a:b]))
            for a, b in pairwise(bounds)
        ]
        ids, priority = [i.post_id for i in items], rank_priority([i.rank for i in items])
        for engine in (LocalEngine(1), LocalEngine(2)):
            assert deduplicate_parts(ids, priority, parts, config.dedup, engine) == whole


def test_shingles_spilled_to_scratch_give_the_same_result(seed_posts, tmp_path):
    config, posts = seed_posts
    items = [
        DedupItem(p.post_id, p.source, dedup_text(p.title, p.text), keep_rank(p)) for p in posts
    ]
    for k, item in enumerate(sorted(items, key=lambda i: -len(i.text))[:4]):  # near copies
        items.append(DedupItem(f"copy-{k}", item.source, item.text + " Moscow.", (9, f"c{k}")))
    whole = deduplicate(items, config.dedup)
    assert any(m.method == "near" for m in whole.matches)
    half = len(items) // 2
    parts = [
        TextBatch(tuple(i.source for i in chunk), tuple(i.text for i in chunk))
        for chunk in (items[:half], items[half:])
    ]
    ids, priority = [i.post_id for i in items], rank_priority([i.rank for i in items])
    spilled = deduplicate_parts(ids, priority, parts, config.dedup, LocalEngine(2), tmp_path)
    assert spilled == whole
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "shingles-000000.npy",
        "shingles-000001.npy",
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.booleans(),
            st.booleans(),
            st.dates(),
            st.booleans(),
            st.booleans(),
            st.integers(-(2**32 - 1), 0),
        ),
        min_size=2,
        max_size=30,
    )
)
def test_packed_keep_rank_sorts_as_the_rank_fields(fields):
    for a in fields:
        for b in fields:
            assert (pack_rank_fields(a) < pack_rank_fields(b)) == (a < b)


def test_keep_priority_orders_posts_as_keep_rank_does(seed_posts):
    _, posts = seed_posts
    shuffled = random.Random(3).sample(posts, len(posts))
    packed = np.array([packed_keep_rank(p) for p in shuffled], dtype=np.int64)
    expected = rank_priority([keep_rank(p) for p in shuffled])
    assert (keep_priority(packed, [p.post_id for p in shuffled]) == expected).all()


def test_dedup_refuses_partitions_that_do_not_hold_every_post(seed_posts):
    config, _ = seed_posts
    part = TextBatch(("tass",), ("one text",))
    with pytest.raises(ValueError, match="2 ids but the partitions hold 1 texts"):
        deduplicate_parts(["a", "b"], rank_priority([("a",), ("b",)]), [part], config.dedup)


def test_per_file_counts_add_up_to_the_counts_over_all_posts(seed_posts):
    _, posts = seed_posts
    halves = [posts[: len(posts) // 3], posts[len(posts) // 3 :]]
    assert merge_language_counts([language_counts(h) for h in halves]) == language_counts(posts)
    assert completeness_of(channel_ids(h) for h in halves) == completeness(posts)


def test_the_build_finds_every_parsed_post_and_renumbers_identical_raw_posts(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    entries = []
    for name, what in (("a.txt", "two"), ("b.txt", "two"), ("c.txt", "three")):
        (seeds / name).write_text(ARTICLE.format(k=1, what=what), encoding="utf-8")
        entries.append(seeds_entry(seeds, name, "sputnik", "web", "sputnik_article", "en", "t"))
    root = finish_repo(tmp_path, entries)
    config = load_config(root / "statemedia.toml")
    parsed = parse_and_clean(load_inputs(root / "seeds", root, set(registry()))).posts
    built = build_tables(root, config)
    rows = [row for table in built.tables.values() for row in table.to_pylist()]
    found = {row["post_id"] for row in rows if "record_kind" in row}
    found |= {dup["post_id"] for row in rows for dup in row.get("duplicates", [])}
    assert found == {post.post_id for post in parsed}
    assert any(post.post_id.endswith("-2") for post in parsed)  # a.txt and b.txt: same raw post
    (merge,) = built.manifest.merges
    assert {merge.kept_lines.split(":")[0], merge.removed_lines.split(":")[0]} == {
        "seeds/a.txt",
        "seeds/b.txt",
    }


def test_the_spill_is_removed_after_a_build_and_after_a_failed_one(tmp_path):
    config = load_config(REPO / "statemedia.toml")
    out = tmp_path / "out"
    out.mkdir()
    result = build_into(REPO, config, out)
    assert isinstance(result, BuildResult)
    assert sorted(p.name for p in out.iterdir()) == sorted(e.path for e in result.manifest.files)

    root = tmp_path / "bad"
    seeds = root / "seeds"
    seeds.mkdir(parents=True)
    (seeds / "a.txt").write_text(ARTICLE.format(k=1, what="two"), encoding="utf-8")
    entries = [seeds_entry(seeds, "a.txt", "sputnik", "web", "sputnik_article", "en", "t")]
    (seeds / "b.txt").write_bytes(b"Title\n\n\xff\xfe not text\n")
    entries.append(seeds_entry(seeds, "b.txt", "sputnik", "web", "sputnik_article", "en", "t"))
    finish_repo(root, entries)
    failed = tmp_path / "failed"
    failed.mkdir()
    with pytest.raises(BadInputError, match=r"b\.txt"):
        build_into(root, load_config(root / "statemedia.toml"), failed)
    assert list(failed.iterdir()) == []


def _feature(post_id: str, publisher: str, language: str, minute: int | None, day: int):
    empty: frozenset[str] = frozenset()
    return _Features(
        post_id, publisher, language, minute, day, empty, empty, empty, empty, empty, 1, empty
    )


posts_strategy = st.lists(
    st.tuples(
        st.sampled_from(["mfa", "tass"]),
        st.sampled_from(["en", "ru", "es"]),
        st.one_of(st.none(), st.integers(0, 6000)),
        st.integers(0, 5),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(posts_strategy)
def test_every_post_in_a_candidate_pair_is_one_whose_features_are_read(posts):
    window = 720
    feats = [
        _feature(f"p{k:03d}", pub, lang, minute, minute // 1440 if minute is not None else day)
        for k, (pub, lang, minute, day) in enumerate(posts)
    ]
    needed = features_needed([(f.publisher, f.language, f.minute, f.day) for f in feats], window)
    in_pairs = set()
    for publisher in ("mfa", "tass"):
        mine = sorted((f for f in feats if f.publisher == publisher), key=lambda f: f.post_id)
        for a, b in _candidate_pairs(mine, window):
            in_pairs |= {a.post_id, b.post_id}
    assert in_pairs <= {f.post_id for f, need in zip(feats, needed, strict=True) if need}


def test_a_shard_assembled_row_group_by_row_group_is_the_file_written_whole(tmp_path):
    # 2 row groups and a part of a third, from rows spread over three "files" in shuffled order.
    built = build_tables(REPO, load_config(REPO / "statemedia.toml"))
    seed_rows = built.tables[Table.TRAIN]
    n = 2 * ROW_GROUP_ROWS + 1234
    tiled = pa.concat_tables([seed_rows] * (n // seed_rows.num_rows + 1)).slice(0, n)
    shuffled = random.Random(3).sample(range(n), n)
    ids = pa.array([f"p-{k:07d}" for k in shuffled])
    # Read back, list items are named `element`; the build writes the declared schema.
    table = tiled.set_column(0, tiled.schema.field(0), ids).cast(table_schema()).combine_chunks()
    assert table.schema.names[0] == "post_id"
    order = pc.sort_indices(table, [("post_id", "ascending")]).to_pylist()
    group_of = [0] * n
    for position, row in enumerate(order):
        group_of[row] = position // ROW_GROUP_ROWS
    file_of = [random.Random(k).randrange(3) for k in range(n)]
    pieces: dict[int, list[tuple[str, int]]] = {}
    for f in range(3):
        path = tmp_path / f"rows-{f}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
            for index, g in enumerate(sorted({group_of[r] for r in range(n) if file_of[r] == f})):
                rows = [r for r in range(n) if file_of[r] == f and group_of[r] == g]
                w.write_batch(table.take(rows).combine_chunks().to_batches()[0])
                pieces.setdefault(g, []).append((str(path), index))
    task = ShardTask(
        Table.TRAIN,
        "train-00000-of-00001.parquet",
        n,
        tuple(tuple(pieces[g]) for g in range(3)),
        str(tmp_path),
    )
    entry = write_shard(task)
    expected = parquet_bytes(table.take(order))
    assert (tmp_path / entry.path).read_bytes() == expected
    assert entry.sha256 == hashlib.sha256(expected).hexdigest() and entry.rows == n
    assert pq.ParquetFile(tmp_path / entry.path).metadata.num_row_groups == 3
