"""The pipeline's main: seeds -> parse -> clean -> dedup -> split -> release tables and manifest.

`build_tables` is the whole pipeline without writing; `write_build` and `cut_release` write its
output atomically. Every stage's counts go into the manifest; nothing here reads the clock.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from statemedia import __version__
from statemedia.clean import CLEAN_VERSION
from statemedia.completeness import completeness
from statemedia.config import Config
from statemedia.dedup import DEDUP_VERSION, DedupItem, deduplicate
from statemedia.errors import ReleaseError
from statemedia.fileio import write_atomic
from statemedia.ids import sha256_bytes
from statemedia.inputs import RawFile, load_inputs
from statemedia.labeling.publish import gold_by_post, published_annotations, read_label_files
from statemedia.labeling.scheme import load_scheme
from statemedia.parse import registry
from statemedia.records import DuplicateLink, Post
from statemedia.release.layout import table_file
from statemedia.release.writer import (
    parquet_bytes,
    post_row,
    rows_table,
)
from statemedia.split import SPLIT_VERSION, SPLITS, assign_splits
from statemedia.stages import ParseOutcome, parse_and_clean
from statemedia.vocab import annotation_schema, schema_version

TEASERS = "link_teasers"
ANNOTATIONS = "annotations"
TABLE_NAMES = (*SPLITS, TEASERS, ANNOTATIONS)


def keep_rank(post: Post) -> tuple:
    """Which copy of a duplicate cluster is kept (smallest first), see DATACARD.md.

    Earliest known publication date first (unknown dates last); then articles and posts before
    link teasers; then the original before a forward; then the longest text; then the smallest id.
    """
    return (
        post.published_date is None,
        post.published_date or date.max,
        post.record_kind == "link_teaser",
        post.forwarded_from is not None,
        -len(post.text),
        post.post_id,
    )


def dedup_text(title: str | None, text: str) -> str:
    """What dedup compares: title and text, so teasers with similar summaries keep their headlines."""
    return f"{title}\n{text}" if title else text


@dataclass(slots=True)
class BuildResult:
    """Tables ready to write, and the manifest's content (without file hashes)."""

    tables: dict[str, pa.Table]
    outcome: ParseOutcome
    files: list[RawFile]
    manifest: dict[str, Any]
    seconds: dict[
        str, float
    ]  # per stage; reported by `statemedia build`, never stored in a release


class Stopwatch:
    """Seconds spent per named stage (wall clock, for the build report only)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        """Record the time since the previous lap under `stage`."""
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._last, 3)
        self._last = now


def build_tables(root: Path, config: Config, previous: dict[str, str] | None = None) -> BuildResult:
    """Run the whole pipeline over the seeds under `root`; `previous` pins released posts' splits."""
    # The pipeline allocates millions of small acyclic objects; the cyclic garbage collector would
    # rescan them all again and again (the build ran superlinearly at 1M posts), and finds nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_tables(root, config, previous)
    finally:
        if was_enabled:
            gc.enable()


def _build_tables(root: Path, config: Config, previous: dict[str, str] | None) -> BuildResult:
    watch = Stopwatch()
    files = load_inputs(root / config.build.seeds_dir, root, set(registry()))
    watch.lap("read")
    outcome = parse_and_clean(files)
    watch.lap("parse_clean")
    posts = {post.post_id: post for post in outcome.posts}
    if len(posts) != len(outcome.posts):
        raise ReleaseError("two posts share a post_id (a parser bug)")
    items = [
        DedupItem(
            post_id=p.post_id, source=p.source, text=dedup_text(p.title, p.text), rank=keep_rank(p)
        )
        for p in outcome.posts
    ]
    result = deduplicate(items, config.dedup)
    watch.lap("dedup")
    links: dict[str, list[DuplicateLink]] = defaultdict(list)
    for match in result.matches:
        links[match.kept_id].append(
            DuplicateLink(
                kept_post_id=match.kept_id,
                removed_post_id=match.removed_id,
                method=match.method,
                similarity=match.similarity,
                removed_provenance=posts[match.removed_id].provenance,
            )
        )
    clusters: dict[str, list[str]] = defaultdict(list)
    for post_id, cluster_id in result.cluster_of.items():
        clusters[cluster_id].append(post_id)
    split_of = assign_splits(dict(sorted(clusters.items())), config.split, previous)
    scheme = load_scheme()
    gold, annotations, label_files = read_label_files(root / config.build.labels_dir)
    labels = gold_by_post(gold, result.kept, scheme)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLE_NAMES}
    for post_id in result.kept:
        post = posts[post_id]
        table = TEASERS if post.record_kind == "link_teaser" else split_of[post_id]
        rows[table].append(post_row(post, links.get(post_id, ()), labels[post_id]))
    rows[ANNOTATIONS] = published_annotations(annotations, scheme, set(result.kept))
    tables = {name: rows_table(rows[name]) for name in TABLE_NAMES if name != ANNOTATIONS}
    tables[ANNOTATIONS] = rows_table(
        rows[ANNOTATIONS], annotation_schema(), key=("post_id", "annotator")
    )
    watch.lap("split_tables")
    manifest = {
        "dataset": "statemedia",
        "schema_version": schema_version(),
        "code_version": __version__,
        "versions": {
            "parsers": sorted({registry()[raw.decl.format][0] for raw in files}),
            "clean": CLEAN_VERSION,
            "dedup": DEDUP_VERSION,
            "split": SPLIT_VERSION,
        },
        "config": {"dedup": asdict(config.dedup), "split": asdict(config.split)},
        "inputs": [
            {
                "path": raw.repo_path,
                "sha256": raw.sha256,
                "bytes": raw.size,
                "source": raw.decl.source,
                "platform": raw.decl.platform,
                "format": raw.decl.format,
                "language": raw.decl.language,
                "collection": raw.decl.collection,
            }
            for raw in files
        ],
        "label_inputs": [
            {"path": str(path.relative_to(root)), "sha256": sha256_bytes(path.read_bytes())}
            for path in label_files
        ],
        "label_scheme_version": scheme.version,
        "stage_counts": stage_counts(outcome, result, rows),
        # Per channel with platform ids: the message-id range and every gap (missing ids).
        "completeness": completeness([*outcome.posts, *outcome.dropped, *outcome.service_ids]),
        "line_account": [asdict(account) for account in outcome.accounts],
        "dedup": {
            "merged": [
                {
                    "kept": match.kept_id,
                    "removed": match.removed_id,
                    "method": match.method,
                    "similarity": round(match.similarity, 6),
                    "kept_source": posts[match.kept_id].source,
                    "removed_source": posts[match.removed_id].source,
                    "kept_lines": _where(posts[match.kept_id]),
                    "removed_lines": _where(posts[match.removed_id]),
                }
                for match in sorted(result.matches, key=lambda m: (m.kept_id, m.removed_id))
            ]
        },
    }
    return BuildResult(
        tables=tables, outcome=outcome, files=files, manifest=manifest, seconds=watch.seconds
    )


def _where(post: Post) -> str:
    p = post.provenance
    return f"{p.source_file}:{p.line_start}-{p.line_end}"


def stage_counts(outcome: ParseOutcome, result: Any, rows: dict[str, list]) -> dict[str, Any]:
    """Seen, kept and dropped by reason at every stage."""
    kinds = Counter(post.record_kind for post in outcome.posts)
    methods = Counter(match.method for match in result.matches)
    return {
        "parse": {
            "files": len(outcome.accounts),
            "records": len(outcome.posts) + len(outcome.dropped),
        },
        "parse_by_file": outcome.file_counts,
        "clean": {
            "seen": len(outcome.posts) + len(outcome.dropped),
            "kept": len(outcome.posts),
            "dropped": dict(Counter(d.reason for d in outcome.dropped)),
            "kept_by_kind": dict(sorted(kinds.items())),
            "records_with_lines_removed": dict(sorted(outcome.posts_touched.items())),
        },
        "dedup": {
            "seen": len(outcome.posts),
            "kept": len(result.kept),
            "removed": dict(sorted(methods.items())),
        },
        "split": {name: len(rows[name]) for name in TABLE_NAMES},
    }


def file_entries(tables: dict[str, pa.Table]) -> list[dict[str, Any]]:
    """Per table file: name, sha256, rows, bytes on disk and in memory."""
    entries = []
    for name in TABLE_NAMES:
        data = parquet_bytes(tables[name])
        entries.append(
            {
                "path": table_file(name),
                "table": name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "rows": tables[name].num_rows,
                "bytes": len(data),
                "arrow_bytes": tables[name].nbytes,
            }
        )
    return entries


def write_tables(
    folder: Path, build: BuildResult, version: str | None, date_released: str | None = None
) -> dict[str, Any]:
    """Write every table and `manifest.json` into `folder`; return the manifest."""
    for name in TABLE_NAMES:
        write_atomic(folder / table_file(name), parquet_bytes(build.tables[name]))
    manifest = {
        "version": version,
        "date_released": date_released,
        **build.manifest,
        "files": file_entries(build.tables),
    }
    write_atomic(
        folder / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    )
    return manifest


def promote(staging: Path, final: Path) -> None:
    """Move a fully written staging folder to its final name; refuse to replace anything."""
    if final.exists():
        raise ReleaseError(f"{final} already exists: released versions are never modified")
    os.rename(staging, final)


@contextmanager
def staged(parent: Path, name: str) -> Iterator[Path]:
    """A fresh hidden folder next to the final one (so the final rename is atomic), removed if the
    block fails: a failed build or release leaves nothing half-written."""
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=parent))
    folder.chmod(0o755)
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
