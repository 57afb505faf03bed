"""Parser `sputnik_article@2`: one Sputnik article per file.

Layout: title, a date line ("Wednesday, 4 August, 2021 - 22:07"), body paragraphs, "Source: …".
Blank lines may separate any of them. The date line is a stated publication date, and the format's
signature: the second non-blank line must be one.

New in @2: `title_source` is `headline_line` (the title is the file's first line), and
`date_note` says when the date line shows a time of day: it is shown without a time zone, so
`published_at` stays null (the time could be Moscow's, the reader's or the server's). The evidence
is the date line itself, stripped of surrounding spaces: a raw substring of its line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from statemedia.parse import FileContext, Mismatch, ParsedFile, article_roles, fail, is_blank
from statemedia.parse.dates import read_sputnik_date_line
from statemedia.records import Draft, SourceLine
from statemedia.vocab import LineCategory, RecordKind, TitleSource

# The time of day at the end of a date line: "… 2021 - 22:07".
_TIME = re.compile(r" - (?P<time>\d{1,2}:\d{2})$")


def article_signature(lines: Sequence[SourceLine]) -> Mismatch | None:
    """A title, then a Sputnik date line, then at least one more line."""
    content = [i for i, line in enumerate(lines) if not is_blank(line)]
    if len(content) < 3:
        return Mismatch(
            None,
            "a Sputnik article needs a title, a date line and a body",
            "check that the file is a complete article page",
        )
    if read_sputnik_date_line(lines[content[1]].text) is None:
        return Mismatch(
            lines[content[1]].number,
            "expected a date line like 'Wednesday, 4 August, 2021 - 22:07' after the title",
            "declare the right format in seeds/manifest.toml",
        )
    return None


def _time_note(evidence: str | None) -> str | None:
    """The note for a date line that shows a time of day, which it does without a zone."""
    match = _TIME.search(evidence or "")
    if match is None:
        return None
    return f"the date line shows the time {match['time']} without a time zone: published_at unknown"


def parse_article(lines: Sequence[SourceLine], ctx: FileContext) -> ParsedFile:
    """Parse a single Sputnik article (its signature checked: a title, a date line, a body)."""
    content = [i for i, line in enumerate(lines) if not is_blank(line)]
    title_i, date_i = content[0], content[1]
    reading = read_sputnik_date_line(lines[date_i].text)
    assert reading is not None
    source_i = next((i for i in content if lines[i].text.startswith("Source:")), None)
    if source_i is not None:
        trailing = [i for i in content if i > source_i]
        if trailing:
            raise fail(
                ctx,
                lines[trailing[0]],
                "text after the 'Source:' line",
                "a Sputnik file holds one article; split the file",
            )
    end = source_i if source_i is not None else content[-1]
    roles = article_roles(
        lines, title_i, end, title=title_i, is_metadata=lambda i: i in (date_i, source_i)
    )
    parsed = ParsedFile()
    parsed.mark(lines[:title_i], LineCategory.BLANK)
    parsed.mark(lines[end + 1 :], LineCategory.BLANK)
    parsed.drafts.append(
        Draft(
            kind=RecordKind.ARTICLE,
            lines=tuple(lines[title_i : end + 1]),
            roles=roles,
            title=lines[title_i].text,
            title_source=TitleSource.HEADLINE_LINE,
            published_date=reading.value,
            date_confidence=reading.confidence,
            date_evidence=reading.evidence,
            date_note=_time_note(reading.evidence),
        )
    )
    return parsed
