"""One parser per raw format, and the registry that maps a manifest's `format` to it.

A parser takes the decoded lines of one file and returns a `ParsedFile`: the drafts it delimited and
a category for every line that belongs to no draft. Together they cover every line exactly once.
The helpers below are the shapes that several parsers share: the roles of an article's lines, and
the walk over the messages of a structured file (a JSON export, a saved HTML page).

Every input is what it claims to be. Each format has a structural signature (`Format.signature`:
the TASS dateline, a forward dump's "Forwarded from" headers, the web preview's channel header or
media placeholders, an export's root object with a `messages` list, JSON objects one a line,
`tgme_widget_message` elements, the Sputnik date line), checked before its parser runs. A file
without it, or a parse that finds no record in it, is a `BadInputError` naming the file, the
declared format and the format whose signature the file does carry (`guess_format`). Every stated
date is checked against the plausible window of `statemedia.parse.dates`. The registry's parsers
are these checked parsers (`Format.__call__`).

Every parser is linear in its input (the benchmark `make bench-parse` measures them at 10 MB).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from typing import Any

from statemedia.errors import BadInputError
from statemedia.parse.dates import implausible
from statemedia.records import Draft, SourceLine
from statemedia.vocab import DateConfidence, LineCategory


@dataclass(frozen=True, slots=True)
class FileContext:
    """What a parser may know about the file besides its lines."""

    path: str  # repo-relative, for error messages and provenance
    source: str
    platform: str
    language: str
    options: Mapping[str, Any] = field(default_factory=dict)  # the manifest's per-file `options`
    time_zone: str = (
        "UTC"  # the source's (statemedia.vocab.source_time_zone): published_date's zone
    )
    collected_at: datetime | None = None  # the manifest's per-file `collected_at`, aware


@dataclass(slots=True)
class ParsedFile:
    """A parser's output: drafts plus the category of every line outside them."""

    drafts: list[Draft] = field(default_factory=list)
    outside: dict[int, LineCategory] = field(default_factory=dict)  # line number -> category
    # (channel, message id) of service messages: not posts, but not gaps in the channel either.
    service_ids: list[tuple[str, str]] = field(default_factory=list)

    def mark(self, lines: Sequence[SourceLine], category: LineCategory) -> None:
        """Assign `category` to lines that belong to no draft."""
        for line in lines:
            self.outside[line.number] = category

    def mark_outside(self, lines: Sequence[SourceLine], category: LineCategory) -> None:
        """Assign lines between drafts: blank lines `blank`, every other line `category`."""
        for line in lines:
            self.outside[line.number] = LineCategory.BLANK if is_blank(line) else category


Parser = Callable[[Sequence[SourceLine], FileContext], ParsedFile]


def split_lines(text: str) -> list[SourceLine]:
    """Split decoded text on '\\n' only, as `sed -n` counts lines; a final newline ends the last line."""
    pieces = text.split("\n")
    if pieces and pieces[-1] == "":
        pieces.pop()
    starts = accumulate((len(piece) + 1 for piece in pieces[:-1]), initial=0)
    # map() over the constructor: this runs once per raw line, millions of times on large exports.
    return list(map(SourceLine, range(1, len(pieces) + 1), starts, pieces))


def line_finder(lines: Sequence[SourceLine]) -> Callable[[int], int]:
    """A function from a character offset in the decoded file to the 0-based index of its line."""
    starts = [line.char_start for line in lines]
    return lambda offset: bisect_right(starts, offset) - 1


def is_blank(line: SourceLine) -> bool:
    """True for an empty or whitespace-only line."""
    return not line.text.strip()


def quote_json(value: object) -> str:
    """A JSON value as error messages quote it, cut to about 60 characters."""
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 60 else shown[:59] + "…"


def fail(
    ctx: FileContext, line: SourceLine | int | None, problem: str, advice: str
) -> BadInputError:
    """Build a BadInputError that names the file, the line and what to do."""
    number = line.number if isinstance(line, SourceLine) else line
    where = f"{ctx.path}:{number}" if number else ctx.path
    return BadInputError(f"{where}: {problem}; {advice}")


def article_roles(
    lines: Sequence[SourceLine],
    start: int,
    end: int,
    *,
    title: int | None,
    subtitle: int | None = None,
    is_metadata: Callable[[int], bool],
) -> tuple[LineCategory, ...]:
    """The role of each line start..end (indices) of an article: blank, its title, its subtitle,
    metadata where `is_metadata(index)`, else body."""
    roles = []
    for i in range(start, end + 1):
        if is_blank(lines[i]):
            roles.append(LineCategory.BLANK)
        elif i == title:
            roles.append(LineCategory.POST_TITLE)
        elif i == subtitle:
            roles.append(LineCategory.POST_SUBTITLE)
        elif is_metadata(i):
            roles.append(LineCategory.POST_METADATA)
        else:
            roles.append(LineCategory.POST_BODY)
    return tuple(roles)


@dataclass(slots=True)
class MessageWalk:
    """The lines of a structured file (JSON export, saved HTML), assigned message by message.

    The parser locates each message in the raw text (for its lines) and in the parsed structure (for
    its values); `start` refuses a file where the two disagree. Lines between messages are
    `export_structure` (blank ones `blank`); a message's lines must not overlap the previous one's.
    """

    lines: Sequence[SourceLine]
    ctx: FileContext
    line_of: Callable[[int], int]  # character offset -> 0-based line index
    parsed: ParsedFile = field(default_factory=ParsedFile)
    taken: int = -1  # index of the last line given to a message

    @classmethod
    def start(
        cls, lines: Sequence[SourceLine], ctx: FileContext, *, agree: bool, mismatch: str
    ) -> MessageWalk:
        """Begin the walk, unless the raw-text scan and the parsed structure disagree (`mismatch`)."""
        if not agree:
            raise fail(
                ctx,
                None,
                mismatch,
                "a parser bug or an unusual layout; please report it with this file",
            )
        return cls(lines, ctx, line_finder(lines))

    def take(self, first: int, last: int, *, overlap: str, advice: str) -> None:
        """Give lines first..last (indices) to the next message; the lines before it are outside."""
        if first <= self.taken:
            raise fail(self.ctx, self.lines[first], overlap, advice)
        self.parsed.mark_outside(self.lines[self.taken + 1 : first], LineCategory.EXPORT_STRUCTURE)
        self.taken = last

    def service(self, first: int, last: int, channel: str, native_id: str) -> None:
        """Record a service message (pinned, photo changed): no post, but a held platform id."""
        self.parsed.mark(self.lines[first : last + 1], LineCategory.SERVICE_MESSAGE)
        self.parsed.service_ids.append((channel, native_id))

    def roles(
        self, first: int, last: int, role_of: Mapping[int, LineCategory]
    ) -> tuple[LineCategory, ...]:
        """The roles of a message's lines: `role_of[index]`, but `blank` for blank lines."""
        return tuple(
            LineCategory.BLANK if is_blank(self.lines[n]) else role_of[n]
            for n in range(first, last + 1)
        )

    def finish(self) -> ParsedFile:
        """Mark the lines after the last message and return the result."""
        self.parsed.mark_outside(self.lines[self.taken + 1 :], LineCategory.EXPORT_STRUCTURE)
        return self.parsed


@dataclass(frozen=True, slots=True)
class Mismatch:
    """Why a file does not carry the structural signature of its declared format."""

    line: int | None  # 1-based line that shows it, or None for the whole file
    problem: str  # what is missing or wrong, e.g. "no 'Forwarded from <channel>' line"
    advice: str  # what to do when no other format fits the file either


Signature = Callable[[Sequence[SourceLine]], Mismatch | None]


def wrong_format(
    ctx: FileContext, fmt: str, lines: Sequence[SourceLine], mismatch: Mismatch
) -> BadInputError:
    """The error for a file that is not a `fmt`: it names the format it probably is, if any."""
    guess = guess_format(lines, exclude=fmt)
    if guess is None:
        advice = f"{mismatch.advice} (declared {fmt}; no other known format fits the file either)"
    else:
        advice = (
            f"it looks like {guess} ({formats()[guess].what}), not {fmt}: "
            "fix `format` in seeds/manifest.toml"
        )
    return fail(ctx, mismatch.line, mismatch.problem, advice)


@dataclass(frozen=True, slots=True)
class Format:
    """A raw format: its versioned parser, its structural signature and what it is, in words.

    Calling a `Format` is the checked parse the build runs: signature first, then the parser, then
    the checks on what it found (at least one record; stated dates within the plausible window).
    """

    name: str  # the manifest's `format`
    version: str  # the parser's versioned name, recorded in provenance: "tass_page@1"
    parse: Parser
    signature: Signature
    what: str  # the format in a few words, for messages: "a TASS scraper dump"

    def __call__(self, lines: Sequence[SourceLine], ctx: FileContext) -> ParsedFile:
        """Parse a file of this format, refusing one that is not, or in which nothing is found."""
        mismatch = self.signature(lines)
        if mismatch is not None:
            raise wrong_format(ctx, self.name, lines, mismatch)
        parsed = self.parse(lines, ctx)
        if not parsed.drafts and not parsed.service_ids:
            raise wrong_format(
                ctx,
                self.name,
                lines,
                Mismatch(
                    None,
                    f"no record found in this {self.name} file",
                    "check that the file is a complete scrape",
                ),
            )
        for draft in parsed.drafts:
            check_date(ctx, draft)
        return parsed


def check_date(ctx: FileContext, draft: Draft) -> None:
    """Refuse a stated publication date outside the plausible window (statemedia.parse.dates)."""
    if draft.date_confidence != DateConfidence.STATED or draft.published_date is None:
        return
    why = implausible(draft.published_date, ctx.platform, ctx.collected_at, draft.published_at)
    if why is not None:
        record = (
            f"message {draft.platform_key}"
            if draft.platform_key
            else f"this {draft.kind.replace('_', ' ')}"
        )
        evidence = (draft.date_evidence or "").split(" | ")[0]
        # The line the date was read from: its evidence is a raw substring of one.
        where = next((line for line in draft.lines if evidence and evidence in line.text), None)
        raise fail(
            ctx,
            where or draft.lines[0],
            f"{record} is dated {draft.published_date.isoformat()} (from {draft.date_evidence}), "
            f"{why} on platform {ctx.platform}",
            "the scrape's dates are broken, or the file's platform or collected_at is wrong; "
            "re-scrape the file or fix its declaration in seeds/manifest.toml",
        )


# The order in which `guess_format` tries the signatures: the most specific first.
GUESS_ORDER = (
    "telegram_export",
    "jsonl",
    "tme_html",
    "tass_page",
    "tass_dump",
    "sputnik_article",
    "telegram_web_preview",
    "telegram_forwards",
)


def guess_format(lines: Sequence[SourceLine], exclude: str | None = None) -> str | None:
    """The first format (in `GUESS_ORDER`, but `exclude`) whose signature the file carries."""
    known = formats()
    for name in GUESS_ORDER:
        if name != exclude and known[name].signature(lines) is None:
            return name
    return None


def formats() -> dict[str, Format]:
    """Every raw format by its manifest name."""
    from statemedia.parse import jsonl, sputnik, tass, telegram, telegram_export, tme_html

    return {
        f.name: f
        for f in (
            Format(
                "tass_dump",
                "tass_dump@3",
                tass.parse_dump,
                tass.dump_signature,
                "a TASS scraper dump of several articles",
            ),
            Format(
                "tass_page",
                "tass_page@3",
                tass.parse_page,
                tass.page_signature,
                "one saved TASS article page",
            ),
            Format(
                "sputnik_article",
                "sputnik_article@2",
                sputnik.parse_article,
                sputnik.article_signature,
                "one Sputnik article",
            ),
            Format(
                "telegram_forwards",
                "telegram_forwards@2",
                telegram.parse_forwards,
                telegram.forwards_signature,
                "a text dump of forwarded Telegram posts",
            ),
            Format(
                "telegram_web_preview",
                "telegram_web_preview@2",
                telegram.parse_web_preview,
                telegram.web_preview_signature,
                "a t.me/s channel web preview saved as text",
            ),
            Format(
                "telegram_export",
                "telegram_export@2",
                telegram_export.parse_export,
                telegram_export.export_signature,
                "a Telegram Desktop export, result.json",
            ),
            Format(
                "jsonl",
                "jsonl@2",
                jsonl.parse_jsonl,
                jsonl.jsonl_signature,
                "JSON Lines, one record a line",
            ),
            Format(
                "tme_html",
                "tme_html@2",
                tme_html.parse_page,
                tme_html.page_signature,
                "a saved t.me/s HTML page",
            ),
        )
    }


def registry() -> dict[str, tuple[str, Parser]]:
    """Map each format name to (versioned parser name, checked parser)."""
    return {name: (f.version, f) for name, f in formats().items()}
