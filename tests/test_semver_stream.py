"""The semver check streams: a build folder (manifest.json and Parquet shards, the release layout)
is compared with the newest release one record batch at a time, by a merge join on post_id, and
gives exactly the bump and the reasons that `required_bump` gives over the same tables in memory."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from statemedia.errors import ReleaseError
from statemedia.release.layout import read_manifest, shard_layout, verify_release
from statemedia.release.manifest import FileEntry
from statemedia.release.semver import (
    Bump,
    BumpReport,
    MemoryTable,
    ShardedTable,
    bump_against_folder,
    bump_against_newest,
    release_tables,
    required_bump,
)
from statemedia.vocab import Table

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = read_manifest(REPO / "dataset" / "data" / "v1.0.0")  # any real manifest, files replaced
PROV = pa.struct([("line_start", pa.int64())])
PROV_MORE = pa.struct([("line_start", pa.int64()), ("byte_start", pa.int64())])
POSTS = pa.schema([("post_id", pa.string()), ("text", pa.string()), ("provenance", PROV)])
ANNOTATIONS = pa.schema(
    [("post_id", pa.string()), ("annotator", pa.string()), ("label", pa.string())]
)
RELEASE_SHARD = 5  # rows per shard of the release ...
BUILD_SHARD = 7  # ... and of the build: the boundaries fall elsewhere
BATCH = 3  # rows per record batch read, fewer than a shard's

Tables = dict[Table, pa.Table]


def post(k: int, text: str | None = None) -> dict[str, Any]:
    return {"post_id": f"p{k:02d}", "text": text or f"text {k}", "provenance": {"line_start": k}}


def released_tables() -> Tables:
    """23 train posts (5 shards in the release, 4 in the build), 9 link teasers, 3 annotations."""
    return {
        Table.TRAIN: pa.Table.from_pylist([post(k) for k in range(23)], schema=POSTS),
        Table.VALIDATION: pa.Table.from_pylist([post(k) for k in (30, 31)], schema=POSTS),
        Table.TEST: pa.Table.from_pylist([], schema=POSTS),
        Table.LINK_TEASERS: pa.Table.from_pylist([post(k) for k in range(40, 49)], schema=POSTS),
        Table.ANNOTATIONS: pa.Table.from_pylist(
            [
                {"post_id": "p01", "annotator": "a1", "label": "x"},
                {"post_id": "p01", "annotator": "a2", "label": "y"},
                {"post_id": "p02", "annotator": "a1", "label": "x"},
            ],
            schema=ANNOTATIONS,
        ),
    }


def write_folder(folder: Path, tables: Tables, max_rows: int) -> Path:
    """`tables` written as a release folder: shards of at most `max_rows` rows (row groups of 2,
    so that batches also cross row groups) and a manifest that `read_manifest` reads."""
    folder.mkdir(parents=True)
    entries = []
    for table in Table:
        if table not in tables:
            continue
        whole = tables[table]
        for shard in shard_layout(table, whole.num_rows, max_rows):
            part = whole.slice(shard.offset, shard.rows)
            path = folder / shard.path
            pq.write_table(part, path, row_group_size=2)
            data = path.read_bytes()
            entries.append(
                FileEntry(
                    path=shard.path,
                    table=table,
                    sha256=hashlib.sha256(data).hexdigest(),
                    rows=shard.rows,
                    bytes=len(data),
                    arrow_bytes=part.nbytes,
                )
            )
    manifest = replace(TEMPLATE, version=folder.name, files=tuple(entries))
    (folder / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    assert verify_release(folder) == []
    return folder


def streamed(tmp_path: Path, built: Tables, released: Tables | None = None) -> BumpReport:
    """The streaming report for release v1.0.0 of `released` and a build folder of `built`;
    asserted equal to `required_bump` over the same files read whole, and to the in-memory
    wrapper `bump_against_newest`."""
    dataset = tmp_path / "dataset"
    release = write_folder(
        dataset / "data" / "v1.0.0", released or released_tables(), RELEASE_SHARD
    )
    build = write_folder(tmp_path / "build", built, BUILD_SHARD)
    found = bump_against_folder(dataset, build, batch_rows=BATCH)
    assert found is not None
    version, report = found
    assert version == "v1.0.0"
    assert report == required_bump("v1.0.0", release_tables(release), release_tables(build))
    assert bump_against_newest(dataset, release_tables(build)) == found
    return report


def with_train(change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]], schema=POSTS):
    tables = released_tables()
    tables[Table.TRAIN] = pa.Table.from_pylist(change(tables[Table.TRAIN].to_pylist()), schema)
    return tables


def test_the_folders_have_several_shards_with_boundaries_in_different_places(tmp_path):
    release = write_folder(tmp_path / "v1.0.0", released_tables(), RELEASE_SHARD)
    build = write_folder(tmp_path / "build", released_tables(), BUILD_SHARD)
    assert [e.rows for e in read_manifest(release).shards(Table.TRAIN)] == [5, 5, 5, 5, 3]
    assert [e.rows for e in read_manifest(build).shards(Table.TRAIN)] == [7, 7, 7, 2]


def test_identical_data_in_other_shards_is_a_patch(tmp_path):
    report = streamed(tmp_path, released_tables())
    assert report == BumpReport(Bump.PATCH, ())


def test_an_added_row_is_minor(tmp_path):
    def add(rows):
        return [*rows[:11], {**post(10, "new"), "post_id": "p10a"}, *rows[11:]]

    report = streamed(tmp_path, with_train(add))
    assert report == BumpReport(Bump.MINOR, ("train: 1 row(s) added",))


def test_removed_post_ids_are_major_and_named_in_release_order(tmp_path):
    gone = {1, 4, 5, 9, 14, 20, 22}  # across shards and batches, the last row too

    report = streamed(
        tmp_path, with_train(lambda rows: [r for k, r in enumerate(rows) if k not in gone])
    )
    assert report == BumpReport(
        Bump.MAJOR,
        (
            "7 post_id(s) of v1.0.0 are no longer rows of train: p01, p04, p05, p09, p14, … (2 more)",
        ),
    )


def test_changed_values_are_minor_and_counted_per_column(tmp_path):
    def change(rows):
        rows[0]["text"] = "corrected"
        rows[13]["text"] = "corrected"
        rows[22]["provenance"] = {"line_start": 99}
        return rows

    report = streamed(tmp_path, with_train(change))
    assert report == BumpReport(
        Bump.MINOR, ("train: values changed in provenance (1 row(s)), text (2 row(s))",)
    )


def test_an_added_column_is_minor_and_no_value_change(tmp_path):
    def add(rows):
        return [{**row, "extra": k} for k, row in enumerate(rows)]

    report = streamed(tmp_path, with_train(add, POSTS.append(pa.field("extra", pa.int64()))))
    assert report == BumpReport(Bump.MINOR, ("train: column(s) added: extra",))


def test_an_added_struct_member_is_projected_away(tmp_path):
    def extend(rows):
        return [{**r, "provenance": {**r["provenance"], "byte_start": 7}} for r in rows]

    schema = pa.schema([*POSTS.remove(2), ("provenance", PROV_MORE)])
    report = streamed(tmp_path, with_train(extend, schema))
    assert report == BumpReport(Bump.MINOR, ("train: struct member(s) added in: provenance",))


def test_a_retyped_column_is_major(tmp_path):
    def retype(rows):
        return [{**row, "text": k} for k, row in enumerate(rows)]

    schema = pa.schema([("post_id", pa.string()), ("text", pa.int64()), ("provenance", PROV)])
    report = streamed(tmp_path, with_train(retype, schema))
    assert report == BumpReport(Bump.MAJOR, ("train: column(s) retyped: text (string -> int64)",))


def test_a_removed_column_is_major_and_the_rest_still_compared(tmp_path):
    def drop(rows):
        rows[3]["provenance"] = {"line_start": 0}
        return [{k: v for k, v in row.items() if k != "text"} for row in rows]

    report = streamed(tmp_path, with_train(drop, POSTS.remove(1)))
    assert report == BumpReport(
        Bump.MAJOR,
        ("train: column(s) removed: text", "train: values changed in provenance (1 row(s))"),
    )


def test_many_changes_in_several_tables_keep_their_order(tmp_path):
    built = released_tables()
    teasers = built[Table.LINK_TEASERS].to_pylist()
    teasers[4]["text"] = "changed"
    built[Table.LINK_TEASERS] = pa.Table.from_pylist([*teasers[1:], post(50)], schema=POSTS)
    notes = built[Table.ANNOTATIONS].to_pylist()
    notes[1]["label"] = "z"  # one annotation row gone, one added
    built[Table.ANNOTATIONS] = pa.Table.from_pylist(notes, schema=ANNOTATIONS)
    del built[Table.VALIDATION]
    report = streamed(tmp_path, built)
    assert report == BumpReport(
        Bump.MAJOR,
        (
            "table validation (2 rows of v1.0.0) is no longer built",
            "1 post_id(s) of v1.0.0 are no longer rows of link_teasers: p40",
            "annotations: 1 row(s) of v1.0.0 are no longer rows",
            "link_teasers: 1 row(s) added",
            "link_teasers: values changed in text (1 row(s))",
            "annotations: 1 row(s) added",
        ),
    )


def test_a_build_not_in_post_id_order_is_refused_not_misread(tmp_path):
    built = with_train(lambda rows: [*rows[10:], *rows[:10]])
    with pytest.raises(ReleaseError, match=r"the build: table train is not in post_id order"):
        streamed(tmp_path, built)


def test_in_memory_tables_out_of_order_are_sorted_and_name_rows_in_their_order():
    old = released_tables()[Table.TRAIN]
    shuffled = old.take(
        pa.array([22, 3, 15, 0, 8, 1, 19, 7, 2, 4, 5, 6, 9, 10, 11, 12, 13, 14, 16, 17, 18, 20, 21])
    )
    kept = [post(k) for k in range(23) if k not in {22, 15, 8, 19, 0, 3, 1}]
    report = required_bump(
        "v1.0.0", {Table.TRAIN: shuffled}, {Table.TRAIN: pa.Table.from_pylist(kept[::-1], POSTS)}
    )
    assert report.reasons == (
        "7 post_id(s) of v1.0.0 are no longer rows of train: p22, p03, p15, p00, p08, … (2 more)",
    )


def test_shards_are_read_in_batches_with_positions_running_across_shards(tmp_path):
    folder = write_folder(tmp_path / "v1.0.0", released_tables(), RELEASE_SHARD)
    paths = [folder / e.path for e in read_manifest(folder).shards(Table.TRAIN)]
    side = ShardedTable(paths, batch_rows=BATCH)
    assert side.num_rows == 23 and side.schema == POSTS
    batches = list(side.batches(["post_id"], True))
    assert max(batch.num_rows for batch, _ in batches) <= BATCH
    assert len(batches) > len(paths)
    assert [p for _, positions in batches for p in positions] == list(range(23))
    assert [r["post_id"] for b, _ in batches for r in b.to_pylist()] == [
        f"p{k:02d}" for k in range(23)
    ]
    memory = list(
        MemoryTable(released_tables()[Table.TRAIN], batch_rows=BATCH).batches(["text"], False)
    )
    assert [b.num_rows for b, _ in memory] == [3] * 7 + [2]
