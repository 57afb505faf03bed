"""`event_dates` on invented Ministry-style lines: what it reads, what it must not, and its contract
(evidence verbatim in the texts, each (date, kind) once, order of appearance, one linear pass)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statemedia.parse.dates import read_anniversary_date
from statemedia.parse.event_dates import event_dates
from statemedia.records import EventDate
from statemedia.vocab import EventDateKind

EVENT = EventDateKind.EVENT
ORIGINAL = EventDateKind.ORIGINAL_PUBLICATION
ANNIVERSARY = EventDateKind.ANNIVERSARY


@pytest.mark.parametrize(
    ("text", "value", "kind", "evidence"),
    [
        # The heading convention: a parenthesised date closing the heading, place before or after.
        (
            "🎙 Remarks by the Minister at a round table (Moscow, February 4, 2025)",
            date(2025, 2, 4),
            EVENT,
            "(Moscow, February 4, 2025)",
        ),
        (
            "Briefing by the Ministry's Spokesperson (January 31, 2025)",
            date(2025, 1, 31),
            EVENT,
            "(January 31, 2025)",
        ),
        (
            "🎙 From a briefing by the Spokesperson (Kazan, January 30, 2025):",
            date(2025, 1, 30),
            EVENT,
            "(Kazan, January 30, 2025)",
        ),
        (
            "Answers to questions from the press (3 July 2024, Astana)",
            date(2024, 7, 3),
            EVENT,
            "(3 July 2024, Astana)",
        ),
        ("Joint statement on the talks (19 August 2024)", date(2024, 8, 19), EVENT, None),
        ("Opening remarks (Nizhny Novgorod, 4 June, 2024)", date(2024, 6, 4), EVENT, None),
        ("Remarks at the forum (St Petersburg, 06.02.2025).", date(2025, 2, 6), EVENT, None),
        ("Interview to a weekly (October 7th, 2024)  ", date(2024, 10, 7), EVENT, None),
        ("Statement (Moscow, 1.3.2025)", date(2025, 3, 1), EVENT, None),
        # Inside raw structured lines: a JSON string's '\n' escape or end, an HTML tag.
        (
            '  "text": "🎙 Remarks at a conference (Moscow, February 4, 2025)\\n\\nKey points",',
            date(2025, 2, 4),
            EVENT,
            "(Moscow, February 4, 2025)",
        ),
        ('{"id": 7, "message": "Remarks (Minsk, May 5, 2024)"}', date(2024, 5, 5), EVENT, None),
        (
            '<div class="tgme_widget_message_text">🎙 Remarks (Moscow, February 4, 2025)<br/>Text',
            date(2025, 2, 4),
            EVENT,
            "(Moscow, February 4, 2025)",
        ),
        # The original publication of a republished text.
        (
            "✍️ Article by a department director (originally published on January 6, 2025)",
            date(2025, 1, 6),
            ORIGINAL,
            "originally published on January 6, 2025",
        ),
        (
            "Originally published in the Example Review on 6 January 2025. The text follows.",
            date(2025, 1, 6),
            ORIGINAL,
            "Originally published in the Example Review on 6 January 2025",
        ),
        (
            '📄 Article by the Ambassador titled "Years of friendship" published in Example Daily'
            " (06.02.2025)",
            date(2025, 2, 6),
            ORIGINAL,
            "published in Example Daily (06.02.2025)",
        ),
        (
            "Published in Example Weekly (4 March 2025):",
            date(2025, 3, 4),
            ORIGINAL,
            "Published in Example Weekly (4 March 2025)",
        ),
        # The day an anniversary formula counts from; keycap digits kept raw in the evidence.
        (
            "8️⃣0️⃣ years ago, on February 4, 1945, a conference of the Allies opened.",
            date(1945, 2, 4),
            ANNIVERSARY,
            "8️⃣0️⃣ years ago, on February 4, 1945",
        ),
        (
            "7\u20e35\u20e3 years ago on May 1, 1950 the two countries exchanged notes",
            date(1950, 5, 1),
            ANNIVERSARY,
            "7\u20e35\u20e3 years ago on May 1, 1950",
        ),
        (
            "Exactly 30 years ago, on March 2, 1995, a treaty",
            date(1995, 3, 2),
            ANNIVERSARY,
            "30 years ago, on March 2, 1995",
        ),
    ],
)
def test_a_stated_date_is_read_with_its_kind_and_raw_evidence(text, value, kind, evidence):
    evidence = evidence or text[text.index("(") : text.index(")") + 1]  # the heading's date
    assert event_dates([text]) == (EventDate(value, kind, evidence),)
    assert evidence in text


@pytest.mark.parametrize(
    "text",
    [
        # Dates mentioned in passing.
        "The declaration, which was signed on February 22, 2022, is the basis of the talks.",
        "On February 3, 2025, the two countries marked the anniversary of their relations.",
        "The Minister recalled his article released on June 22, 2021 and its main points.",
        "The resolution (February 17, 2015) endorsed the package of measures.",
        "An essay published in Example Daily on February 6, 2025 made the same point.",
        '  "text": "The meeting (Moscow, February 4, 2025) \\"went well\\"",',
        # Not a full date, or not one date.
        "On February 6, the Spokesperson will hold a briefing.",
        "Remarks at the talks (Moscow, February 4-5, 2025)",
        "A review of the year (Moscow, February 2025)",
        "A summary (2025)",
        "Accreditation is open until 09.00 am on February 5.",
        "The 80th anniversary of the conference",
        # No such day.
        "Remarks (Moscow, February 31, 2025)",
        "Remarks (31.02.2025)",
        "Remarks (Moscow, 13.13.2025)",
        "Remarks (Moscow, 0.1.2025)",
        "An article (originally published on February 30, 2025)",
        "8️⃣0️⃣ years ago, on February 30, 1945, nothing happened",
        # A longer number is not read in part.
        "Remarks (Moscow, February 4, 20251)",
        "Statement (123.02.2025)",
        # Lower-case words are no place.
        "Remarks (as delivered, February 4, 2025)",
    ],
)
def test_dates_in_passing_partial_or_impossible_are_not_event_dates(text):
    assert event_dates([text]) == ()


def test_each_date_and_kind_once_in_order_of_appearance_across_texts():
    texts = [
        "8️⃣0️⃣ years ago, on February 4, 1945, the conference opened.",
        "🎙 From a briefing by the Spokesperson (Kazan, January 30, 2025):",
        "Quoted again (January 30, 2025)",  # same date and kind: the first evidence is kept
        "Article (originally published on January 30, 2025)",  # same date, another kind
        "Remarks (Moscow, February 4, 1945)",  # the anniversary's day, but as an event
    ]
    assert event_dates(texts) == (
        EventDate(date(1945, 2, 4), ANNIVERSARY, "8️⃣0️⃣ years ago, on February 4, 1945"),
        EventDate(date(2025, 1, 30), EVENT, "(Kazan, January 30, 2025)"),
        EventDate(date(2025, 1, 30), ORIGINAL, "originally published on January 30, 2025"),
        EventDate(date(1945, 2, 4), EVENT, "(Moscow, February 4, 1945)"),
    )
    # Within one text too, in the order the dates stand.
    two = "Article (originally published on May 2, 2024) published in Example Daily (03.05.2024)"
    assert [e.date for e in event_dates([two])] == [date(2024, 5, 2), date(2024, 5, 3)]
    assert event_dates([]) == ()


def test_a_telegram_export_line_and_its_text_entity_give_the_date_once():
    message = {"text": "🎙 Remarks (Moscow, February 4, 2025)\n\nBody"}
    entity = {"type": "plain", "text": "🎙 Remarks (Moscow, February 4, 2025)\n\nBody"}
    lines = [f'   "text": {json.dumps(message["text"])},', f"    {json.dumps(entity)}"]
    (found,) = event_dates(lines)
    assert (found.date, found.kind, found.evidence) == (
        date(2025, 2, 4),
        EVENT,
        "(Moscow, February 4, 2025)",
    )


def test_the_anniversary_event_date_and_the_posts_own_date_share_their_evidence():
    text = "8️⃣0️⃣ years ago, on February 4, 1945, the conference opened."
    reading = read_anniversary_date(text)
    (found,) = event_dates([text])
    assert reading.evidence == found.evidence == "8️⃣0️⃣ years ago, on February 4, 1945"
    assert (reading.value, found.date) == (date(2025, 2, 4), date(1945, 2, 4))
    assert reading.note == "1945 + 80 years: the anniversary formula's own date"


@pytest.mark.parametrize(
    "text",
    [
        "(" * 50_000,
        "(Moscow, " * 20_000,
        "published in " * 20_000,
        "originally published in " * 20_000,
        "8️⃣" * 40_000,
        "(" + "M" * 100_000 + ", February 4, 2025)",
        "published in " + "x" * 100_000 + " (06.02.2025) and more",
    ],
)
def test_adversarial_text_is_scanned_in_one_bounded_pass(text):
    """Every attempt is bounded, so these finish at once (a backtracking blow-up would hang)."""
    assert event_dates([text]) == ()


FRAGMENTS = [
    "Remarks ",
    "(Moscow, ",
    "February 4, 2025",
    "4 February 2025",
    "06.02.2025",
    ")",
    ":",
    "originally published on ",
    "published in Example Daily ",
    "8️⃣0️⃣ years ago, on ",
    "February 30, 1945",
    '\\n"',
    "<br/>",
    " ",
    "(",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join), max_size=4))
def test_evidence_is_always_verbatim_and_each_date_and_kind_is_found_once(texts):
    found = event_dates(texts)
    assert len({(e.date, e.kind) for e in found}) == len(found)
    for event in found:
        assert any(event.evidence in text for text in texts)
        assert isinstance(event.kind, EventDateKind)
