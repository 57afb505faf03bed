"""One parser per raw format, and the registry that maps a manifest's `format` to it.

A parser takes the decoded lines of one file and returns a `ParsedFile`: the drafts it delimited and
a category for every line that belongs to no draft. Together they cover every line exactly once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import Any

from statemedia.errors import BadInputError
from statemedia.records import Draft, SourceLine


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
    outside: dict[int, str] = field(default_factory=dict)  # line number -> line category
    # Platform ids ("channel/123") of service messages: not posts, but not gaps in the channel either.
    service_ids: list[str] = field(default_factory=list)

    def mark(self, lines: Sequence[SourceLine], category: str) -> None:
        """Assign `category` to lines that belong to no draft."""
        for line in lines:
            self.outside[line.number] = category


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


def year_near(month: int, day: int, anchor: date) -> date:
    """The date with this month and day closest to `anchor` (handles a dateline across New Year)."""
    candidates = []
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:  # 29 February in a non-leap year
            continue
    return min(candidates, key=lambda d: abs((d - anchor).days))


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
