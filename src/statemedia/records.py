"""The data model only: frozen records that flow through the pipeline.

A `Post` never changes identity after parsing: `post_id` comes from the source and the raw lines, and
cleaning returns a new `Post` (or a `Dropped`) rather than editing one. Labels live elsewhere, keyed by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from statemedia.vocab import (
    DateConfidence,
    DropReason,
    EventDateKind,
    LineCategory,
    MediaKind,
    RecordKind,
    TitleSource,
)

# BCP 47 "undetermined": a post whose language was not (or could not be) identified.
UNDETERMINED = "und"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a record came from: the exact file, bytes-hash, lines, characters and bytes, and the
    parser. `raw[byte_start:byte_end]` is lines line_start..line_end joined by '\\n'."""

    source_file: str  # repo-relative, e.g. "seeds/003_a774268ca59e13c1.txt"
    source_sha256: str
    line_start: int  # 1-based, inclusive, as `sed -n` counts
    line_end: int
    char_start: int  # 0-based code-point offset into the decoded text, inclusive
    char_end: int  # exclusive
    byte_start: int  # 0-based UTF-8 byte offset into the raw file, inclusive
    byte_end: int  # exclusive
    parser: str  # "tass_page@2"


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One raw line of a file, without its line ending."""

    number: int  # 1-based
    char_start: int  # offset of the first character in the decoded file
    text: str


@dataclass(frozen=True, slots=True)
class Reaction:
    """One reaction and how many gave it, at the time the file was collected."""

    emoji: str  # the emoji itself; "custom:<document id>" for a custom emoji, "paid" for stars
    count: int


@dataclass(frozen=True, slots=True)
class EventDate:
    """A date the text states for what it reports; never the post's own publication date."""

    date: date
    kind: EventDateKind
    evidence: str  # the exact raw substring of the post's lines it was read from


@dataclass(frozen=True, slots=True)
class Draft:
    """A post or teaser as a parser delimits it, before cleaning.

    `roles` gives the parser's role for every line of `lines`, a line category (schema/
    vocabularies.json `line_categories`); cleaning decides which body lines survive and accounts for
    the rest.
    """

    kind: RecordKind
    lines: tuple[SourceLine, ...]
    roles: tuple[LineCategory, ...]
    title: str | None = None
    subtitle: str | None = None
    published_date: date | None = None
    date_confidence: DateConfidence = DateConfidence.UNKNOWN
    date_evidence: str | None = None  # exact raw substring(s) of the draft's lines, " | "-joined
    date_note: str | None = None  # how the date follows from its evidence, when not plainly
    published_at: datetime | None = (
        None  # aware UTC, whole seconds; only where the input has a time
    )
    edited_at: datetime | None = None  # aware UTC, whole seconds
    title_source: TitleSource | None = None  # where `title` came from; None when there is no title
    forwarded_from: str | None = None
    url: str | None = None
    channel: str | None = None  # the platform username ("MFARussia"), without '@'
    native_id: str | None = None  # the platform's own message id ("12345"), if any
    reply_to_native_id: str | None = None  # the id of the message this one replies to
    views: int | None = None  # engagement counts, snapshots at collection time
    forwards: int | None = None
    replies: int | None = None
    reactions: tuple[Reaction, ...] = ()
    media: tuple[MediaKind, ...] = ()  # media kinds attached, in order, each once
    links: tuple[str, ...] = ()  # URLs from link entities and previews (text URLs: clean adds)
    mentions: tuple[str, ...] = ()  # usernames from mention entities, without '@' (text: clean)
    event_dates: tuple[EventDate, ...] = ()
    text: str | None = None  # structured formats: the text from the JSON/HTML value, not the lines

    @property
    def platform_key(self) -> str | None:
        """The message's platform name, "<channel>/<id>" (or the bare id), as t.me names it."""
        if self.native_id is None:
            return None
        return f"{self.channel}/{self.native_id}" if self.channel else self.native_id


@dataclass(frozen=True, slots=True)
class Post:
    """One message or article: the unit of the corpus."""

    post_id: str
    record_kind: RecordKind
    source: str
    platform: str
    channel: str | None
    native_id: str | None
    title: str | None
    title_source: TitleSource | None
    subtitle: str | None
    text: str
    published_date: date | None  # in the publisher's time zone (see DATACARD.md, date policy)
    published_at: datetime | None  # aware UTC
    edited_at: datetime | None
    date_confidence: DateConfidence
    date_evidence: str | None
    date_note: str | None
    event_dates: tuple[EventDate, ...]
    forwarded_from: str | None
    reply_to_native_id: str | None
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    links: tuple[str, ...]
    media: tuple[MediaKind, ...]
    views: int | None
    forwards: int | None
    replies: int | None
    reactions: tuple[Reaction, ...]
    metrics_observed_at: datetime | None  # the file's `collected_at`, where any count is present
    language: str  # identified from the text (BCP 47), UNDETERMINED when too short or unsure
    language_confidence: float | None  # the detector's probability for `language`; None if "und"
    declared_language: str  # the file's language as seeds/manifest.toml declares it
    url: str | None
    provenance: Provenance


def has_engagement(record: Draft | Post) -> bool:
    """True when a draft or post carries an engagement count (views, forwards, replies, reactions)."""
    return (
        record.views is not None
        or record.forwards is not None
        or record.replies is not None
        or bool(record.reactions)
    )


@dataclass(frozen=True, slots=True)
class Dropped:
    """A draft that did not become a post, with the stage and a named reason."""

    post_id: str
    stage: str  # the stage that dropped it: "clean"
    reason: DropReason
    provenance: Provenance
    channel: str | None = None  # platform ids, for the completeness report
    native_id: str | None = None


@dataclass(frozen=True, slots=True)
class DuplicateLink:
    """A removed copy, recorded on the post that was kept."""

    kept_post_id: str
    removed_post_id: str
    method: str  # "exact" | "near"
    similarity: float
    removed_provenance: Provenance
    removed_url: str | None = None
    removed_published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LineAccount:
    """How many lines and characters of one file went to each category."""

    source_file: str
    lines: dict[str, int] = field(default_factory=dict)
    chars: dict[str, int] = field(default_factory=dict)
