"""The parse and clean stages over all raw files: drafts to posts, with ids, provenance and account.

`parse_file` reads one declared input (checking its bytes against the manifest's sha256 as it
reads) and parses and cleans it; `parse_and_clean` runs it over every file on an engine
(statemedia.engines: local processes or Dask workers), and returns posts (articles, Telegram
posts and link teasers), drops with reasons, a complete line account per file, and per-file counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from statemedia.account import build_account
from statemedia.clean import LINE_RULES, clean_draft
from statemedia.completeness import channel_ids
from statemedia.config import LanguageConfig
from statemedia.dedup import rank_priority
from statemedia.engines import Engine, LocalEngine, engine_for
from statemedia.errors import BadInputError
from statemedia.ids import native_post_id, raw_digest, raw_post_id
from statemedia.inputs import RawFile
from statemedia.language import check_candidates, detector_text, identify_texts, language_counts
from statemedia.parse import FileContext, registry, split_lines
from statemedia.records import Draft, Dropped, LineAccount, Post, Provenance, has_engagement
from statemedia.release.manifest import LanguageCounts
from statemedia.spill import write_posts
from statemedia.vocab import DateConfidence, LineCategory, RecordKind, source_time_zone


@dataclass(slots=True)
class ParseOutcome:
    """Everything the parse and clean stages produce."""

    posts: list[Post] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    accounts: list[LineAccount] = field(default_factory=list)
    file_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    posts_touched: Counter[str] = field(default_factory=Counter)  # line category -> drafts with one
    # (channel, message id) of service messages, for the completeness report.
    service_ids: list[tuple[str, str]] = field(default_factory=list)


# The best-dated copy first: a stated date, then an inferred one, then none.
DATE_RANK = {DateConfidence.STATED: 0, DateConfidence.INFERRED: 1, DateConfidence.UNKNOWN: 2}


def keep_rank(post: Post) -> tuple[Any, ...]:
    """Which copy of a duplicate cluster is kept (smallest first), see DATACARD.md "Keep rank".

    The copy whose date is best attested (stated, then inferred, then unknown); then one that the
    platform identifies (a native id or a URL); then the earliest publication date; then articles
    and posts before link teasers; then the original before a forward; then the longest text;
    then the smallest id (always last: the merge in file order may rename a post).
    """
    return (*_rank_fields(post), post.post_id)


def _rank_fields(post: Post) -> tuple[int, bool, bool, date, bool, bool, int]:
    """The keep rank without its final post id."""
    return (
        DATE_RANK[post.date_confidence],
        post.native_id is None and post.url is None,
        post.published_date is None,
        post.published_date or date.max,
        post.record_kind == RecordKind.LINK_TEASER,
        post.forwarded_from is not None,
        -len(post.text),
    )


# Bit widths of the packed keep rank, most significant first; 60 bits in all, so it is an int64.
_RANK_BITS = (2, 1, 1, 22, 1, 1, 32)  # date rank, 2 flags, date ordinal (< 2**22), 2 flags, length
_MAX_LENGTH = 2**32 - 1


def packed_keep_rank(post: Post) -> int:
    """`keep_rank` without its post id, as one int64 that sorts as those fields do: the build
    keeps one integer per post, not a tuple (ties are broken by post id, see `keep_priority`)."""
    return pack_rank_fields(_rank_fields(post))


def pack_rank_fields(fields: tuple[int, bool, bool, date, bool, bool, int]) -> int:
    """Pack the keep rank's fields; each is mapped to a non-negative int in the same order."""
    rank, no_platform_id, undated, day, teaser, forward, minus_length = fields
    values = (
        rank,
        no_platform_id,
        undated,
        day.toordinal(),
        teaser,
        forward,
        _MAX_LENGTH - min(-minus_length, _MAX_LENGTH),  # longer first; 4 Gi characters cap it
    )
    packed = 0
    for value, bits in zip(values, _RANK_BITS, strict=True):
        packed = (packed << bits) | int(value)
    return packed


def keep_priority(packed: np.ndarray, ids: Sequence[str]) -> np.ndarray:
    """Every post's place (0 = kept first) in keep-rank order: packed rank, then post id."""
    order = np.lexsort((rank_priority(ids), packed))
    priority = np.empty(len(ids), dtype=np.int64)
    priority[order] = np.arange(len(ids))
    return priority


# Line categories inside a draft that a cleaning rule (or the parser's repeat detection) removed.
REMOVED_INSIDE_POSTS = frozenset(
    {*(rule.category for rule in LINE_RULES), LineCategory.REPEATED_BODY}
)


def byte_offsets(text: str, offsets: Iterable[int], skipped: int = 0) -> dict[int, int]:
    """The UTF-8 byte offset in the raw file of each character offset of its decoded text.

    `skipped` is the number of raw bytes before the text (a byte-order mark). Linear: the text
    is encoded once, piece by piece between the sorted offsets.
    """
    ordered = sorted(set(offsets))
    if text.isascii():
        return {offset: offset + skipped for offset in ordered}
    result: dict[int, int] = {}
    position, count = 0, skipped
    for offset in ordered:
        count += len(text[position:offset].encode("utf-8"))
        result[offset] = count
        position = offset
    return result


def provenance_of(
    draft: Draft, raw: RawFile, parser: str, byte_of: Mapping[int, int]
) -> Provenance:
    """Exact lines, characters and bytes of a draft in its raw file."""
    first, last = draft.lines[0], draft.lines[-1]
    char_end = last.char_start + len(last.text)
    return Provenance(
        source_file=raw.repo_path,
        source_sha256=raw.sha256,
        line_start=first.number,
        line_end=last.number,
        char_start=first.char_start,
        char_end=char_end,
        byte_start=byte_of[first.char_start],
        byte_end=byte_of[char_end],
        parser=parser,
    )


@dataclass(slots=True)
class FileOutcome:
    """One file's records, each with its raw digest (None for platform ids) and in-file occurrence."""

    records: list[tuple[Post | Dropped, str | None, int]]
    account: LineAccount
    counts: dict[str, int]
    touched: Counter[str]
    service_ids: list[tuple[str, str]]


def parse_file(raw: RawFile) -> FileOutcome:
    """Parse one file with its declared parser, clean every draft, and account for every line."""
    parser_name, parse = registry()[raw.decl.format]
    source = raw.decl.source
    ctx = FileContext(
        raw.repo_path,
        source,
        raw.decl.platform,
        raw.decl.language,
        raw.decl.options,
        time_zone=source_time_zone(source),
        collected_at=raw.decl.collected_at,
    )
    text, skipped = raw.read_decoded()
    lines = split_lines(text)
    parsed = parse(lines, ctx)
    byte_of = byte_offsets(
        text,
        (
            offset
            for draft in parsed.drafts
            for offset in (
                draft.lines[0].char_start,
                draft.lines[-1].char_start + len(draft.lines[-1].text),
            )
        ),
        skipped,
    )
    category_of = dict(parsed.outside)
    counts: Counter[str] = Counter()
    touched: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    records: list[tuple[Post | Dropped, str | None, int]] = []
    for draft in parsed.drafts:
        if draft.platform_key is not None:  # the platform's own id, e.g. "MFARussia/12345"
            digest, occurrence = None, 1
            post_id = native_post_id(source, draft.platform_key)
        else:
            digest = raw_digest(source, "\n".join(line.text for line in draft.lines))
            seen[digest] += 1
            occurrence = seen[digest]
            post_id = raw_post_id(source, digest, occurrence)
        cleaned = clean_draft(
            draft,
            post_id=post_id,
            provenance=provenance_of(draft, raw, parser_name, byte_of),
            source=source,
            platform=raw.decl.platform,
            declared_language=raw.decl.language,
            collected_at=raw.decl.collected_at,
        )
        if has_engagement(draft) and raw.decl.collected_at is None:
            raise BadInputError(
                f"{raw.repo_path}:{draft.lines[0].number}: message {draft.platform_key} carries "
                "engagement counts (views, forwards, replies or reactions), but the file declares "
                "no collected_at, so no row could say when they were observed; add collected_at "
                "= <when the file was collected, e.g. 2025-02-07T18:30:00Z> to its entry in "
                "seeds/manifest.toml"
            )
        if cleaned.control_chars:  # counted per file in the manifest's parse_by_file
            counts["control_chars_removed"] += cleaned.control_chars
        # A teaser is kept as its own record kind, but its lines are navigation in the account.
        final = [
            LineCategory.LINK_TEASER
            if draft.kind == RecordKind.LINK_TEASER and c != LineCategory.BLANK
            else c
            for c in cleaned.categories
        ]
        for line, category in zip(draft.lines, final, strict=True):
            if line.number in category_of:
                raise AssertionError(
                    f"{raw.repo_path}:{line.number} assigned twice by {parser_name}"
                )
            category_of[line.number] = category
        touched.update(REMOVED_INSIDE_POSTS.intersection(final))
        record = cleaned.record
        counts[
            str(record.record_kind) if isinstance(record, Post) else f"dropped:{record.reason}"
        ] += 1
        records.append((record, digest, occurrence))
    account = build_account(raw.repo_path, lines, len(text), category_of)
    return FileOutcome(records, account, dict(sorted(counts.items())), touched, parsed.service_ids)


# Below this many bytes of input, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 20_000_000


def parse_and_clean(
    files: Sequence[RawFile], workers: int | None = None, engine: Engine | None = None
) -> ParseOutcome:
    """Parse and clean every file on `engine` (default: local, in `workers` processes for large
    inputs), merged in file order.

    The result does not depend on the engine or the number of workers: files are merged in
    manifest order, and the occurrence suffix of identical raw posts in one source counts across
    files in that order.
    """
    if engine is None and workers is not None:
        engine = LocalEngine(workers)
    big = sum(raw.size or len(raw.text or "") for raw in files) >= PARALLEL_MIN_BYTES
    engine = engine_for(engine, len(files), big)
    results = engine.map(parse_file, files, "parse")
    outcome = ParseOutcome()
    earlier: Counter[str] = Counter()  # raw digests seen in earlier files
    for raw, result in zip(files, results, strict=True):
        this_file: Counter[str] = Counter()
        for record, digest, occurrence in result.records:
            if digest is not None:
                this_file[digest] += 1
                if earlier[digest]:  # the same raw post in an earlier file of this source
                    new_id = raw_post_id(raw.decl.source, digest, earlier[digest] + occurrence)
                    record = replace(record, post_id=new_id)
            if isinstance(record, Post):
                outcome.posts.append(record)
            else:
                outcome.dropped.append(record)
        earlier.update(this_file)
        outcome.accounts.append(result.account)
        outcome.file_counts[raw.repo_path] = result.counts
        outcome.posts_touched.update(result.touched)
        outcome.service_ids.extend(result.service_ids)
    return outcome


@dataclass(frozen=True, slots=True)
class SpillTask:
    """One engine task of the streaming build: parse this file and spill its posts to `path`."""

    raw: RawFile
    path: str
    language: LanguageConfig


NO_TIME = -(2**63)  # in SpilledFile.minutes and .days: no time or date


@dataclass(slots=True)
class SpilledFile:
    """One file after parse, clean and language identification, its posts in a spill file: what
    the build keeps of it in memory (ids, keep ranks, and what the later stages select on)."""

    path: str
    source: str
    ids: list[str]
    ranks: np.ndarray  # int64 packed keep rank (`packed_keep_rank`) per post
    teasers: np.ndarray  # bool: a link teaser
    languages: list[str]
    # int64, NO_TIME where absent: published_at in minutes since the epoch (translation windows),
    # and published_date as an ordinal. Arrays, not lists of ints: the build keeps them per post.
    minutes: np.ndarray
    days: np.ndarray
    # (raw digest, occurrence in this file, index in `ids` or -1 for a drop): ids derived from the
    # raw lines, which the merge in file order may renumber (`merge_raw_ids`).
    raw_ids: list[tuple[str, int, int]]
    account: LineAccount
    counts: dict[str, int]
    touched: Counter[str]
    kinds: Counter[str]  # kept posts by record kind
    dropped: Counter[str]  # drops by reason
    language_counts: LanguageCounts
    channel_ids: dict[str, np.ndarray]  # numeric platform ids present, per channel (completeness)


def with_language(posts: Sequence[Post], config: LanguageConfig) -> list[Post]:
    """The posts with `language` and `language_confidence` identified (statemedia.language)."""
    found = identify_texts([detector_text(post.title, post.text) for post in posts], config)
    return [
        replace(post, language=f.language, language_confidence=f.confidence)
        for post, f in zip(posts, found, strict=True)
    ]


def parse_to_spill(task: SpillTask) -> SpilledFile:
    """Parse, clean and identify the language of one file; spill its posts; return the summary.

    The language model is loaded here, where the posts are, not in the build's own process
    (about 80 MB); unknown `[language]` candidates are refused by every task."""
    check_candidates(task.language)
    result = parse_file(task.raw)
    posts = with_language(
        [record for record, _, _ in result.records if isinstance(record, Post)], task.language
    )
    dropped = [record for record, _, _ in result.records if isinstance(record, Dropped)]
    raw_ids, position = [], 0
    for record, digest, occurrence in result.records:
        is_post = isinstance(record, Post)
        if digest is not None:
            raw_ids.append((digest, occurrence, position if is_post else -1))
        position += is_post
    write_posts(Path(task.path), posts)
    return SpilledFile(
        path=task.path,
        source=task.raw.decl.source,
        ids=[p.post_id for p in posts],
        ranks=np.array([packed_keep_rank(p) for p in posts], dtype=np.int64),
        teasers=np.array([p.record_kind == RecordKind.LINK_TEASER for p in posts], dtype=bool),
        languages=[p.language for p in posts],
        minutes=np.array(
            [
                int(p.published_at.timestamp()) // 60 if p.published_at is not None else NO_TIME
                for p in posts
            ],
            dtype=np.int64,
        ),
        days=np.array(
            [p.published_date.toordinal() if p.published_date else NO_TIME for p in posts],
            dtype=np.int64,
        ),
        raw_ids=raw_ids,
        account=result.account,
        counts=result.counts,
        touched=result.touched,
        kinds=Counter(str(p.record_kind) for p in posts),
        dropped=Counter(str(d.reason) for d in dropped),
        language_counts=language_counts(posts),
        channel_ids=channel_ids([*posts, *dropped, *result.service_ids]),
    )


def merge_raw_ids(files: Sequence[SpilledFile]) -> list[dict[str, str]]:
    """Renumber identical raw posts across files, as `parse_and_clean` does; per file, the
    renames (old id -> build id), with `ids` updated in place (a packed rank holds no id)."""
    earlier: Counter[str] = Counter()
    renames: list[dict[str, str]] = []
    for spilled in files:
        this_file: Counter[str] = Counter()
        changed: dict[str, str] = {}
        for digest, occurrence, index in spilled.raw_ids:
            this_file[digest] += 1
            if earlier[digest] and index >= 0:
                new_id = raw_post_id(spilled.source, digest, earlier[digest] + occurrence)
                changed[spilled.ids[index]] = new_id
                spilled.ids[index] = new_id
        earlier.update(this_file)
        renames.append(changed)
    return renames
