"""Publication dates read from raw text, each with a confidence and the evidence substring.

Only what the text states as the post's own date is used (`stated`), or what follows from it with no
outside knowledge (`inferred`, with the evidence). Dates of reported events are never used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_MONTH = r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December)"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"

# Sputnik: "Wednesday, 4 August, 2021 - 22:07"
SPUTNIK_DATE_LINE = re.compile(
    rf"^{_WEEKDAY}, (?P<day>\d{{1,2}}) {_MONTH},? (?P<year>\d{{4}})(?: - \d{{1,2}}:\d{{2}})?$"
)
# "8️⃣0️⃣ years ago, on February 4, 1945": an anniversary post states its own day (1945 + 80).
ANNIVERSARY = re.compile(
    rf"(?P<years>\d{{1,4}}) years ago,? on {_MONTH} (?P<day>\d{{1,2}}),? (?P<year>\d{{4}})"
)
_KEYCAP = str.maketrans("", "", "\ufe0f\u20e3")  # keycap digits '8️⃣' -> '8'


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


def read_anniversary_date(text: str) -> DateReading:
    """Infer a post's date from an anniversary formula ('80 years ago, on February 4, 1945').

    Event dates alone (a transcript's '(Moscow, February 4, 2025)') are never used: the seeds show
    such posts appearing days after the event.
    """
    match = ANNIVERSARY.search(text.translate(_KEYCAP))
    if not match:
        return UNKNOWN
    year = int(match["year"]) + int(match["years"])
    value = _safe_date(year, MONTHS[match["month"].lower()], int(match["day"]))
    return DateReading(value, "inferred", match.group(0)) if value else UNKNOWN
