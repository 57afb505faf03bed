"""Event dates: the dates a post's text states for what it reports, never its own publication date.

`event_dates(texts)` reads the raw texts of a post's lines (clean passes the lines whose final
category is a title, subtitle or body line; for the structured formats those are raw JSON or HTML
lines, and every pattern below finds its date inside them too). It returns one `EventDate` per
(date, kind), the first time it is stated, in order of appearance; `evidence` is the exact raw
substring that was matched, so it occurs verbatim in one of the texts. Only full dates are read
(day, month and year: "February 4, 2025", "4 February 2025", "4 February, 2025", "06.02.2025"); a
numeric date is day.month.year, the convention of Russian and European outlets; an impossible date
(31 February) is skipped. What counts, by kind:

- `event`: the heading convention of Ministry and TASS posts, a parenthesised date that closes its
  heading, with or without a place before or after it: "Remarks ... (Moscow, February 4, 2025)",
  "Briefing ... (January 31, 2025)", "From a briefing ... (Saransk, January 31, 2025):", "Answers
  ... (3 July 2024, Astana)", "Joint Statement ... (19 August 2024)". "Closes its heading": what
  follows the parenthesis (after an optional ':' or '.' and spaces) is the end of the line, a JSON
  string's end or '\\n' escape, or an HTML tag. A parenthesised date inside a running sentence ("the
  resolution (February 17, 2015) endorsed ...") cites something in passing and is not read.
- `original_publication`: the date a republished text first appeared: "originally published on
  January 6, 2025" (also "originally published in <outlet> on ...") anywhere, and an outlet with
  a parenthesised date closing a heading, "published in Kompas (06.02.2025)". "Released on June 22,
  2021" is not read: in the seeds it dates an article that the reported one cites (003, line 20:
  Lavrov's article recalls Putin's, "released on June 22, 2021"), a publication mentioned in
  passing, not the original of the text the post carries; only "originally" (or the heading
  convention) says that.
- `anniversary`: the day an anniversary formula counts from, "80 years ago, on February 4, 1945"
  -> 1945-02-04 (the formula of `statemedia.parse.dates.ANNIVERSARY`, keycap digits '8️⃣0️⃣'
  allowed in the years and kept raw in the evidence; the post's own date, 1945 + 80, is
  `read_anniversary_date`'s).

Not read: a date mentioned in passing ("which was signed on February 22, 2022", "On February 3,
2025, Russia ..."), a date without a year ("On February 6"), a range ("April 8-9"). A heading
split over two raw lines is not read either (no seed or fixture has one).

One compiled pattern (`_PATTERN`, the rules' alternation) scans each text once; every rule opens on
a fixed cue ('(', 'originally', 'published in', a digit) and every repetition inside it is bounded
(but the spaces after a heading's date, read once per date), so the scan is linear in the text.

Russian (clean@4). A full date may also be Russian, "4 февраля 2025 года" / "4 февраля 2025 г." (a
genitive month, `dates.RU_MONTHS`; "года" or "г." kept in the evidence), and a numeric one may be
followed by "г." ("04.02.2025 г."). So the heading rule reads "(Москва, 4 февраля 2025 года)" and
"(4 февраля 2025 г., Москва)"; `original_publication` also reads "впервые опубликована [в <outlet>]
<date>" and "опубликовано в <outlet> (<date>)" (any ending of the participle, up to four letters).
An anniversary post's "80 лет назад, 4 февраля 1945 года" (also "21 год назад", "22 года назад";
keycap digits allowed) gives the `anniversary` date 1945-02-04; the post's own date is not inferred
from it (`read_anniversary_date` reads the English formula only). The one pass serves both
languages, since the cues differ. Not read in Russian: a date without a year ("4 февраля").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from statemedia.parse.dates import ANNIVERSARY, MONTHS, RU_MONTHS, month_number
from statemedia.records import EventDate
from statemedia.vocab import EventDateKind

# An English month name (its number: `MONTHS`). The named group of `dates.MONTH_NAME` cannot be
# used here: every rule has its own date groups, and a pattern may name a group only once.
_MONTH = "(?:" + "|".join(name.capitalize() for name in MONTHS) + ")"
# A Russian month name in the genitive ("4 февраля 2025 года"; its number: `RU_MONTHS`).
_RU_MONTH = "(?:" + "|".join(RU_MONTHS) + ")"
# What may follow a Russian date's year: "года" or "г." (kept in the evidence).
_RU_YEAR_WORD = r"(?: года| г\.)?"
_ORDINAL = r"(?:st|nd|rd|th)?"
# A place in a heading: a capitalised name of up to 41 characters ("Moscow", "St Petersburg",
# "Nizhny Novgorod", "Nur-Sultan"); bounded so that a failed attempt costs a constant.
_PLACE = r"[A-ZÀ-ÖØ-ÞА-ЯЁ][\w.'’ -]{0,40}"
# An outlet's name after "published in": up to 80 characters that stay inside one JSON string or
# HTML text run (no parentheses, quotes, backslashes or tags).
_OUTLET = r"[^()\\\n\"<>]{1,80}?"
# What may follow a heading's closing parenthesis (see the module docstring).
_HEADING_END = r"(?=[:.]?\s*(?:$|\\[nr]|\"|<))"
_DATE = "<DATE>"  # where a rule's pattern takes a full date


def _full_date(rule: str) -> str:
    """A full date in any form, its groups named after `rule` (`_read_full_date` reads them)."""
    g = f"{rule}_"
    return (
        r"(?<!\d)(?:"
        rf"(?P<{g}md_month>{_MONTH}) (?P<{g}md_day>\d{{1,2}}){_ORDINAL},? (?P<{g}md_year>\d{{4}})"
        rf"|(?P<{g}dm_day>\d{{1,2}}){_ORDINAL} (?P<{g}dm_month>{_MONTH}),? (?P<{g}dm_year>\d{{4}})"
        rf"|(?P<{g}num_day>\d{{1,2}})\.(?P<{g}num_month>\d{{1,2}})\.(?P<{g}num_year>\d{{4}})"
        rf"(?:{_RU_YEAR_WORD})"
        rf"|(?P<{g}ru_day>\d{{1,2}}) (?P<{g}ru_month>{_RU_MONTH}) (?P<{g}ru_year>\d{{4}})(?!\d)"
        rf"{_RU_YEAR_WORD}"
        r")(?!\d)"
    )


def _safe_date(year: str, month: str, day: str) -> date | None:
    """The date, or None if there is no such day (31 February, month 13)."""
    number = month_number(month) if not month.isdigit() else int(month)
    try:
        return date(int(year), number or 0, int(day))
    except ValueError:
        return None


def _read_full_date(rule: str) -> Callable[[re.Match[str]], date | None]:
    """The reader of the date that `_full_date(rule)` matched."""

    def read(match: re.Match[str]) -> date | None:
        for form in ("md", "dm", "num", "ru"):
            year = match[f"{rule}_{form}_year"]
            if year is not None:
                return _safe_date(year, match[f"{rule}_{form}_month"], match[f"{rule}_{form}_day"])
        return None

    return read


def _read_anniversary(match: re.Match[str]) -> date | None:
    """The day an anniversary formula counts from: the date it states, not that date + N years."""
    return _safe_date(match["year"], match["month"], match["day"])


@dataclass(frozen=True, slots=True)
class _Rule:
    """One way a text states an event date: its kind, its pattern and how to read its date."""

    name: str  # also the pattern's group name: letters and underscores only
    kind: EventDateKind
    pattern: str
    read: Callable[[re.Match[str]], date | None]


def _rule(name: str, kind: EventDateKind, pattern: str) -> _Rule:
    """A rule whose pattern takes a full date at `_DATE`."""
    return _Rule(name, kind, pattern.replace(_DATE, _full_date(name)), _read_full_date(name))


# English. Order matters only where two rules could start at the same character (none do today).
_RULES: tuple[_Rule, ...] = (
    _rule(
        "heading",
        EventDateKind.EVENT,
        rf"\((?:{_PLACE}, )?{_DATE}(?:, {_PLACE})?\){_HEADING_END}",
    ),
    _rule(
        "originally",
        EventDateKind.ORIGINAL_PUBLICATION,
        rf"\b[Oo]riginally published(?: in {_OUTLET})? on {_DATE}",
    ),
    _rule(
        "outlet",
        EventDateKind.ORIGINAL_PUBLICATION,
        rf"\b[Pp]ublished in {_OUTLET} \({_DATE}\){_HEADING_END}",
    ),
    _Rule("anniversary", EventDateKind.ANNIVERSARY, ANNIVERSARY.pattern, _read_anniversary),
    # Russian: the heading rule above reads "(Москва, 4 февраля 2025 года)" as it stands (its place
    # takes Cyrillic); these are the Russian forms of "originally published" and of an outlet.
    _rule(
        "ru_originally",
        EventDateKind.ORIGINAL_PUBLICATION,
        rf"\b[Вв]первые опубликован\w{{0,4}}(?: в {_OUTLET})? {_DATE}",
    ),
    _rule(
        "ru_outlet",
        EventDateKind.ORIGINAL_PUBLICATION,
        rf"\b[Оо]публикован\w{{0,4}} в {_OUTLET} \({_DATE}\){_HEADING_END}",
    ),
    # "8️⃣0️⃣ лет назад, 4 февраля 1945 года": the years as in `dates.ANNIVERSARY` (keycaps allowed)
    _rule(
        "ru_anniversary",
        EventDateKind.ANNIVERSARY,
        r"(?<![\d\ufe0f\u20e3])(?:\d(?:\ufe0f?\u20e3)?){1,4} (?:лет|года?) назад,? " + _DATE,
    ),
)
_BY_NAME = {rule.name: rule for rule in _RULES}
# Each rule is a named outer group: `match.lastgroup` (the last group to close) names the rule.
_PATTERN = re.compile("|".join(f"(?P<{rule.name}>{rule.pattern})" for rule in _RULES))
# Every rule's date has a four-digit year (`_full_date`, `dates.ANNIVERSARY`): a text without four
# digits in a row holds no event date.
_YEAR = re.compile(r"\d{4}")


def event_dates(texts: Sequence[str]) -> tuple[EventDate, ...]:
    """The dates `texts` state for what they report, each (date, kind) once, in order of appearance."""
    found: dict[tuple[date, EventDateKind], EventDate] = {}
    for text in texts:
        if not _YEAR.search(text):
            continue  # no rule can match: the scan over every alternative costs ~0.5 ms a post
        for match in _PATTERN.finditer(text):
            assert match.lastgroup is not None
            rule = _BY_NAME[match.lastgroup]
            value = rule.read(match)
            if value is not None and (value, rule.kind) not in found:
                found[value, rule.kind] = EventDate(value, rule.kind, match.group(0))
    return tuple(found.values())
