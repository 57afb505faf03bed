"""The release layout on disk: `dataset/data/<version>/<table>-<k>-of-<n>.parquet` + manifest.

Each table is cut into n shards of at most `[release] max_rows_per_shard` rows (`shard_layout`);
shard k holds rows [k * max, (k + 1) * max) of the table's canonical order, and a small table is
one file, `<table>-00000-of-00001.parquet`. Versions are `vMAJOR.MINOR.PATCH` folders; the newest
is the highest by semantic version. `verify_releases` re-hashes every file against its release's
manifest.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from statemedia.errors import ReleaseError
from statemedia.fileio import read_text
from statemedia.release.manifest import Manifest
from statemedia.vocab import SPLITS, Table

# ASCII digits only (`\d` would take '٢'), and the whole string (`$` would allow a trailing newline).
VERSION = re.compile(r"v([0-9]+)\.([0-9]+)\.([0-9]+)", re.ASCII)
MANIFEST = "manifest.json"
CROISSANT = "croissant.json"  # written into the release when it is cut, never regenerated
SHARD_DIGITS = 5  # `datasets` and the Hub name shards `train-00000-of-00004.parquet`


def table_file(name: str, index: int = 0, count: int = 1) -> str:
    """File name of shard `index` of `count` of a release table, as `datasets` expects them."""
    if not 0 <= index < count < 10**SHARD_DIGITS:
        raise ReleaseError(f"shard {index} of {count} of table {name!r} cannot be named")
    return f"{name}-{index:0{SHARD_DIGITS}d}-of-{count:0{SHARD_DIGITS}d}.parquet"


def shard_pattern(name: str, count: int) -> str:
    """A glob matching exactly the `count` shard names of a table (and no other table's)."""
    return f"{name}-{'?' * SHARD_DIGITS}-of-{count:0{SHARD_DIGITS}d}.parquet"


@dataclass(frozen=True, slots=True)
class Shard:
    """One file of a release table: `rows` rows from `offset` in the table's canonical order."""

    table: Table
    path: str
    offset: int
    rows: int


def shard_layout(table: Table, num_rows: int, max_rows: int) -> tuple[Shard, ...]:
    """The files of a table of `num_rows` rows, at most `max_rows` each, in row order; an empty
    table is one file (with no row group, see `writer.parquet_bytes`)."""
    count = max(1, -(-num_rows // max_rows)) if max_rows >= 1 else 0
    if num_rows < 0 or not 1 <= count < 10**SHARD_DIGITS:
        raise ReleaseError(
            f"cannot cut {num_rows} rows of table {table} into at most {10**SHARD_DIGITS - 1} "
            f"shards of {max_rows} rows; raise [release] max_rows_per_shard in statemedia.toml"
        )
    return tuple(
        Shard(
            table=table,
            path=table_file(table, index, count),
            offset=index * max_rows,
            rows=min(max_rows, num_rows - index * max_rows),
        )
        for index in range(count)
    )


def shard_problems(release_dir: Path, manifest: Manifest) -> list[str]:
    """Tables whose files in the manifest are not exactly shards 0..n-1 of n, in that order:
    loaders find shards by these names, so a gap or a stray name would lose or add rows."""
    problems = []
    for table in Table:
        paths = [entry.path for entry in manifest.shards(table)]
        if not paths:
            continue
        expected = [table_file(table, k, len(paths)) for k in range(len(paths))]
        if paths != expected:
            problems.append(
                f"{release_dir / MANIFEST}: files of table {table} are {', '.join(paths)}; "
                f"expected {', '.join(expected)}"
            )
    return problems


def parse_version(text: str) -> str:
    """Normalise '1.2.3' or 'v1.2.3' to 'v1.2.3'; refuse anything else."""
    version = text if text.startswith("v") else f"v{text}"
    if not VERSION.fullmatch(version):
        raise ReleaseError(
            f"version {text!r} is not MAJOR.MINOR.PATCH in ASCII digits (e.g. 1.0.0)"
        )
    return version


def version_key(version: str) -> tuple[int, int, int]:
    """Sort key of a version folder name."""
    match = VERSION.fullmatch(version)
    assert match is not None
    return int(match[1]), int(match[2]), int(match[3])


def release_versions(dataset_dir: Path) -> list[str]:
    """Released versions, oldest first."""
    data = dataset_dir / "data"
    if not data.is_dir():
        return []
    names = [p.name for p in data.iterdir() if p.is_dir() and VERSION.fullmatch(p.name)]
    return sorted(names, key=version_key)


def newest_version(dataset_dir: Path) -> str | None:
    """The newest released version, or None."""
    versions = release_versions(dataset_dir)
    return versions[-1] if versions else None


def read_manifest(release_dir: Path) -> Manifest:
    """A release's (or a build's) typed manifest; an unreadable one is a ReleaseError."""
    path = release_dir / MANIFEST
    return Manifest.from_json(read_text(path, ReleaseError), str(path))


def released_splits(dataset_dir: Path) -> dict[str, str]:
    """post_id -> split for every post in the newest release, removed copies included."""
    version = newest_version(dataset_dir)
    if version is None:
        return {}
    import pyarrow.parquet as pq

    assignment: dict[str, str] = {}
    folder = dataset_dir / "data" / version
    for entry in read_manifest(folder).files:
        if entry.table not in SPLITS:
            continue
        table = pq.read_table(folder / entry.path, columns=["post_id", "duplicates"])
        for row in table.to_pylist():
            assignment[row["post_id"]] = entry.table
            for dup in row["duplicates"]:
                assignment[dup["post_id"]] = entry.table
    return assignment


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_release(release_dir: Path) -> list[str]:
    """Every mismatch between a release folder and its manifest (empty if it verifies)."""
    import pyarrow.parquet as pq

    manifest = read_manifest(release_dir)
    problems = shard_problems(release_dir, manifest)
    listed = {entry.path for entry in manifest.files}
    for entry in manifest.files:
        path = release_dir / entry.path
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        actual = sha256_file(path)
        if actual != entry.sha256:
            problems.append(f"{path}: sha256 {actual} != manifest {entry.sha256}")
            continue
        rows = pq.ParquetFile(path).metadata.num_rows
        if rows != entry.rows:
            problems.append(f"{path}: {rows} rows != manifest {entry.rows}")
    for extra in sorted(p.name for p in release_dir.glob("*.parquet") if p.name not in listed):
        problems.append(f"{release_dir / extra}: not listed in the manifest")
    return problems


def verify_releases(dataset_dir: Path) -> list[str]:
    """Verify every release under `dataset_dir`; return every problem found."""
    versions = release_versions(dataset_dir)
    if not versions:
        return [f"{dataset_dir / 'data'}: no releases found"]
    problems = []
    for version in versions:
        problems.extend(verify_release(dataset_dir / "data" / version))
    return problems
