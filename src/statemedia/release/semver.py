"""The smallest version bump a new build allows over the newest release, with the reasons.

Semantic versioning of the data (DATACARD.md §11), checked by `statemedia release`:
- major: a released row is no longer a row (a post table's `post_id`, or an annotation row), or a
  column of a released table is removed or retyped;
- minor: rows or columns are added (a new column, or a new member of a struct column such as
  `provenance`, extends a type and is not a retype), or values of released rows change;
- patch: the data is unchanged (only code, documents or manifest details).
Rows are compared on the released columns only, so an added column alone is no value change.

The comparison streams: a release folder and a build folder (the same layout, `manifest.json` and
Parquet shards) are read one record batch at a time, schemas from each table's first shard, and the
rows of a post table by a merge join on `post_id` over the two sorted streams (shards are cut from
the canonical `post_id` order), so memory holds one batch of each side, not a table.
`required_bump` runs the same comparison over in-memory Arrow tables (sorted first if they are
not). Only the small annotations table, and a post table whose `post_id` is itself removed or
retyped, are compared as multisets of whole rows, which holds one key per row.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from itertools import groupby
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from statemedia.errors import ReleaseError
from statemedia.release.layout import newest_version, read_manifest, version_key
from statemedia.vocab import Table

BATCH_ROWS = 10_000  # rows per record batch read from a shard (one batch of each side in memory)
SHOWN = 5  # post_ids named in a reason
Row = dict[str, Any]  # one row of a table, column name -> value


class Bump(IntEnum):
    """Release levels, smallest first."""

    PATCH = 0
    MINOR = 1
    MAJOR = 2

    @property
    def word(self) -> str:
        """The level's name: "patch", "minor", "major"."""
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class BumpReport:
    """The smallest allowed bump and why, one reason per kind of change."""

    required: Bump
    reasons: tuple[str, ...]  # the changes that make `required` necessary, and any smaller ones


def bump_of(newest: str, version: str) -> Bump:
    """The level of going from release `newest` to `version` (folder names, version newer)."""
    old, new = version_key(newest), version_key(version)
    if new[0] != old[0]:
        return Bump.MAJOR
    return Bump.MINOR if new[1] != old[1] else Bump.PATCH


def next_version(newest: str, bump: Bump) -> str:
    """The smallest version after `newest` at level `bump`, as `--version` takes it ("1.1.0")."""
    major, minor, patch = version_key(newest)
    if bump == Bump.MAJOR:
        return f"{major + 1}.0.0"
    if bump == Bump.MINOR:
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def extends(old: pa.DataType, new: pa.DataType) -> bool:
    """Whether values of type `old` read unchanged as `new`: equal, or a struct with members
    added (recursively, also inside lists)."""
    if old.equals(new):
        return True
    if pa.types.is_struct(old) and pa.types.is_struct(new):
        members = {new.field(k).name: new.field(k).type for k in range(new.num_fields)}
        return all(
            old.field(k).name in members and extends(old.field(k).type, members[old.field(k).name])
            for k in range(old.num_fields)
        )
    if pa.types.is_list(old) and pa.types.is_list(new):
        return extends(old.value_type, new.value_type)
    return False


def project(value: Any, old: pa.DataType) -> Any:
    """A new value reduced to the members of the released type `old` (for comparing values)."""
    if value is None:
        return None
    if pa.types.is_struct(old):
        return {
            old.field(k).name: project(value.get(old.field(k).name), old.field(k).type)
            for k in range(old.num_fields)
        }
    if pa.types.is_list(old):
        return [project(item, old.value_type) for item in value]
    return value


def _shown(items: list[str], limit: int = SHOWN, total: int | None = None) -> str:
    """The first `limit` of `items` (of `total`, all of `items` unless given), and how many more."""
    count = len(items) if total is None else total
    more = f", … ({count - limit} more)" if count > limit else ""
    return ", ".join(items[:limit]) + more


class TableSide(Protocol):
    """One table of one side of the comparison (a release or a build), read as a stream."""

    @property
    def schema(self) -> pa.Schema:
        """The table's columns and types."""
        ...

    @property
    def num_rows(self) -> int:
        """Rows in the table."""
        ...

    def batches(
        self, names: Sequence[str], by_post_id: bool
    ) -> Iterator[tuple[pa.RecordBatch, Sequence[int]]]:
        """Record batches of the columns `names` in row order (by `post_id` as strings if
        `by_post_id`), each with the positions of its rows in the table."""
        ...


class MemoryTable:
    """A table held in memory (`required_bump`'s tables), batches cut from it."""

    def __init__(self, table: pa.Table, batch_rows: int = BATCH_ROWS) -> None:
        self.table = table
        self.batch_rows = batch_rows

    @property
    def schema(self) -> pa.Schema:
        return self.table.schema

    @property
    def num_rows(self) -> int:
        return self.table.num_rows

    def batches(
        self, names: Sequence[str], by_post_id: bool
    ) -> Iterator[tuple[pa.RecordBatch, Sequence[int]]]:
        table = self.table.select(list(names))
        order: Sequence[int] = range(table.num_rows)
        if by_post_id:
            keys = [str(value) for value in table.column("post_id").to_pylist()]
            if any(keys[k] > keys[k + 1] for k in range(len(keys) - 1)):
                order = sorted(order, key=keys.__getitem__)  # stable: equal ids keep their order
                table = table.take(pa.array(order, type=pa.int64()))
        start = 0
        for batch in table.to_batches(max_chunksize=self.batch_rows):
            yield batch, order[start : start + batch.num_rows]
            start += batch.num_rows


class ShardedTable:
    """A table written as Parquet shards (a release's or a build's), read one batch at a time;
    its rows must already be in canonical order to be compared by `post_id`."""

    def __init__(self, paths: Sequence[Path], batch_rows: int = BATCH_ROWS) -> None:
        import pyarrow.parquet as pq

        self.paths = tuple(paths)
        self.batch_rows = batch_rows
        self._schema = pq.read_schema(self.paths[0])  # every shard of a table has its schema
        self._rows = sum(pq.read_metadata(path).num_rows for path in self.paths)

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    @property
    def num_rows(self) -> int:
        return self._rows

    def batches(
        self, names: Sequence[str], by_post_id: bool
    ) -> Iterator[tuple[pa.RecordBatch, Sequence[int]]]:
        import pyarrow.parquet as pq

        start = 0
        for path in self.paths:
            with pq.ParquetFile(path) as shard:
                for batch in shard.iter_batches(batch_size=self.batch_rows, columns=list(names)):
                    yield batch, range(start, start + batch.num_rows)
                    start += batch.num_rows


def folder_tables(folder: Path, batch_rows: int = BATCH_ROWS) -> dict[Table, ShardedTable]:
    """The tables of a release or build folder by name, each its shards in manifest order."""
    paths: dict[Table, list[Path]] = {}
    for entry in read_manifest(folder).files:
        paths.setdefault(Table(entry.table), []).append(folder / entry.path)
    return {table: ShardedTable(files, batch_rows) for table, files in paths.items()}


def required_bump(
    newest: str, released: Mapping[Table, pa.Table], built: Mapping[Table, pa.Table]
) -> BumpReport:
    """Compare a build with release `newest` (its tables by name) and derive the smallest bump."""
    return compare_tables(
        newest,
        {table: MemoryTable(data) for table, data in released.items()},
        {table: MemoryTable(data) for table, data in built.items()},
    )


def compare_tables(
    newest: str, released: Mapping[Table, TableSide], built: Mapping[Table, TableSide]
) -> BumpReport:
    """`required_bump` over tables read as streams (in memory or from shards)."""
    major: list[str] = []
    minor: list[str] = []
    for table in Table:
        old, new = released.get(table), built.get(table)
        if old is None:
            if new is not None and new.num_rows:
                minor.append(f"table {table} added ({new.num_rows} rows)")
            continue
        if new is None:
            if old.num_rows:
                major.append(f"table {table} ({old.num_rows} rows of {newest}) is no longer built")
            continue
        new_types = {field.name: field.type for field in new.schema}
        removed = [f.name for f in old.schema if f.name not in new_types]
        retyped = {
            f.name: f"{f.name} ({f.type} -> {new_types[f.name]})"
            for f in old.schema
            if f.name in new_types and not extends(f.type, new_types[f.name])
        }
        if removed:
            major.append(f"{table}: column(s) removed: {', '.join(removed)}")
        if retyped:
            major.append(f"{table}: column(s) retyped: {', '.join(retyped.values())}")
        old_names = {f.name for f in old.schema}
        added = [name for name in new_types if name not in old_names]
        extended = [
            f.name
            for f in old.schema
            if f.name in new_types
            and not f.type.equals(new_types[f.name])
            and extends(f.type, new_types[f.name])
        ]
        if added:
            minor.append(f"{table}: column(s) added: {', '.join(added)}")
        if extended:
            minor.append(f"{table}: struct member(s) added in: {', '.join(extended)}")
        comparable = [f for f in old.schema if f.name in new_types and f.name not in retyped]
        _compare_rows(table, newest, old, new, comparable, major, minor)
    if major:
        return BumpReport(Bump.MAJOR, (*major, *minor))
    return BumpReport(Bump.MINOR if minor else Bump.PATCH, tuple(minor))


def _rows(
    side: TableSide, comparable: list[pa.Field], project_new: bool, by_post_id: bool
) -> Iterator[tuple[int, Row]]:
    """The rows of `side` on the `comparable` columns with their positions, one batch at a time;
    a new row is projected onto the released types."""
    names = [f.name for f in comparable]
    for batch, positions in side.batches(names, by_post_id):
        data = batch.to_pylist()
        if project_new:
            data = [{f.name: project(row[f.name], f.type) for f in comparable} for row in data]
        yield from zip(positions, data, strict=True)


def _compare_rows(
    table: Table,
    newest: str,
    old: TableSide,
    new: TableSide,
    comparable: list[pa.Field],
    major: list[str],
    minor: list[str],
) -> None:
    """Rows gone (major), rows added and values changed (minor), on the released columns."""
    names = [f.name for f in comparable]
    if table == Table.ANNOTATIONS or "post_id" not in names:
        _compare_multisets(table, newest, old, new, comparable, major, minor)
        return
    before = _runs(table, newest, _rows(old, comparable, False, True))
    after = _runs(table, "the build", _rows(new, comparable, True, True))
    gone: list[tuple[int, str]] = []  # the first SHOWN by position, as (-position, post_id)
    gone_count = added = 0
    changed: Counter[str] = Counter()
    released, built = next(before, None), next(after, None)
    while released is not None or built is not None:
        if built is None or (released is not None and released[0] < built[0]):
            assert released is not None
            key, old_rows = released
            for position, _ in old_rows:
                gone_count += 1
                heapq.heappush(gone, (-position, key))
                if len(gone) > SHOWN:
                    heapq.heappop(gone)
            released = next(before, None)
        elif released is None or built[0] < released[0]:
            added += len(built[1])
            built = next(after, None)
        else:
            now = built[1][-1][1]  # of several new rows with one id, the last (as a dict keeps)
            for _, row in released[1]:
                changed.update(name for name in names if row[name] != now[name])
            released, built = next(before, None), next(after, None)
    if gone_count:
        shown = [key for _, key in sorted(gone, reverse=True)]
        major.append(
            f"{gone_count} post_id(s) of {newest} are no longer rows of {table}: "
            f"{_shown(shown, total=gone_count)}"
        )
    if added:
        minor.append(f"{table}: {added} row(s) added")
    if changed:
        minor.append(
            f"{table}: values changed in "
            + ", ".join(f"{name} ({count} row(s))" for name, count in sorted(changed.items()))
        )


def _runs(
    table: Table, side: str, rows: Iterator[tuple[int, Row]]
) -> Iterator[tuple[str, list[tuple[int, Row]]]]:
    """Consecutive rows of one `post_id` (as a string), ids ascending; an id out of order is a
    ReleaseError, since the merge join would miss it."""
    previous: str | None = None
    for key, group in groupby(rows, key=lambda item: str(item[1]["post_id"])):
        if previous is not None and key < previous:
            raise ReleaseError(
                f"{side}: table {table} is not in post_id order ({key!r} after {previous!r}); "
                "cannot compare it with the release"
            )
        previous = key
        yield key, list(group)


def _compare_multisets(
    table: Table,
    newest: str,
    old: TableSide,
    new: TableSide,
    comparable: list[pa.Field],
    major: list[str],
    minor: list[str],
) -> None:
    """Rows with no single id: compare as multisets of whole rows (one key per row is held)."""

    def keys(side: TableSide, project_new: bool) -> Counter[str]:
        if not comparable:  # no column to read: every row is the empty row
            return Counter({repr([]): side.num_rows})
        return Counter(
            repr(sorted(row.items())) for _, row in _rows(side, comparable, project_new, False)
        )

    before, after = keys(old, False), keys(new, True)
    gone, grown = before - after, after - before
    if gone:
        major.append(f"{table}: {gone.total()} row(s) of {newest} are no longer rows")
    if grown:
        minor.append(f"{table}: {grown.total()} row(s) added")


def release_tables(release_dir: Path) -> dict[Table, pa.Table]:
    """A release's tables by name, each the concatenation of its files in manifest order (whole
    in memory; the semver check itself streams, see `bump_against_folder`)."""
    import pyarrow.parquet as pq

    files: dict[Table, list[pa.Table]] = {}
    for entry in read_manifest(release_dir).files:
        files.setdefault(Table(entry.table), []).append(pq.read_table(release_dir / entry.path))
    return {table: pa.concat_tables(parts) for table, parts in files.items()}


def bump_against_folder(
    dataset_dir: Path, build_dir: Path, batch_rows: int = BATCH_ROWS
) -> tuple[str, BumpReport] | None:
    """The newest release and the bump the build in folder `build_dir` (its `manifest.json` and
    shards) needs over it, or None before the first release; both read `batch_rows` at a time."""
    newest = newest_version(dataset_dir)
    if newest is None:
        return None
    released = folder_tables(dataset_dir / "data" / newest, batch_rows)
    return newest, compare_tables(newest, released, folder_tables(build_dir, batch_rows))


def bump_against_newest(
    dataset_dir: Path, built: Mapping[Table, pa.Table]
) -> tuple[str, BumpReport] | None:
    """The newest release and the bump a build held in memory needs over it, or None before the
    first release; the release is streamed from its shards."""
    newest = newest_version(dataset_dir)
    if newest is None:
        return None
    released = folder_tables(dataset_dir / "data" / newest)
    built_tables = {table: MemoryTable(data) for table, data in built.items()}
    return newest, compare_tables(newest, released, built_tables)
