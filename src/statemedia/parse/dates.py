"""Publication dates read from raw text, each with a confidence and the evidence substring.

Only what the text states as the post's own date is used. Event dates in the body are never taken,
except a dated heading in a post's first line (a transcript's "(Moscow, February 4, 2025)"), which is
marked `inferred`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january february march april may june july august september october november december"
        ).split(),
        start=1,
    )
}
_MONTH = r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December)"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"

# Sputnik: "Wednesday, 4 August, 2021 - 22:07"
SPUTNIK_DATE_LINE = re.compile(
    rf"^{_WEEKDAY}, (?P<day>\d{{1,2}}) {_MONTH},? (?P<year>\d{{4}})(?: - \d{{1,2}}:\d{{2}})?$"
)
# A first-line heading ending in a parenthesised date, with an optional place before or after it:
# "(Moscow, February 4, 2025)", "(January 31, 2025)", "(3 July 2024, Astana)", "(06.02.2025)".
_PLACE = r"(?:[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,2})"
HEADING_DATE = re.compile(
    rf"\((?:{_PLACE}, )?(?:{_MONTH} (?P<day>\d{{1,2}}), (?P<year>\d{{4}})"
    rf"|(?P<day2>\d{{1,2}}) (?P<month2>[A-Z][a-z]+) (?P<year2>\d{{4}})"
    rf"|(?P<day3>\d{{2}})\.(?P<month3>\d{{2}})\.(?P<year3>\d{{4}}))(?:, {_PLACE})?\):?\s*$"
)


@dataclass(frozen=True, slots=True)
class DateReading:
    """A publication date, how sure we are of it, and the raw substring it came from."""

    value: date | None
    confidence: str  # "stated" | "inferred" | "unknown"
    evidence: str | None


UNKNOWN = DateReading(None, "unknown", None)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def read_sputnik_date_line(line: str) -> DateReading | None:
    """Read a Sputnik date line as a stated date, or None if the line is not one."""
    match = SPUTNIK_DATE_LINE.match(line.strip())
    if not match:
        return None
    value = _safe_date(int(match["year"]), MONTHS[match["month"].lower()], int(match["day"]))
    return DateReading(value, "stated", line.strip()) if value else None


def read_heading_date(first_line: str) -> DateReading:
    """Read a dated heading at the end of a post's first line as an inferred date."""
    match = HEADING_DATE.search(first_line.strip())
    if not match:
        return UNKNOWN
    if match["month"]:
        value = _safe_date(int(match["year"]), MONTHS[match["month"].lower()], int(match["day"]))
    elif match["month2"]:
        month = MONTHS.get(match["month2"].lower())
        value = _safe_date(int(match["year2"]), month, int(match["day2"])) if month else None
    else:
        value = _safe_date(int(match["year3"]), int(match["month3"]), int(match["day3"]))
    if value is None:
        return UNKNOWN
    return DateReading(value, "inferred", match.group(0).rstrip(": "))
