"""Release tables written from the spill, shard by shard, so no table is ever held whole.

Two engine tasks: `spill_rows` turns one input file's kept posts into release rows and writes them
to the scratch folder as one Arrow IPC file, a record batch per Parquet row group its rows belong
to; `write_shard` assembles one shard row group by row group (that group's batches from every
file, in file order, sorted by post_id) and writes the shard's exact Parquet bytes. A row's place
(table, shard, row group) is fixed before either runs, by its position in its table's post_id
order, so the files do not depend on the engine, the number of workers or the order tasks finish
in, and a shard's memory is one row group's rows plus its compressed bytes.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from statemedia.fileio import write_atomic
from statemedia.labeling.gold import post_label_columns
from statemedia.labeling.records import GoldLabel
from statemedia.labeling.scheme import load_scheme
from statemedia.records import DuplicateLink
from statemedia.release.manifest import FileEntry
from statemedia.release.writer import parquet_bytes_of, post_row, table_schema
from statemedia.spill import SpillPart
from statemedia.translations import TranslationGroup
from statemedia.vocab import Table


@dataclass(frozen=True, slots=True)
class RowTask:
    """One file's kept posts to turn into rows: each kept position's place (table, shard, row
    group), and the duplicates, translation group and gold label of those posts."""

    part: SpillPart
    file_index: int
    targets: Mapping[int, Place]  # position in the file -> where its row goes
    links: Mapping[str, tuple[DuplicateLink, ...]]
    groups: Mapping[str, TranslationGroup]
    gold: Mapping[str, GoldLabel]
    scratch: str  # where the row parts go


Place = tuple[Table, int, int]  # (table, shard, row group in the shard)


@dataclass(frozen=True, slots=True)
class RowPart:
    """The rows of one file for one row group of one shard: record batch `batch` of `path`."""

    place: Place
    path: str
    batch: int
    rows: int


def spill_rows(task: RowTask) -> list[RowPart]:
    """Write one file's release rows as one Arrow IPC file, a record batch per row group."""
    if not task.targets:
        return []
    scheme = load_scheme()
    posts = task.part.posts()
    grouped: dict[Place, list[dict[str, object]]] = defaultdict(list)
    for position, place in sorted(task.targets.items()):
        post = posts[position]
        grouped[place].append(
            post_row(
                post,
                task.links.get(post.post_id, ()),
                task.groups.get(post.post_id),
                post_label_columns(task.gold.get(post.post_id), scheme),
            )
        )
    schema = table_schema()
    path = Path(task.scratch) / f"rows-{task.file_index:06d}.arrow"
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = []
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for index, (place, rows) in enumerate(sorted(grouped.items())):
            writer.write_batch(pa.RecordBatch.from_pylist(rows, schema=schema))
            parts.append(RowPart(place, str(path), index, len(rows)))
    return parts


@dataclass(frozen=True, slots=True)
class ShardTask:
    """One release shard to assemble, row group by row group, from its row parts (each group's
    parts in file order) and write."""

    table: Table
    name: str  # file name in the release folder, e.g. train-00000-of-00002.parquet
    rows: int
    groups: tuple[tuple[tuple[str, int], ...], ...]  # per row group: (path, batch) of its parts
    folder: str


def write_shard(task: ShardTask) -> FileEntry:
    """Sort each row group's rows by post_id, encode the shard once (group by group), write it
    atomically, and return its entry. Only one row group's rows are in memory at a time."""
    schema = table_schema()
    seen = {"rows": 0, "nbytes": 0}

    def groups() -> Iterator[pa.Table]:
        for pieces in task.groups:
            batches = []
            for path, index in pieces:
                with pa.OSFile(path) as source:  # read, not mapped: the batch outlives the file
                    batches.append(pa.ipc.open_file(source).get_batch(index))
            group = pa.Table.from_batches(batches, schema=schema)
            group = group.sort_by("post_id")
            group = group.combine_chunks()
            del batches
            seen["rows"] += group.num_rows
            seen["nbytes"] += group.nbytes
            yield group

    data = parquet_bytes_of(schema, groups())
    if seen["rows"] != task.rows:
        raise AssertionError(f"{task.name}: {seen['rows']} rows spilled, {task.rows} expected")
    write_atomic(Path(task.folder) / task.name, data)
    return FileEntry(
        path=task.name,
        table=task.table,
        sha256=hashlib.sha256(data).hexdigest(),
        rows=task.rows,
        bytes=len(data),
        arrow_bytes=seen["nbytes"],
    )
