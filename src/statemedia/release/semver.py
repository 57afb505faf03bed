"""The smallest version bump a new build allows over the newest release, with the reasons.

Semantic versioning of the data (DATACARD.md §11), checked by `statemedia release`:
- major: a released row is no longer a row (a post table's `post_id`, or an annotation row), or a
  column of a released table is removed or retyped;
- minor: rows or columns are added (a new column, or a new member of a struct column such as
  `provenance`, extends a type and is not a retype), or values of released rows change;
- patch: the data is unchanged (only code, documents or manifest details).
Pure over Arrow tables; rows are compared on the released columns only, so an added column alone
is no value change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

import pyarrow as pa

from statemedia.release.layout import newest_version, read_manifest, version_key
from statemedia.vocab import Table


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


def _shown(items: list[str], limit: int = 5) -> str:
    more = f", … ({len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def required_bump(
    newest: str, released: Mapping[Table, pa.Table], built: Mapping[Table, pa.Table]
) -> BumpReport:
    """Compare a build with release `newest` (its tables by name) and derive the smallest bump."""
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


def _compare_rows(
    table: Table,
    newest: str,
    old: pa.Table,
    new: pa.Table,
    comparable: list[pa.Field],
    major: list[str],
    minor: list[str],
) -> None:
    """Rows gone (major), rows added and values changed (minor), on the released columns."""
    names = [f.name for f in comparable]

    def rows(tab: pa.Table, project_new: bool) -> list[tuple[str, dict[str, Any]]]:
        data = tab.select(names).to_pylist()
        if project_new:
            data = [{f.name: project(row[f.name], f.type) for f in comparable} for row in data]
        return [(_key(table, row), row) for row in data]

    before, after = rows(old, False), rows(new, True)
    if table == Table.ANNOTATIONS or "post_id" not in names:
        # Rows have no single id: compare as multisets of whole rows.
        gone = Counter(key for key, _ in before) - Counter(key for key, _ in after)
        grown = Counter(key for key, _ in after) - Counter(key for key, _ in before)
        if gone:
            major.append(f"{table}: {gone.total()} row(s) of {newest} are no longer rows")
        if grown:
            minor.append(f"{table}: {grown.total()} row(s) added")
        return
    now = dict(after)
    gone_ids = [key for key, _ in before if key not in now]
    if gone_ids:
        major.append(
            f"{len(gone_ids)} post_id(s) of {newest} are no longer rows of {table}: "
            f"{_shown(gone_ids)}"
        )
    released_ids = {key for key, _ in before}
    added = sum(1 for key, _ in after if key not in released_ids)
    if added:
        minor.append(f"{table}: {added} row(s) added")
    changed: Counter[str] = Counter()
    for key, row in before:
        if key in now:
            changed.update(name for name in names if row[name] != now[key][name])
    if changed:
        minor.append(
            f"{table}: values changed in "
            + ", ".join(f"{name} ({count} row(s))" for name, count in sorted(changed.items()))
        )


def release_tables(release_dir: Path) -> dict[Table, pa.Table]:
    """A release's tables by name, each the concatenation of its files in manifest order."""
    import pyarrow.parquet as pq

    files: dict[Table, list[pa.Table]] = {}
    for entry in read_manifest(release_dir).files:
        files.setdefault(Table(entry.table), []).append(pq.read_table(release_dir / entry.path))
    return {table: pa.concat_tables(parts) for table, parts in files.items()}


def bump_against_newest(
    dataset_dir: Path, built: Mapping[Table, pa.Table]
) -> tuple[str, BumpReport] | None:
    """The newest release and the bump a build needs over it, or None before the first release."""
    newest = newest_version(dataset_dir)
    if newest is None:
        return None
    return newest, required_bump(newest, release_tables(dataset_dir / "data" / newest), built)


def _key(table: Table, row: dict[str, Any]) -> str:
    if table != Table.ANNOTATIONS and "post_id" in row:
        return str(row["post_id"])
    return repr(sorted(row.items()))
