"""Release posts → Label Studio tasks (pure apart from reading one Parquet split).

A task's `data` carries the post_id (the identity; Label Studio's task id is audit data only), the
text and what the annotator must see: title, source, date and provenance (source file + line span).
Sampling is a hash of (seed, post_id): independent of row order; adding posts never reshuffles it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from statemedia.errors import BadInputError
from statemedia.labeling.records import Task
from statemedia.release.layout import release_versions, table_file
from statemedia.vocab import SPLITS, DateConfidence, RecordKind

REQUIRED_COLUMNS = ("post_id", "record_kind", "source", "text", "provenance")


def resolve_release(dataset_dir: Path, release: str) -> str:
    """Turn 'latest' or a version name into an existing release directory name."""
    versions = release_versions(dataset_dir)
    if release == "latest":
        if not versions:
            raise BadInputError(
                f"{dataset_dir / 'data'}: no release found; run `make dataset` first"
            )
        return versions[-1]
    if release not in versions:
        shown = ", ".join(versions) or "none"
        raise BadInputError(
            f"release {release!r} not found under {dataset_dir / 'data'} (have: {shown})"
        )
    return release


def split_paths(dataset_dir: Path, version: str, split: str) -> list[Path]:
    """The Parquet files (shards) of one split of a release, in row order."""
    if split not in SPLITS:
        raise BadInputError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    folder = dataset_dir / "data" / version
    found = sorted(path.name for path in folder.glob(f"{split}-*-of-*.parquet"))
    if not found:
        return [folder / table_file(split)]  # read_posts names the missing file
    expected = [table_file(split, k, len(found)) for k in range(len(found))]
    if found != expected:
        raise BadInputError(
            f"{folder}: the files of split {split} are {', '.join(found)}, not its shards "
            f"{expected[0]} … {expected[-1]}; run `statemedia verify`"
        )
    return [folder / name for name in found]


def read_posts(path: Path) -> list[dict[str, Any]]:
    """Read a release split into row dicts; BadInputError if it is missing or lacks columns."""
    if not path.is_file():
        raise BadInputError(f"{path}: split file not found")
    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises several unrelated types for a corrupt file
        raise BadInputError(f"{path}: not a readable Parquet file ({err})") from err
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise BadInputError(f"{path}: missing columns {missing}")
    return table.to_pylist()


def sample_rank(post_id: str, seed: int) -> str:
    """Sort key for sampling: a hash of seed and post_id, stable across runs and row orders."""
    return sha256(f"{seed}:{post_id}".encode()).hexdigest()


def select_tasks(
    tasks: Iterable[Task],
    sample: int | None = None,
    seed: int = 0,
    include_teasers: bool = False,
) -> list[Task]:
    """Tasks to annotate: teasers dropped unless asked, then the first `sample` by hash rank."""
    kept = [t for t in tasks if include_teasers or t.record_kind != RecordKind.LINK_TEASER]
    kept.sort(key=lambda t: sample_rank(t.post_id, seed))
    return kept if sample is None else kept[:sample]


def _iso(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return "" if value is None else str(value)


def post_to_task(row: Mapping[str, Any], release: str, split: str) -> Task:
    """One release row → one Label Studio task, every variable the label config shows set."""
    prov = row.get("provenance") or {}
    return Task(
        post_id=str(row["post_id"]),
        text=row.get("text") or "",
        title=row.get("title") or "",
        subtitle=row.get("subtitle") or "",
        source=row.get("source") or "",
        platform=row.get("platform") or "",
        record_kind=row.get("record_kind") or "",
        published_date=_iso(row.get("published_date")),
        date_confidence=row.get("date_confidence") or DateConfidence.UNKNOWN.value,
        url=row.get("url") or "",
        language=row.get("language") or "",
        source_file=prov.get("source_file") or "",
        line_start=prov.get("line_start"),
        line_end=prov.get("line_end"),
        release=release,
        split=split,
    )


def build_tasks(
    rows: Iterable[Mapping[str, Any]],
    release: str,
    split: str,
    sample: int | None = None,
    seed: int = 0,
    include_teasers: bool = False,
) -> list[Task]:
    """Selected posts as tasks, in sample-rank order; a duplicate post_id is an error."""
    tasks = select_tasks(
        (post_to_task(r, release, split) for r in rows),
        sample=sample,
        seed=seed,
        include_teasers=include_teasers,
    )
    seen: set[str] = set()
    for task in tasks:
        if task.post_id in seen:
            raise BadInputError(
                f"post_id {task.post_id!r} occurs twice in release {release} split {split}"
            )
        seen.add(task.post_id)
    return tasks


def new_tasks(tasks: Sequence[Task], existing_post_ids: set[str]) -> list[Task]:
    """Tasks whose post_id is not yet in the project (what makes `push` idempotent)."""
    return [t for t in tasks if t.post_id not in existing_post_ids]
