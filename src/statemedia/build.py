"""The pipeline's main: seeds -> parse -> clean -> language -> dedup -> split -> release tables.

`build_into` runs the whole pipeline and writes the release tables, shard by shard, into a folder
it is given (a staging folder; `manifest.json` is written by the caller). Posts never stay in
memory all at once: each file's posts are spilled after parsing (statemedia.spill) and read back,
one file at a time, by the passes that need their text; the main process keeps ids, keep ranks
and the compact dedup state. Every pass is a plain function over partitions, run on the build's
engine (local processes or Dask), so the files do not depend on it. Nothing here reads the clock.
"""

from __future__ import annotations

import contextlib
import gc
import resource
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from statemedia import __version__
from statemedia.clean import CLEAN_VERSION
from statemedia.completeness import completeness_of
from statemedia.config import Config
from statemedia.dedup import DEDUP_VERSION, DedupResult, dedup_text, deduplicate_parts
from statemedia.engines import Engine, engine_for
from statemedia.errors import BadInputError
from statemedia.fileio import write_atomic
from statemedia.ids import sha256_bytes
from statemedia.inputs import RawFile, load_inputs
from statemedia.labeling.publish import published_annotations, read_label_files
from statemedia.labeling.scheme import load_scheme
from statemedia.language import LANGUAGE_VERSION, merge_language_counts
from statemedia.parse import registry
from statemedia.records import DuplicateLink, LineAccount, Post, Provenance
from statemedia.release.layout import shard_layout
from statemedia.release.manifest import (
    BuildSettings,
    CleanCounts,
    DedupCounts,
    FileEntry,
    InputEntry,
    LabelInput,
    Manifest,
    Merge,
    ParseCounts,
    RuleVersions,
    StageCounts,
)
from statemedia.release.streaming import Place, RowTask, ShardTask, spill_rows, write_shard
from statemedia.release.writer import ROW_GROUP_ROWS, read_tables, rows_table, table_shards
from statemedia.spill import SpillPart
from statemedia.split import SPLIT_VERSION, assign_group_splits
from statemedia.stages import (
    NO_TIME,
    PARALLEL_MIN_BYTES,
    SpilledFile,
    SpillTask,
    keep_priority,
    keep_rank,
    merge_raw_ids,
    parse_to_spill,
)
from statemedia.translations import (
    TRANSLATION_VERSION,
    TranslationCounts,
    features_needed,
    link_features,
    translation_features,
    translation_status,
)
from statemedia.vocab import Table, annotation_schema, schema_version

__all__ = ["BuildResult", "BuiltTables", "build_into", "build_tables", "dedup_text", "keep_rank"]


@dataclass(slots=True)
class BuildResult:
    """What a build wrote: the manifest's content (files set; version and date when written)."""

    manifest: Manifest
    accounts: list[LineAccount]  # every line of every raw file, by category
    seconds: dict[str, float]  # per stage; reported by `statemedia build`, never in a release
    peak_mib: dict[str, int]  # the calling process's peak RSS at the end of each stage


@dataclass(slots=True)
class BuiltTables:
    """A build's tables read back into memory (`build_tables`: tests and small inputs)."""

    tables: dict[Table, pa.Table]  # every table of the release, in `Table` order
    manifest: Manifest
    accounts: list[LineAccount]
    seconds: dict[str, float]


class Stopwatch:
    """Seconds spent per named stage (wall clock), and this process's peak memory at the end of
    each: for the build report only, never in a release."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.peak_mib: dict[str, int] = {}  # the calling process's peak RSS so far (not workers')
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        """Record the time since the previous lap, and the peak RSS so far, under `stage`."""
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._last, 3)
        self.peak_mib[stage] = own_peak_mib()
        self._last = now


def own_peak_mib() -> int:
    """This process's peak RSS in MiB: Linux's VmHWM, which starts again at exec. `ru_maxrss` does
    not (Linux carries it across execve), so a build started by a large process would report that
    process's peak as its own; it is the fallback where /proc is absent."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def build_tables(
    root: Path,
    config: Config,
    previous: dict[str, str] | None = None,
    engine: Engine | None = None,
) -> BuiltTables:
    """`build_into` a temporary folder, and its tables read back (holds every table in memory)."""
    with tempfile.TemporaryDirectory(prefix="statemedia-build-") as tmp:
        result = build_into(root, config, Path(tmp), previous, engine)
        tables = read_tables(Path(tmp), result.manifest.files)
    return BuiltTables(tables, result.manifest, result.accounts, result.seconds)


def build_into(
    root: Path,
    config: Config,
    folder: Path,
    previous: dict[str, str] | None = None,
    engine: Engine | None = None,
) -> BuildResult:
    """Run the whole pipeline over the seeds under `root` and write every release table's shards
    into `folder`; `previous` pins released posts' splits.

    The stages run on `engine` (default: local processes, as many as the input size calls for);
    the files do not depend on it. The spill goes to a scratch folder inside `folder`, removed
    before returning (also on failure); on a cluster, `folder` must be on storage every worker
    reads and writes.
    """
    # The pipeline allocates millions of small acyclic objects; the cyclic garbage collector would
    # rescan them all again and again (the build ran superlinearly at 1M posts), and finds nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    scratch = Path(tempfile.mkdtemp(prefix=".spill-", dir=folder))
    try:
        return _build_into(root, config, folder, scratch, previous, engine)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if was_enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class MatchedPost:
    """What the manifest's merges and a kept row's `duplicates` need of a matched post."""

    source: str
    provenance: Provenance
    url: str | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class DetailTask:
    """One file's posts to read again after dedup: matched ones, and those to score as
    translations."""

    part: SpillPart
    matched: tuple[int, ...]
    featured: tuple[int, ...]


def post_details(task: DetailTask) -> tuple[dict[str, MatchedPost], list[Any]]:
    """An engine task: the matched posts' details and the translation features of one file."""
    posts = task.part.posts()
    matched = {
        posts[i].post_id: MatchedPost(
            posts[i].source, posts[i].provenance, posts[i].url, posts[i].published_at
        )
        for i in task.matched
    }
    return matched, [translation_features(posts[i], posts[i].source) for i in task.featured]


def _build_into(
    root: Path,
    config: Config,
    folder: Path,
    scratch: Path,
    previous: dict[str, str] | None,
    engine: Engine | None,
) -> BuildResult:
    watch = Stopwatch()
    files = load_inputs(root / config.build.seeds_dir, root, set(registry()))
    watch.lap("read")
    big = sum(raw.size or len(raw.text or "") for raw in files) >= PARALLEL_MIN_BYTES
    per_file = engine_for(engine, len(files), big)
    spilled = per_file.map(
        parse_to_spill,
        [
            SpillTask(raw, str(scratch / f"posts-{k:06d}.pickle"), config.language)
            for k, raw in enumerate(files)
        ],
        "parse",
    )
    parts = [
        SpillPart(f.path, renames)
        for f, renames in zip(spilled, merge_raw_ids(spilled), strict=True)
    ]
    watch.lap("parse_clean")
    ids = [post_id for f in spilled for post_id in f.ids]
    _refuse_repeated_ids(ids, spilled, parts)
    priority = keep_priority(
        np.concatenate([np.zeros(0, np.int64)] + [f.ranks for f in spilled]), ids
    )
    for f in spilled:  # what only dedup needs goes with it (the build's memory is per post)
        f.ranks, f.raw_ids = np.zeros(0, np.int64), []
    result = deduplicate_parts(ids, priority, parts, config.dedup, engine, scratch)
    del priority
    watch.lap("dedup")

    kept = set(result.kept)
    matched_ids = {m.kept_id for m in result.matches} | {m.removed_id for m in result.matches}
    # Kept posts that are not teasers may join translation groups (teasers are in no split).
    status: Counter[str] = Counter()
    candidates: list[tuple[str, str, int | None, int | None]] = []
    candidate_at: list[tuple[int, int]] = []
    for j, f in enumerate(spilled):
        teasers, minutes, days = f.teasers.tolist(), f.minutes.tolist(), f.days.tolist()
        for pos, post_id in enumerate(f.ids):
            if post_id not in kept or teasers[pos]:
                continue
            status["seen"] += 1
            minute = minutes[pos] if minutes[pos] != NO_TIME else None
            day = days[pos] if days[pos] != NO_TIME else None
            why = translation_status(f.languages[pos], minute is not None or day is not None)
            if why:
                status[why] += 1
            else:
                candidates.append((f.source, f.languages[pos], minute, day))
                candidate_at.append((j, pos))
    featured: list[list[int]] = [[] for _ in spilled]
    needed = features_needed(candidates, config.translations.window_minutes)
    for (j, pos), need in zip(candidate_at, needed, strict=True):
        if need:
            featured[j].append(pos)
    del candidates, candidate_at, needed
    for f in spilled:
        f.languages, f.minutes, f.days = [], np.zeros(0, np.int64), np.zeros(0, np.int64)
    tasks = [
        DetailTask(
            parts[j],
            tuple(pos for pos, post_id in enumerate(f.ids) if post_id in matched_ids),
            tuple(featured[j]),
        )
        for j, f in enumerate(spilled)
    ]
    wanted = [k for k, task in enumerate(tasks) if task.matched or task.featured]
    details: dict[str, MatchedPost] = {}
    features: list[Any] = []
    for matched, feats in per_file.map(post_details, [tasks[k] for k in wanted], "details"):
        details.update(matched)
        features.extend(feats)
    del tasks, featured
    translations = link_features(
        features, status["seen"], status["no_language"], status["undated"], config.translations
    )
    del features
    watch.lap("translations")

    links: dict[str, list[DuplicateLink]] = defaultdict(list)
    for match in result.matches:
        removed = details[match.removed_id]
        links[match.kept_id].append(
            DuplicateLink(
                kept_post_id=match.kept_id,
                removed_post_id=match.removed_id,
                method=match.method,
                similarity=match.similarity,
                removed_provenance=removed.provenance,
                removed_url=removed.url,
                removed_published_at=removed.published_at,
            )
        )
    # A cluster's split depends on its released members only, and only its kept post is a row:
    # each cluster is given as its kept post and its released members (not every member).
    released = previous or {}
    clusters: dict[str, list[str]] = {post_id: [post_id] for post_id in sorted(result.kept)}
    for match in result.matches:
        if match.removed_id in released:
            clusters[match.kept_id].append(match.removed_id)
    assignment = assign_group_splits(
        clusters,
        {group.group_id: group.members for group in translations.groups},
        config.split,
        previous,
    )
    del clusters
    split_of = assignment.split_of
    group_of = translations.group_of()
    scheme = load_scheme()
    gold, annotations, label_files = read_label_files(root / config.build.labels_dir)
    gold_of = {label.post_id: label for label in gold}

    # Every kept post's table, and its shard: its position in the table's post_id order.
    # Per table, parallel lists (not a tuple per post): post ids, file index, position in it.
    members: dict[Table, tuple[list[str], list[int], list[int]]] = {
        table: ([], [], []) for table in Table
    }
    for j, f in enumerate(spilled):
        teasers = f.teasers.tolist()
        for pos, post_id in enumerate(f.ids):
            if post_id in kept:
                table = Table.LINK_TEASERS if teasers[pos] else Table(split_of[post_id])
                member_ids, files_of, positions = members[table]
                member_ids.append(post_id)
                files_of.append(j)
                positions.append(pos)
    max_rows = config.release.max_rows_per_shard
    targets: list[dict[int, Place]] = [{} for _ in spilled]
    places: dict[Place, Place] = {}  # one tuple per (table, shard, row group), shared by its rows
    for table, (member_ids, files_of, positions) in members.items():
        for position, k in enumerate(sorted(range(len(member_ids)), key=member_ids.__getitem__)):
            shard, offset = divmod(position, max_rows)
            place = (table, shard, offset // ROW_GROUP_ROWS)
            targets[files_of[k]][positions[k]] = places.setdefault(place, place)
    table_rows = {table: len(member_ids) for table, (member_ids, _, _) in members.items()}
    del members, places
    row_tasks = []
    for j, f in enumerate(spilled):
        mine = [f.ids[pos] for pos in targets[j]]
        row_tasks.append(
            RowTask(
                part=parts[j],
                file_index=j,
                targets=targets[j],
                links={i: tuple(links[i]) for i in mine if i in links},
                groups={i: group_of[i] for i in mine if i in group_of},
                gold={i: gold_of[i] for i in mine if i in gold_of},
                scratch=str(scratch / "rows"),
            )
        )
    row_parts = per_file.map(spill_rows, row_tasks, "rows")
    del row_tasks, targets
    by_group: dict[Place, list[tuple[str, int]]] = defaultdict(list)
    for file_parts in row_parts:  # in file order: a group's rows are read in a fixed order
        for row_part in file_parts:
            by_group[row_part.place].append((row_part.path, row_part.batch))
    shard_tasks = [
        ShardTask(
            table,
            shard.path,
            shard.rows,
            tuple(tuple(by_group[(table, k, g)]) for g in range(-(-shard.rows // ROW_GROUP_ROWS))),
            str(folder),
        )
        for table in Table
        if table != Table.ANNOTATIONS
        for k, shard in enumerate(shard_layout(table, table_rows[table], max_rows))
    ]
    shards = engine_for(engine, len(shard_tasks), big)
    entries: list[FileEntry] = list(shards.map(write_shard, shard_tasks, "shards"))
    annotation_rows = published_annotations(annotations, scheme, kept)
    table_rows[Table.ANNOTATIONS] = len(annotation_rows)
    for entry, data in table_shards(
        Table.ANNOTATIONS,
        rows_table(annotation_rows, annotation_schema(), key=("post_id", "annotator")),
        config.release,
    ):
        write_atomic(folder / entry.path, data)
        entries.append(entry)
    order = {table: k for k, table in enumerate(Table)}
    entries.sort(key=lambda entry: (order[Table(entry.table)], entry.path))
    watch.lap("split_tables")

    manifest = Manifest(
        version=None,
        date_released=None,
        dataset="statemedia",
        schema_version=schema_version(),
        code_version=__version__,
        versions=RuleVersions(
            parsers=tuple(sorted({registry()[raw.decl.format][0] for raw in files})),
            clean=CLEAN_VERSION,
            dedup=DEDUP_VERSION,
            split=SPLIT_VERSION,
            language=LANGUAGE_VERSION,
            translations=TRANSLATION_VERSION,
        ),
        config=BuildSettings(
            dedup=config.dedup,
            split=config.split,
            language=config.language,
            translations=config.translations,
        ),
        inputs=tuple(_input_entry(raw) for raw in files),
        label_inputs=tuple(
            LabelInput(path=str(path.relative_to(root)), sha256=sha256_bytes(path.read_bytes()))
            for path in label_files
        ),
        label_scheme_version=scheme.version,
        stage_counts=stage_counts(
            files,
            spilled,
            result,
            table_rows,
            translations.counts,
            len(assignment.conflicts),
        ),
        # Per channel with platform ids: the message-id range and every gap (missing ids).
        completeness=completeness_of(f.channel_ids for f in spilled),
        line_account=tuple(f.account for f in spilled),
        merges=tuple(
            Merge(
                kept=match.kept_id,
                removed=match.removed_id,
                method=match.method,
                similarity=round(match.similarity, 6),
                kept_source=details[match.kept_id].source,
                removed_source=details[match.removed_id].source,
                kept_lines=_lines(details[match.kept_id].provenance),
                removed_lines=_lines(details[match.removed_id].provenance),
            )
            for match in sorted(result.matches, key=lambda m: (m.kept_id, m.removed_id))
        ),
        files=tuple(entries),
    )
    return BuildResult(
        manifest=manifest,
        accounts=[f.account for f in spilled],
        seconds=watch.seconds,
        peak_mib=watch.peak_mib,
    )


def _input_entry(raw: RawFile) -> InputEntry:
    return InputEntry(
        path=raw.repo_path,
        sha256=raw.sha256,
        bytes=raw.size,
        source=raw.decl.source,
        platform=raw.decl.platform,
        format=raw.decl.format,
        language=raw.decl.language,
        collection=raw.decl.collection,
        collected_at=(
            raw.decl.collected_at.isoformat().replace("+00:00", "Z")
            if raw.decl.collected_at
            else None
        ),
    )


def _refuse_repeated_ids(
    ids: Sequence[str], spilled: Sequence[SpilledFile], parts: Sequence[SpillPart]
) -> None:
    """A post id may occur once in a build: name both places of the first repeat."""
    if len(set(ids)) == len(ids):
        return
    first: dict[str, tuple[int, int]] = {}
    for j, f in enumerate(spilled):
        for pos, post_id in enumerate(f.ids):
            if post_id in first:
                k, other = first[post_id]
                earlier, post = parts[k].posts()[other], parts[j].posts()[pos]
                raise BadInputError(
                    f"{_where(earlier)} and {_where(post)}: both are post {post_id}: a platform "
                    "message id may occur once per channel; remove the repeated message, or "
                    "declare the two files as different channels"
                )
            first[post_id] = (j, pos)


def _lines(p: Provenance) -> str:
    return f"{p.source_file}:{p.line_start}-{p.line_end}"


def _where(post: Post) -> str:
    return _lines(post.provenance)


def stage_counts(
    files: Sequence[RawFile],
    spilled: Sequence[SpilledFile],
    result: DedupResult,
    table_rows: Mapping[Table, int],
    translations: TranslationCounts,
    split_conflicts: int,
) -> StageCounts:
    """Seen, kept and dropped by reason at every stage."""
    # Keys as plain strings: these maps are printed and serialised, not branched on.
    kinds: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    touched: Counter[str] = Counter()
    for f in spilled:
        kinds.update(f.kinds)
        dropped.update(f.dropped)
        touched.update(f.touched)
    posts = sum(len(f.ids) for f in spilled)
    methods = Counter(str(match.method) for match in result.matches)
    return StageCounts(
        parse=ParseCounts(files=len(spilled), records=posts + sum(dropped.values())),
        parse_by_file={raw.repo_path: f.counts for raw, f in zip(files, spilled, strict=True)},
        clean=CleanCounts(
            seen=posts + sum(dropped.values()),
            kept=posts,
            dropped=dict(dropped),
            kept_by_kind=dict(sorted(kinds.items())),
            records_with_lines_removed={
                str(category): n for category, n in sorted(touched.items())
            },
        ),
        dedup=DedupCounts(seen=posts, kept=len(result.kept), removed=dict(sorted(methods.items()))),
        split={str(table): table_rows[table] for table in Table},
        language=merge_language_counts([f.language_counts for f in spilled]),
        translations=translations,
        split_conflicts=split_conflicts,
    )
