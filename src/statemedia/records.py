"""The data model only: frozen records that flow through the pipeline.

A `Post` never changes identity after parsing: `post_id` comes from the source and the raw lines, and
cleaning returns a new `Post` (or a `Dropped`) rather than editing one. Labels live elsewhere, keyed by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from statemedia.vocab import DateConfidence, DropReason, LineCategory, RecordKind


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a record came from: the exact file, bytes-hash, lines and characters, and the parser."""

    source_file: str  # repo-relative, e.g. "seeds/003_a774268ca59e13c1.txt"
    source_sha256: str
    line_start: int  # 1-based, inclusive, as `sed -n` counts
    line_end: int
    char_start: int  # 0-based offset into the decoded text, inclusive
    char_end: int  # exclusive
    parser: str  # "tass_page@1"


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One raw line of a file, without its line ending."""

    number: int  # 1-based
    char_start: int  # offset of the first character in the decoded file
    text: str


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
    date_evidence: str | None = None
    forwarded_from: str | None = None
    url: str | None = None
    native_id: str | None = None  # the platform's own id (e.g. a Telegram message id), if any
    text: str | None = None  # structured formats: the text from the JSON/HTML value, not the lines


@dataclass(frozen=True, slots=True)
class Post:
    """One message or article: the unit of the corpus."""

    post_id: str
    record_kind: RecordKind
    source: str
    platform: str
    title: str | None
    subtitle: str | None
    text: str
    published_date: date | None
    date_confidence: DateConfidence
    date_evidence: str | None
    forwarded_from: str | None
    hashtags: tuple[str, ...]
    language: str
    url: str | None
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Dropped:
    """A draft that did not become a post, with the stage and a named reason."""

    post_id: str
    stage: str  # the stage that dropped it: "clean"
    reason: DropReason
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class DuplicateLink:
    """A removed copy, recorded on the post that was kept."""

    kept_post_id: str
    removed_post_id: str
    method: str  # "exact" | "near"
    similarity: float
    removed_provenance: Provenance


@dataclass(frozen=True, slots=True)
class LineAccount:
    """How many lines and characters of one file went to each category."""

    source_file: str
    lines: dict[str, int] = field(default_factory=dict)
    chars: dict[str, int] = field(default_factory=dict)
