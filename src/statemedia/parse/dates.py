"""Publication dates read from raw text, each with a confidence and the evidence substring.

Only what the text states as the post's own date is used (`stated`), or what follows from it with no
outside knowledge (`inferred`, with the evidence). Dates of reported events are never used. The one
home of the month names (English `MONTHS`, `MONTH_NAME`; Russian `RU_MONTHS`, `RU_MONTH_NAME`,
RIA's `RU_MONTH_ABBREVIATIONS`; `month_number` reads any of them), of the timestamp reader the structured formats
share (`read_timestamp`) and of the plausible window of a publication date (`implausible`).

The plausible window. A date outside it stops the build with a `BadInputError` that names the file
and the message id or line; it is not kept and marked, because it can only come from a broken scrape
(epoch 0, a year typo, milliseconds read as seconds) or a file declared with the wrong platform, and
no later stage could tell the right date.
- Floor, per platform (`EARLIEST`): nothing is published on a platform before it existed. Telegram:
  2013-08-14, its public launch (channels came in 2015; the launch is the floor that can never be
  wrong). Web: 1991-08-06, the first public web page. A platform not listed takes the web floor.
- Ceiling: the time the file was collected, where the seeds manifest declares its `collected_at`
  (a post's `published_at` may not be later; a calendar date not more than a day later, for time
  zones east of UTC), and in any case `LATEST`, 2099-12-31. The build's clock is deliberately not
  used, so that a build never depends on the day it runs.
- What is checked: every `stated` date (the scrape's own timestamps and date lines, checked once for
  all formats in `statemedia.parse.Format.__call__`) and the TASS scraper header date, which anchors the
  year of the `inferred` dateline dates. Not checked: a date inferred from a post's own words (an
  anniversary formula, `read_anniversary_date`), which is what the text says and which no fix of
  the scrape could change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from statemedia.vocab import DateConfidence

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
# A month's English name, as the named group `month` (look its number up in `MONTHS`).
MONTH_NAME = r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December)"
# Russian month names as dates write them, in the genitive ("4 февраля 2025 года"), lower case.
RU_MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "января",
            "февраля",
            "марта",
            "апреля",
            "мая",
            "июня",
            "июля",
            "августа",
            "сентября",
            "октября",
            "ноября",
            "декабря",
        ],
        start=1,
    )
}
# RIA Novosti's short dateline months ("МОСКВА, 4 фев — РИА Новости."); May is never cut ("мая").
RU_MONTH_ABBREVIATIONS = {
    name: number
    for number, name in enumerate(
        ["янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
        start=1,
    )
}
# A Russian genitive month name, as the named group `month` (its number: `month_number`).
RU_MONTH_NAME = "(?P<month>" + "|".join(RU_MONTHS) + ")"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"

# Sputnik: "Wednesday, 4 August, 2021 - 22:07"
SPUTNIK_DATE_LINE = re.compile(
    rf"^{_WEEKDAY}, (?P<day>\d{{1,2}}) {MONTH_NAME},? (?P<year>\d{{4}})(?: - \d{{1,2}}:\d{{2}})?$"
)
# "8️⃣0️⃣ years ago, on February 4, 1945": an anniversary post states its own day (1945 + 80).
# The years may be keycap digits ('8️⃣' is '8', U+FE0F, U+20E3, or '8' U+20E3): they are matched as
# they stand, so that the match is the raw substring, and read through `_KEYCAP`. The lookarounds
# keep a longer number from being read in part ("12345 years", "February 4, 19450").
ANNIVERSARY = re.compile(
    r"(?<![\d\ufe0f\u20e3])(?P<years>(?:\d(?:\ufe0f?\u20e3)?){1,4}) years ago,? on "
    rf"{MONTH_NAME} (?P<day>\d{{1,2}}),? (?P<year>\d{{4}})(?!\d)"
)
_KEYCAP = str.maketrans("", "", "\ufe0f\u20e3")  # the marks of a keycap digit: '8️⃣' reads as 8


def month_number(name: str) -> int | None:
    """The number of a month named in English ("February", any case) or in Russian, in the
    genitive ("февраля") or RIA's short form ("фев", also "сент"); None for anything else."""
    key = name.lower()
    if key == "сент":
        return 9
    return MONTHS.get(key) or RU_MONTHS.get(key) or RU_MONTH_ABBREVIATIONS.get(key)


@dataclass(frozen=True, slots=True)
class DateReading:
    """A publication date, how sure we are of it, and the raw substring it came from."""

    value: date | None
    confidence: DateConfidence
    evidence: str | None  # exact raw substring(s) of the post's lines, joined with " | "
    note: str | None = None  # how the date follows from the evidence, when that is not plain
    at: datetime | None = None  # the moment in UTC, when the input states a time with its zone


UNKNOWN = DateReading(None, DateConfidence.UNKNOWN, None)

# The plausible window of a publication date (see the module docstring): the earliest date per
# platform, with what happened on it, and one latest date for every platform.
EARLIEST: dict[str, tuple[date, str]] = {
    "telegram": (date(2013, 8, 14), "Telegram launched"),
    "web": (date(1991, 8, 6), "the first public web page"),
}
LATEST = date(2099, 12, 31)
ONE_DAY = timedelta(days=1)


def implausible(
    value: date, platform: str, collected_at: datetime | None = None, at: datetime | None = None
) -> str | None:
    """Why `value` (and the moment `at`, if known) cannot be the publication date of a post on
    `platform` collected at `collected_at`, or None if it can."""
    earliest, event = EARLIEST.get(platform, EARLIEST["web"])
    if value < earliest:
        return f"before {event} ({earliest.isoformat()})"
    if value > LATEST:
        return f"after {LATEST.isoformat()}, the latest plausible date"
    if collected_at is not None:
        # A calendar date may run up to a day ahead of UTC (time zones east of Greenwich).
        late = at > collected_at if at is not None else value > collected_at.date() + ONE_DAY
        if late:
            return f"after the file was collected ({collected_at.isoformat()}, its collected_at)"
    return None


def year_near(month: int, day: int, anchor: date) -> date | None:
    """The date with this month and day closest to `anchor` (handles a dateline across New Year).

    None if no year within one of the anchor's has that day (29 February far from a leap year).
    """
    candidates = []
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:  # 29 February in a non-leap year
            continue
    return min(candidates, key=lambda d: abs((d - anchor).days)) if candidates else None


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
    return DateReading(value, DateConfidence.STATED, line.strip()) if value else None


def read_anniversary_date(text: str) -> DateReading:
    """Infer a post's date from an anniversary formula ('80 years ago, on February 4, 1945').

    The evidence is the formula exactly as the text has it (keycap digits and all); the note says
    how the date follows from it. Event dates alone (a transcript's '(Moscow, February 4, 2025)')
    are never used: the seeds show such posts appearing days after the event.
    """
    match = ANNIVERSARY.search(text)
    if not match:
        return UNKNOWN
    years = int(match["years"].translate(_KEYCAP))
    stated = int(match["year"])
    value = _safe_date(stated + years, MONTHS[match["month"].lower()], int(match["day"]))
    if value is None:
        return UNKNOWN
    note = f"{stated} + {years} years: the anniversary formula's own date"
    return DateReading(value, DateConfidence.INFERRED, match.group(0), note=note)


def read_timestamp(value: object, time_zone: str = "UTC") -> DateReading | None:
    """A stated date and time from an ISO 8601 string or epoch seconds; None if unreadable.

    `at` is the moment in UTC, to the second; `value` is its calendar date in `time_zone` (the
    publisher's, `statemedia.vocab.source_time_zone`). A naive ISO timestamp (no offset) is taken
    as written: its date is `value` and `at` is None, since its zone is unknown (the note says so).
    Epoch seconds are UTC by definition. `evidence` is left None: the parser sets the raw substring.
    """
    if isinstance(value, bool):  # bool is an int subclass; true/false is no timestamp
        return None
    seconds = value
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        seconds = float(value.strip())
    if isinstance(seconds, int | float):
        try:
            moment = datetime.fromtimestamp(int(seconds), UTC)
        except (OverflowError, OSError, ValueError):
            return None
        note = "epoch seconds (UTC)"
    elif isinstance(value, str):
        try:
            # fromisoformat (3.11) reads 'Z', offsets and a space separator.
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        if moment.tzinfo is None:
            return DateReading(
                moment.date(),
                DateConfidence.STATED,
                None,
                note="no time zone stated: the date as written; published_at unknown",
            )
        moment = moment.astimezone(UTC).replace(microsecond=0)
        note = "ISO 8601 with UTC offset"
    else:
        return None
    local = moment.astimezone(ZoneInfo(time_zone)).date()
    return DateReading(
        local, DateConfidence.STATED, None, note=f"{note}; published_date in {time_zone}", at=moment
    )
