"""One parser per raw format, and the registry that maps a manifest's `format` to it.

A parser takes the decoded lines of one file and returns a `ParsedFile`: the drafts it delimited and
a category for every line that belongs to no draft. Together they cover every line exactly once.
The helpers below are the shapes that several parsers share: the roles of an article's lines, and
the walk over the messages of a structured file (a JSON export, a saved HTML page).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from statemedia.errors import BadInputError
from statemedia.records import Draft, SourceLine
from statemedia.vocab import LineCategory


@dataclass(frozen=True, slots=True)
class FileContext:
    """What a parser may know about the file besides its lines."""

    path: str  # repo-relative, for error messages and provenance
    source: str
    platform: str
    language: str
    options: Mapping[str, Any] = field(default_factory=dict)  # the manifest's per-file `options`


@dataclass(slots=True)
class ParsedFile:
    """A parser's output: drafts plus the category of every line outside them."""

    drafts: list[Draft] = field(default_factory=list)
    outside: dict[int, LineCategory] = field(default_factory=dict)  # line number -> category
    # Platform ids ("channel/123") of service messages: not posts, but not gaps in the channel either.
    service_ids: list[str] = field(default_factory=list)

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

    def service(self, first: int, last: int, native_id: str) -> None:
        """Record a service message (pinned, photo changed): no post, but a held platform id."""
        self.parsed.mark(self.lines[first : last + 1], LineCategory.SERVICE_MESSAGE)
        self.parsed.service_ids.append(native_id)

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


def registry() -> dict[str, tuple[str, Parser]]:
    """Map each format name to (versioned parser name, parser function)."""
    from statemedia.parse import jsonl, sputnik, tass, telegram, telegram_export, tme_html

    return {
        "tass_dump": ("tass_dump@1", tass.parse_dump),
        "tass_page": ("tass_page@1", tass.parse_page),
        "sputnik_article": ("sputnik_article@1", sputnik.parse_article),
        "telegram_forwards": ("telegram_forwards@1", telegram.parse_forwards),
        "telegram_web_preview": ("telegram_web_preview@1", telegram.parse_web_preview),
        "telegram_export": ("telegram_export@1", telegram_export.parse_export),
        "jsonl": ("jsonl@1", jsonl.parse_jsonl),
        "tme_html": ("tme_html@1", tme_html.parse_page),
    }
