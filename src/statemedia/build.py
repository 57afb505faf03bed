"""The pipeline's main: seeds -> parse -> clean -> language -> dedup -> split -> release tables.

`build_tables` is the whole pipeline without writing: it returns the Arrow tables and the typed
`Manifest` (without file entries); `release/` writes them. Nothing here reads the clock.
"""

from __future__ import annotations

import gc
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from statemedia import __version__
from statemedia.clean import CLEAN_VERSION
from statemedia.completeness import completeness
from statemedia.config import Config
from statemedia.dedup import DEDUP_VERSION, DedupItem, DedupResult, deduplicate
from statemedia.engines import Engine
from statemedia.errors import BadInputError
from statemedia.ids import sha256_bytes
from statemedia.inputs import RawFile, load_inputs
from statemedia.labeling.publish import gold_by_post, published_annotations, read_label_files
from statemedia.labeling.scheme import load_scheme
from statemedia.language import LANGUAGE_VERSION, identify_posts, language_counts
from statemedia.parse import registry
from statemedia.records import DuplicateLink, Post
from statemedia.release.manifest import (
    BuildSettings,
    CleanCounts,
    DedupCounts,
    InputEntry,
    LabelInput,
    Manifest,
    Merge,
    ParseCounts,
    RuleVersions,
    StageCounts,
)
from statemedia.release.writer import post_row, rows_table
from statemedia.split import SPLIT_VERSION, assign_group_splits
from statemedia.stages import ParseOutcome, parse_and_clean
from statemedia.translations import TRANSLATION_VERSION, TranslationCounts, link_translations
from statemedia.vocab import DateConfidence, RecordKind, Table, annotation_schema, schema_version

# The best-dated copy first: a stated date, then an inferred one, then none.
DATE_RANK = {DateConfidence.STATED: 0, DateConfidence.INFERRED: 1, DateConfidence.UNKNOWN: 2}


def keep_rank(post: Post) -> tuple[Any, ...]:
    """Which copy of a duplicate cluster is kept (smallest first), see DATACARD.md "Keep rank".

    The copy whose date is best attested (stated, then inferred, then unknown); then one that the
    platform identifies (a native id or a URL); then the earliest publication date; then articles
    and posts before link teasers; then the original before a forward; then the longest text;
    then the smallest id.
    """
    return (
        DATE_RANK[post.date_confidence],
        post.native_id is None and post.url is None,
        post.published_date is None,
        post.published_date or date.max,
        post.record_kind == RecordKind.LINK_TEASER,
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

    tables: dict[Table, pa.Table]  # every table of the release, in `Table` order
    outcome: ParseOutcome
    files: list[RawFile]
    manifest: Manifest  # version, date and file entries are set when it is written
    seconds: dict[str, float]  # per stage; reported by `statemedia build`, never in a release


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


def build_tables(
    root: Path,
    config: Config,
    previous: dict[str, str] | None = None,
    engine: Engine | None = None,
) -> BuildResult:
    """Run the whole pipeline over the seeds under `root`; `previous` pins released posts' splits.

    The parse stage runs on `engine` (default: local processes, as many as the input size calls
    for); the result does not depend on it.
    """
    # The pipeline allocates millions of small acyclic objects; the cyclic garbage collector would
    # rescan them all again and again (the build ran superlinearly at 1M posts), and finds nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_tables(root, config, previous, engine)
    finally:
        if was_enabled:
            gc.enable()


def _build_tables(
    root: Path,
    config: Config,
    previous: dict[str, str] | None,
    engine: Engine | None,
) -> BuildResult:
    watch = Stopwatch()
    files = load_inputs(root / config.build.seeds_dir, root, set(registry()))
    watch.lap("read")
    outcome = parse_and_clean(files, engine=engine)
    watch.lap("parse_clean")
    outcome.posts = identify_posts(outcome.posts, config.language, engine)
    watch.lap("language")
    posts: dict[str, Post] = {}
    for post in outcome.posts:
        earlier = posts.setdefault(post.post_id, post)
        if earlier is not post:
            raise BadInputError(
                f"{_where(earlier)} and {_where(post)}: both are post {post.post_id}: a platform "
                "message id may occur once per channel; remove the repeated message, or declare "
                "the two files as different channels"
            )
    items = [
        DedupItem(
            post_id=p.post_id, source=p.source, text=dedup_text(p.title, p.text), rank=keep_rank(p)
        )
        for p in outcome.posts
    ]
    result = deduplicate(items, config.dedup, engine)
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
                removed_url=posts[match.removed_id].url,
                removed_published_at=posts[match.removed_id].published_at,
            )
        )
    clusters: dict[str, list[str]] = defaultdict(list)
    for post_id, cluster_id in result.cluster_of.items():
        clusters[cluster_id].append(post_id)
    # Teasers are in no split table, so they join no translation group.
    translations = link_translations(
        [posts[i] for i in result.kept if posts[i].record_kind != RecordKind.LINK_TEASER],
        config.translations,
    )
    watch.lap("translations")
    assignment = assign_group_splits(
        dict(sorted(clusters.items())),
        {group.group_id: group.members for group in translations.groups},
        config.split,
        previous,
    )
    split_of = assignment.split_of
    group_of = translations.group_of()
    scheme = load_scheme()
    gold, annotations, label_files = read_label_files(root / config.build.labels_dir)
    labels = gold_by_post(gold, result.kept, scheme)
    rows: dict[Table, list[dict[str, Any]]] = {table: [] for table in Table}
    for post_id in result.kept:
        post = posts[post_id]
        is_teaser = post.record_kind == RecordKind.LINK_TEASER
        table = Table.LINK_TEASERS if is_teaser else Table(split_of[post_id])
        rows[table].append(
            post_row(post, links.get(post_id, ()), group_of.get(post_id), labels[post_id])
        )
    rows[Table.ANNOTATIONS] = published_annotations(annotations, scheme, set(result.kept))
    tables = {
        table: (
            rows_table(rows[table], annotation_schema(), key=("post_id", "annotator"))
            if table == Table.ANNOTATIONS
            else rows_table(rows[table])
        )
        for table in Table
    }
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
        inputs=tuple(
            InputEntry(
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
            for raw in files
        ),
        label_inputs=tuple(
            LabelInput(path=str(path.relative_to(root)), sha256=sha256_bytes(path.read_bytes()))
            for path in label_files
        ),
        label_scheme_version=scheme.version,
        stage_counts=stage_counts(
            outcome,
            result,
            {t: len(r) for t, r in rows.items()},
            translations.counts,
            len(assignment.conflicts),
        ),
        # Per channel with platform ids: the message-id range and every gap (missing ids).
        completeness=completeness([*outcome.posts, *outcome.dropped, *outcome.service_ids]),
        line_account=tuple(outcome.accounts),
        merges=tuple(
            Merge(
                kept=match.kept_id,
                removed=match.removed_id,
                method=match.method,
                similarity=round(match.similarity, 6),
                kept_source=posts[match.kept_id].source,
                removed_source=posts[match.removed_id].source,
                kept_lines=_where(posts[match.kept_id]),
                removed_lines=_where(posts[match.removed_id]),
            )
            for match in sorted(result.matches, key=lambda m: (m.kept_id, m.removed_id))
        ),
        files=(),
    )
    return BuildResult(
        tables=tables, outcome=outcome, files=files, manifest=manifest, seconds=watch.seconds
    )


def _where(post: Post) -> str:
    p = post.provenance
    return f"{p.source_file}:{p.line_start}-{p.line_end}"


def stage_counts(
    outcome: ParseOutcome,
    result: DedupResult,
    table_rows: Mapping[Table, int],
    translations: TranslationCounts,
    split_conflicts: int,
) -> StageCounts:
    """Seen, kept and dropped by reason at every stage."""
    # Keys as plain strings: these maps are printed and serialised, not branched on.
    kinds = Counter(str(post.record_kind) for post in outcome.posts)
    methods = Counter(str(match.method) for match in result.matches)
    return StageCounts(
        parse=ParseCounts(
            files=len(outcome.accounts), records=len(outcome.posts) + len(outcome.dropped)
        ),
        parse_by_file=outcome.file_counts,
        clean=CleanCounts(
            seen=len(outcome.posts) + len(outcome.dropped),
            kept=len(outcome.posts),
            dropped=dict(Counter(str(d.reason) for d in outcome.dropped)),
            kept_by_kind=dict(sorted(kinds.items())),
            records_with_lines_removed={
                str(category): n for category, n in sorted(outcome.posts_touched.items())
            },
        ),
        dedup=DedupCounts(
            seen=len(outcome.posts), kept=len(result.kept), removed=dict(sorted(methods.items()))
        ),
        split={str(table): table_rows[table] for table in Table},
        language=language_counts(outcome.posts),
        translations=translations,
        split_conflicts=split_conflicts,
    )
