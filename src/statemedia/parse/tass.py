"""Parsers `tass_dump@3` and `tass_page@3` for TASS (and RIA Novosti) pages saved as text.

Both open with a scraper header ` date YYYY-MM-DD <title>`. An article is `headline / subheading /
photo caption and credit / DATELINE. /TASS/. body`; the dateline gives day and month, the header's
date the year (so the date is `inferred`). A dump concatenates articles; a page holds one article,
then "Read more" teasers (headline, summary, "Read more") that become `link_teaser` records.

Dates (new in @2). `date_evidence` is exactly the raw dateline ("MOSCOW, February 28. /TASS/.");
the year's origin goes to `date_note` ("year from the scraper header ' date 2023-02-27' (line 1),
..."), since the header is not one of the article's lines. No time of day, so no `published_at`.

Titles (new in @2). `title_source` is `headline_line` for a title read from the article's
headline line (articles and teasers). A dump's article whose headline line the scraper lost
(`_header_above` finds no headline above its dateline, at most a subheading) takes its title from
the scraper header, `title_source` `scraper_header`, when the header matches it, which requires all
of (`_lost_headline`):
- the header carries text after its date (the title);
- exactly one article of the dump has no headline line (with two, the header could be either's);
- that text is no other article's headline (compared case- and space-insensitively): then the
  header names that article, not the headless one;
- the title shares enough content words with the headless article's first paragraph (the
  dateline's line, after the dateline): at least `MIN_SHARED_WORDS` and at least half of the
  title's own content words. A content word is a run of at least 3 letters, lower-cased, not in
  `_STOPWORDS`, compared by its first `STEM_CHARS` letters (a crude stem, so "Approve" meets
  "approved" and "Policy" "policies").
Otherwise the title stays null. Line 1 is still counted as `scraper_header` in the line account,
not as the article's title line: it is the whole file's header (its date gives every article its
year) and lies outside the article's lines, so the article's provenance span is unchanged. A page
never needs this: its headline is the first line after the debris.

Russian (new in @3). The dateline may be Russian: TASS "МОСКВА, 28 июня. /ТАСС/." (day before a
genitive month; also "/Корр. ТАСС <name>/.") or RIA Novosti "МОСКВА, 4 фев — РИА Новости." (a
short or full month, an em or en dash); see `DATELINES`. Its date is read as the English one is,
the year from the scraper header, and the note quotes day and month as written ("28 июня"). A
photo credit may end in "/ТАСС". A lost headline is matched with Russian function words left out
of the content words too (`_STOPWORDS`).

Signatures: both need the scraper header on line 1 and a dateline. A dump has no "Read more" teaser
(a saved page's list); a page has exactly one dateline (a second one means a dump). The header date
must lie in the plausible window of statemedia.parse.dates, as it gives the articles their year.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from statemedia.parse import FileContext, Mismatch, ParsedFile, article_roles, fail, is_blank
from statemedia.parse.dates import (
    MONTH_NAME,
    RU_MONTH_ABBREVIATIONS,
    RU_MONTH_NAME,
    RU_MONTHS,
    UNKNOWN,
    DateReading,
    implausible,
    month_number,
    year_near,
)
from statemedia.records import Draft, SourceLine
from statemedia.vocab import DateConfidence, LineCategory, RecordKind, TitleSource

SCRAPER_HEADER = re.compile(r"^ ?date (?P<date>\d{4}-\d{2}-\d{2})(?: (?P<title>.*))?$")
# The datelines an article opens with, each a pattern with the groups `place`, `day` and `month`
# (`dates.month_number` reads the month): TASS English "MOSCOW, February 28. /TASS/.", TASS Russian
# "МОСКВА, 28 июня. /ТАСС/." (also with a correspondent, "/Корр. ТАСС Иван Петров/."), and RIA
# Novosti "МОСКВА, 4 фев — РИА Новости." (a short or full month, an em or en dash).
_RU_PLACE = r"(?P<place>[А-ЯЁ][А-ЯЁ .'’-]*)"
DATELINES: tuple[re.Pattern[str], ...] = (
    re.compile(rf"^(?P<place>[A-Z][A-Z .'’-]*), {MONTH_NAME} (?P<day>\d{{1,2}})\. /TASS/\."),
    re.compile(
        rf"^{_RU_PLACE}, (?P<day>\d{{1,2}}) {RU_MONTH_NAME}\. /(?:Корр\. )?ТАСС[^/]{{0,60}}/\."
    ),
    re.compile(
        rf"^{_RU_PLACE}, (?P<day>\d{{1,2}}) "
        rf"(?P<month>{'|'.join(RU_MONTHS)}|сент|{'|'.join(RU_MONTH_ABBREVIATIONS)})"
        r" [—–] РИА Новости\."
    ),
)
TEMPLATE_DEBRIS = re.compile(r"\{\{.*?\}\}")
PAGE_NAVIGATION = re.compile(r"^(All news|Updated at:.*)$")
READ_MORE = "Read more"
# A TASS headline is short; a lone header line longer than this is a subheading whose headline was lost.
MAX_HEADLINE_CHARS = 80
_SENTENCE_END = tuple('.!?…"”»')
# A scraper header's title matches a headless article's first paragraph (see the module docstring).
MIN_SHARED_WORDS = 3
STEM_CHARS = 5
_WORD = re.compile(r"[^\W\d_]{3,}")
_STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "its",
        "are",
        "was",
        "were",
        "will",
        "has",
        "have",
        "had",
        "been",
        "not",
        "but",
        "into",
        "over",
        "after",
        "about",
        "than",
        "they",
        "their",
        "his",
        "her",
        "who",
        "which",
        "says",
        "said",
        "also",
        # Russian function words of three or more letters
        "для",
        "что",
        "это",
        "как",
        "при",
        "над",
        "под",
        "или",
        "его",
        "она",
        "они",
        "был",
        "была",
        "были",
        "будет",
        "также",
        "после",
        "перед",
        "между",
        "заявил",
        "заявила",
    ]
)


def match_dateline(text: str) -> re.Match[str] | None:
    """The dateline a line opens with (any of `DATELINES`), or None."""
    for pattern in DATELINES:
        match = pattern.match(text)
        if match:
            return match
    return None


def _after_dateline(text: str) -> str:
    """A dateline's line without its dateline: the first paragraph's words."""
    match = match_dateline(text)
    return text[match.end() :] if match else text


def _is_credit(text: str) -> bool:
    """A photo credit line: '… Valery Sharifulin/TASS', '© Russian Foreign Ministry/TASS',
    '© Сергей Бобылев/ТАСС'."""
    text = text.strip()
    return text.startswith("©") or text.endswith(("/TASS", "/TASS)", "/ТАСС", "/ТАСС)"))


_NO_HEADER = Mismatch(
    1,
    "expected the scraper header ' date YYYY-MM-DD <title>' on line 1",
    "declare the right format in seeds/manifest.toml or restore the header",
)


def _datelines(lines: Sequence[SourceLine]) -> list[int]:
    """Indices of the dateline lines (never line 1, the scraper header)."""
    return [i for i, line in enumerate(lines) if i > 0 and match_dateline(line.text)]


def _first_teaser(lines: Sequence[SourceLine]) -> int | None:
    """Index of the first "Read more" that ends a teaser (headline, summary, "Read more")."""
    for j in range(2, len(lines)):
        if lines[j].text.strip() != READ_MORE:
            continue
        pair = lines[j - 2 : j]
        if not any(
            is_blank(t) or t.text.strip() == READ_MORE or match_dateline(t.text) for t in pair
        ):
            return j
    return None


def dump_signature(lines: Sequence[SourceLine]) -> Mismatch | None:
    """A dump: the scraper header, a dateline, and no "Read more" teaser of a saved page."""
    if not lines or not SCRAPER_HEADER.match(lines[0].text):
        return _NO_HEADER
    if not _datelines(lines):
        return Mismatch(
            None,
            "no 'CITY, Month D. /TASS/.' dateline found",
            "this does not look like a TASS article dump; check its declared format",
        )
    teaser = _first_teaser(lines)
    if teaser is not None:
        return Mismatch(
            teaser + 1,
            "a 'Read more' teaser (headline, summary, 'Read more'), "
            "which only a saved TASS page has",
            "a dump holds articles only; check the file",
        )
    return None


def page_signature(lines: Sequence[SourceLine]) -> Mismatch | None:
    """A page: the scraper header and exactly one dateline."""
    if not lines or not SCRAPER_HEADER.match(lines[0].text):
        return _NO_HEADER
    datelines = _datelines(lines)
    if not datelines:
        return Mismatch(
            None,
            "no 'CITY, Month D. /TASS/.' dateline found",
            "check the saved page, or declare another format",
        )
    if len(datelines) > 1:
        return Mismatch(
            datelines[1] + 1,
            "a second 'CITY, Month D. /TASS/.' dateline, but a TASS page holds one article",
            "check the saved page",
        )
    return None


@dataclass(frozen=True, slots=True)
class _Header:
    """What the scraper header on line 1 says: its date, as raw text and read, and its title."""

    raw_date: str  # the header up to its date, as it stands: " date 2023-02-27"
    value: date
    title: str | None  # the text after the date, if any


def _read_header(lines: Sequence[SourceLine], ctx: FileContext) -> _Header:
    """The scraper header's date and title (the signature checked that the header is there)."""
    match = SCRAPER_HEADER.match(lines[0].text)
    assert match is not None
    try:
        value = date.fromisoformat(match["date"])
    except ValueError as err:
        raise fail(
            ctx, 1, f"scraper header date {match['date']!r} is not a valid date", "fix the header"
        ) from err
    why = implausible(value, ctx.platform)
    if why is not None:
        raise fail(
            ctx,
            1,
            f"scraper header date {value.isoformat()} is {why} on platform {ctx.platform}",
            "the header gives every article its year; re-scrape the file or fix its declaration",
        )
    title = (match["title"] or "").strip() or None
    return _Header(lines[0].text[: match.end("date")], value, title)


def _dateline_reading(line: SourceLine, header: _Header) -> DateReading:
    """The dateline's day and month in the year nearest the header date (`inferred`); unknown if no
    such date exists (29 February with no leap year within a year of the header). The evidence is
    the raw dateline; the note says where the year comes from."""
    match = match_dateline(line.text)
    assert match is not None
    month = month_number(match["month"])
    assert month is not None  # every dateline pattern matches only month names it knows
    value = year_near(month, int(match["day"]), header.value)
    if value is None:
        return UNKNOWN
    # Day and month as the dateline writes them: "February 28", "28 июня", "4 фев".
    start = min(match.start("day"), match.start("month"))
    day_month = line.text[start : max(match.end("day"), match.end("month"))]
    note = (
        f"year from the scraper header '{header.raw_date}' (line 1): the year that puts "
        f"{day_month} nearest the header's date"
    )
    return DateReading(value, DateConfidence.INFERRED, match.group(0), note=note)


def _trim_blank_tail(lines: Sequence[SourceLine], start: int, end: int) -> int:
    """Return the last non-blank index in [start, end], or start - 1 if all are blank."""
    while end >= start and is_blank(lines[end]):
        end -= 1
    return end


def _article(
    lines: Sequence[SourceLine],
    head: int,
    dateline: int,
    end: int,
    header: _Header,
    title: int | None,
    subtitle: int | None,
) -> Draft:
    """Build an article draft spanning [head, end]; lines before the dateline not titled are metadata."""
    roles = article_roles(
        lines, head, end, title=title, subtitle=subtitle, is_metadata=lambda i: i < dateline
    )
    reading = _dateline_reading(lines[dateline], header)
    return Draft(
        kind=RecordKind.ARTICLE,
        lines=tuple(lines[head : end + 1]),
        roles=roles,
        title=lines[title].text if title is not None else None,
        title_source=TitleSource.HEADLINE_LINE if title is not None else None,
        subtitle=lines[subtitle].text if subtitle is not None else None,
        published_date=reading.value,
        date_confidence=reading.confidence,
        date_evidence=reading.evidence,
        date_note=reading.note,
    )


def _stems(text: str) -> set[str]:
    """The content words of `text`, each cut to its first `STEM_CHARS` letters."""
    words = (word.lower() for word in _WORD.findall(text))
    return {word[:STEM_CHARS] for word in words if word not in _STOPWORDS}


def _same_headline(a: str, b: str) -> bool:
    """Two headlines equal but for case and spacing."""
    return a.casefold().split() == b.casefold().split()


def _lost_headline(
    drafts: Sequence[Draft], first_paragraphs: Sequence[str], title: str
) -> int | None:
    """The index of the one article whose lost headline the header's `title` is, or None unless
    every condition of the module docstring holds. `first_paragraphs[k]` is article k's dateline
    line after the dateline."""
    headless = [k for k, draft in enumerate(drafts) if draft.title is None]
    if len(headless) != 1:
        return None
    if any(d.title is not None and _same_headline(d.title, title) for d in drafts):
        return None
    (k,) = headless
    own = _stems(title)
    shared = len(own & _stems(first_paragraphs[k]))
    return k if shared >= MIN_SHARED_WORDS and 2 * shared >= len(own) else None


def _header_above(
    lines: Sequence[SourceLine], dateline: int, floor: int
) -> tuple[int, int | None, int | None]:
    """Find an article's header lines above its dateline, never reaching below `floor`.

    Walking up: blank lines and photo credits, then at most two lines without sentence-final
    punctuation (subheading, headline). Returns (first header index, title index, subtitle index).
    """
    i = dateline - 1
    captions: list[int] = []
    titled: list[int] = []
    while i >= floor and (is_blank(lines[i]) or _is_credit(lines[i].text)):
        captions.append(i)
        i -= 1
    while i >= floor and len(titled) < 2:
        text = lines[i].text.strip()
        if is_blank(lines[i]) and titled:
            i -= 1
            continue
        if not text or text.endswith(_SENTENCE_END) or match_dateline(text):
            break
        titled.append(i)
        i -= 1
    titled.reverse()
    title: int | None = None
    subtitle: int | None = None
    if len(titled) == 2:
        title, subtitle = titled
    elif len(titled) == 1:
        lone = titled[0]
        if len(lines[lone].text) > MAX_HEADLINE_CHARS:
            subtitle = lone
        else:
            title = lone
    first = titled[0] if titled else (min(captions) if captions else dateline)
    while first < dateline and is_blank(lines[first]):
        first += 1
    return first, title, subtitle


def parse_dump(lines: Sequence[SourceLine], ctx: FileContext) -> ParsedFile:
    """Parse several concatenated TASS articles; a lost headline may come from the header."""
    header = _read_header(lines, ctx)
    datelines = _datelines(lines)
    parsed = ParsedFile()
    parsed.mark(lines[:1], LineCategory.SCRAPER_HEADER)
    heads = [
        _header_above(lines, d, datelines[k - 1] + 1 if k else 1) for k, d in enumerate(datelines)
    ]
    first_head = heads[0][0]
    orphan = [line for line in lines[1:first_head] if not is_blank(line)]
    if orphan:
        raise fail(
            ctx,
            orphan[0],
            "text before the first article's headline",
            "check the dump; every article needs a /TASS/ dateline",
        )
    parsed.mark(lines[1:first_head], LineCategory.BLANK)
    for k, d in enumerate(datelines):
        head, title, subtitle = heads[k]
        limit = heads[k + 1][0] - 1 if k + 1 < len(datelines) else len(lines) - 1
        end = _trim_blank_tail(lines, d, limit)
        parsed.drafts.append(_article(lines, head, d, end, header, title, subtitle))
        parsed.mark(lines[end + 1 : limit + 1], LineCategory.BLANK)
    if header.title is not None:
        firsts = [_after_dateline(lines[d].text) for d in datelines]
        lost = _lost_headline(parsed.drafts, firsts, header.title)
        if lost is not None:
            parsed.drafts[lost] = replace(
                parsed.drafts[lost], title=header.title, title_source=TitleSource.SCRAPER_HEADER
            )
    return parsed


def parse_page(lines: Sequence[SourceLine], ctx: FileContext) -> ParsedFile:
    """Parse one TASS article page with its template debris and "Read more" teasers."""
    header = _read_header(lines, ctx)
    parsed = ParsedFile()
    parsed.mark(lines[:1], LineCategory.SCRAPER_HEADER)
    i = 1
    while i < len(lines):
        text = lines[i].text.strip()
        if not text:
            parsed.mark([lines[i]], LineCategory.BLANK)
        elif TEMPLATE_DEBRIS.search(text):
            parsed.mark([lines[i]], LineCategory.TEMPLATE_DEBRIS)
        elif PAGE_NAVIGATION.match(text):
            parsed.mark([lines[i]], LineCategory.PAGE_NAVIGATION)
        else:
            break
        i += 1
    if i == len(lines):
        raise fail(ctx, None, "no article found after the page header", "check the saved page")
    title = i
    dateline = next(
        (j for j in range(title + 1, len(lines)) if match_dateline(lines[j].text)), None
    )
    if dateline is None:
        raise fail(
            ctx,
            lines[title],
            "no 'CITY, Month D. /TASS/.' dateline after the headline",
            "check the saved page, or declare another format",
        )
    subtitle = next((j for j in range(title + 1, dateline) if not is_blank(lines[j])), None)
    if subtitle is not None and _is_credit(lines[subtitle].text):
        subtitle = None
    read_more = [j for j in range(dateline + 1, len(lines)) if lines[j].text.strip() == READ_MORE]
    teasers_from = read_more[0] - 2 if read_more else len(lines)
    if teasers_from <= dateline:
        raise fail(
            ctx,
            lines[read_more[0]],
            "'Read more' teaser overlaps the article",
            "check the saved page",
        )
    end = _trim_blank_tail(lines, dateline, teasers_from - 1)
    parsed.drafts.append(_article(lines, title, dateline, end, header, title, subtitle))
    parsed.mark(lines[end + 1 : teasers_from], LineCategory.BLANK)
    j = teasers_from
    while j < len(lines):
        if is_blank(lines[j]):
            parsed.mark([lines[j]], LineCategory.BLANK)
            j += 1
            continue
        triple = lines[j : j + 3]
        if (
            len(triple) < 3
            or triple[2].text.strip() != READ_MORE
            or any(is_blank(t) or t.text.strip() == READ_MORE for t in triple[:2])
        ):
            raise fail(
                ctx,
                lines[j],
                "expected a teaser (headline, summary, 'Read more')",
                "check the end of the saved page",
            )
        parsed.drafts.append(
            Draft(
                kind=RecordKind.LINK_TEASER,
                lines=tuple(triple),
                roles=(LineCategory.POST_TITLE, LineCategory.POST_BODY, LineCategory.LINK_ANCHOR),
                title=triple[0].text,
                title_source=TitleSource.HEADLINE_LINE,
            )
        )
        j += 3
    return parsed
