"""Parsers on tiny inline inputs, the cleaning rules, and a property: any text is fully accounted."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statemedia.account import build_account
from statemedia.clean import (
    LINE_RULES,
    extract_hashtags,
    is_link_anchor,
    line_categories,
    normalise_line,
    removed_as,
)
from statemedia.errors import BadInputError
from statemedia.parse import FileContext, registry, split_lines
from statemedia.parse.dates import read_anniversary_date, read_sputnik_date_line, year_near
from statemedia.vocab import DateConfidence, LineCategory


def parse(fmt: str, text: str):
    _, parser = registry()[fmt]
    return parser(split_lines(text), FileContext("seeds/x.txt", "tass", "web", "en"))


def categories(fmt: str, text: str) -> dict[int, str]:
    parsed = parse(fmt, text)
    out = dict(parsed.outside)
    for draft in parsed.drafts:
        for line, category in zip(draft.lines, line_categories(draft), strict=True):
            assert line.number not in out
            out[line.number] = category
    return out


def test_split_lines_counts_like_sed():
    assert [line.text for line in split_lines("a\nb")] == ["a", "b"]
    assert [line.text for line in split_lines("a\nb\n")] == ["a", "b"]
    assert [line.char_start for line in split_lines("ab\n\ncd")] == [0, 3, 4]


def test_tass_dump_recovers_headline_subheading_caption_and_inferred_date():
    text = (
        " date 2022-12-31 Page title\n"
        "Headline one\nSubheading one\nA person Photographer/TASS\n\n"
        "MOSCOW, January 1. /TASS/. First body.\nMore body.\n"
        "A long subheading of an article whose headline line was lost by the scraper somewhere\n"
        "KIEV, December 30. /TASS/. Second body.\n"
    )
    drafts = parse("tass_dump", text).drafts
    assert [(d.title, d.subtitle) for d in drafts] == [
        ("Headline one", "Subheading one"),
        (
            None,
            "A long subheading of an article whose headline line was lost by the scraper somewhere",
        ),
    ]
    # New Year: the dateline's year is the one closest to the header date.
    assert [d.published_date for d in drafts] == [date(2023, 1, 1), date(2022, 12, 30)]
    assert {d.date_confidence for d in drafts} == {"inferred"}
    assert categories("tass_dump", text)[4] == "post_metadata"


def test_leap_day_dateline_without_a_leap_year_nearby_has_an_unknown_date():
    assert year_near(2, 29, date(2023, 6, 1)) == date(2024, 2, 29)
    assert year_near(2, 29, date(2022, 6, 1)) is None  # 2021-2023 have no 29 February
    text = " date 2022-06-01 t\nHeadline\nMOSCOW, February 29. /TASS/. Body.\n"
    (draft,) = parse("tass_dump", text).drafts
    assert (draft.published_date, draft.date_confidence, draft.date_evidence) == (
        None,
        DateConfidence.UNKNOWN,
        None,
    )


def test_tass_page_teasers_become_records():
    text = (
        " date 2021-06-27 {{x}}\n{{debris}}\nAll news\n\nHeadline\n\nSub\nCaption X/TASS\n\n"
        "MOSCOW, June 28. /TASS/. Body.\n\nT1 headline\nT1 summary\nRead more\n"
    )
    drafts = parse("tass_page", text).drafts
    assert [d.kind for d in drafts] == ["article", "link_teaser"]
    assert drafts[1].title == "T1 headline"
    cats = categories("tass_page", text)
    assert [cats[n] for n in (1, 2, 3, 5, 7, 8, 10, 14)] == [
        "scraper_header",
        "template_debris",
        "page_navigation",
        "post_title",
        "post_subtitle",
        "post_metadata",
        "post_body",
        "link_anchor",
    ]


def test_tass_page_refuses_junk_among_teasers():
    text = " date 2021-06-27\nHead\nMOSCOW, June 28. /TASS/. Body.\nT\nS\nRead more\nstray line\n"
    with pytest.raises(BadInputError, match=r"seeds/x.txt:7: expected a teaser"):
        parse("tass_page", text)


def test_sputnik_date_line_is_stated():
    drafts = parse(
        "sputnik_article", "Title\n\nMonday, 2 May, 2022 - 10:00\n\nBody.\n\nSource: x\n"
    ).drafts
    assert drafts[0].published_date == date(2022, 5, 2)
    assert drafts[0].date_confidence == "stated"
    assert read_sputnik_date_line("Monday, 31 February, 2022 - 10:00") is None


def test_forwards_collapse_repeated_body_and_split_unforwarded_posts():
    text = (
        "Forwarded from Chan\nLead one\nB1\nRead in full\n#Tag\nB1\nRead in full\n#Tag\n"
        "Lead two\nC1\nC2\nC1\nC2\n"
        "Forwarded from Chan\nLead three\nD1\nD2\nD1\n"  # copy cut short by the end of the file
    )
    parsed = parse("telegram_forwards", text)
    assert [(d.lines[0].number, d.lines[-1].number, d.forwarded_from) for d in parsed.drafts] == [
        (1, 8, "Chan"),
        (9, 13, None),
        (14, 18, "Chan"),
    ]
    cats = categories("telegram_forwards", text)
    assert [cats[n] for n in range(1, 9)] == [
        "post_metadata",
        "post_body",
        "post_body",
        "link_anchor",
        "post_body",
        "repeated_body",
        "repeated_body",
        "repeated_body",
    ]
    assert cats[18] == "repeated_body"


def test_web_preview_boundaries_placeholders_and_live_anchors():
    text = (
        "Chan 🇷🇺\n1K subscribers\n2 photos\nDownload Telegram\n#Topic\n\nFirst post text.\n"
        "Please open Telegram to view this post\nVIEW IN TELEGRAM\n"
        "🔴 #LIVE: Remarks at a conference\n\n🔴 X (ex-Twitter)\n\n🔴 Ruptly\n"
        "🎙 Remarks (Moscow, February 4, 2025)\n\n🔹 item\n🔹 item two\n"
        "Forwarded from\u00a0Other Channel\n⚡️Welcome\n"
    )
    parsed = parse("telegram_web_preview", text)
    spans = [(d.lines[0].number, d.lines[-1].number) for d in parsed.drafts]
    assert spans == [(5, 7), (8, 14), (15, 18), (19, 20)]
    assert parsed.drafts[3].forwarded_from == "Other Channel"
    # An event date in a heading is not a publication date.
    assert parsed.drafts[2].published_date is None
    cats = categories("telegram_web_preview", text)
    assert [cats[n] for n in (1, 4, 8, 9, 10, 12, 14)] == [
        "channel_header",
        "channel_header",
        "placeholder",
        "placeholder",
        "post_body",
        "link_anchor",
        "link_anchor",
    ]


def test_anniversary_formula_gives_an_inferred_date():
    reading = read_anniversary_date("8️⃣0️⃣ years ago, on February 4, 1945, the conference opened")
    assert (reading.value, reading.confidence) == (date(2025, 2, 4), "inferred")
    assert read_anniversary_date("On February 4, 2025, he spoke").confidence == "unknown"


@pytest.mark.parametrize(
    ("line", "anchor"),
    [
        ("Read in full", True),
        ("📄 Read in full", True),
        ("📺 Watch", True),
        ("🔴 Facebook", True),
        ("🔴 Russia's MFA website", True),
        ("🔴 #LIVE: Briefing", False),
        ("Read in full the statement of the Ministry.", False),
        ("🔴 Breaking: a long sentence here.", False),
    ],
)
def test_link_anchor_rule(line, anchor):
    assert is_link_anchor(line) is anchor


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("  a \u00a0 b\t c ", "a b c"), ("e\u0301", "\u00e9"), ("🇷🇺 text", "🇷🇺 text")],
)
def test_normalise_line(raw, clean):
    assert normalise_line(raw) == clean
    assert normalise_line(clean) == clean  # idempotent


def test_line_rules_name_their_category_for_the_card():
    assert [(rule.category, rule.name) for rule in LINE_RULES] == [
        (LineCategory.PLACEHOLDER, "is_placeholder"),
        (LineCategory.LINK_ANCHOR, "is_link_anchor"),
    ]
    assert removed_as("VIEW IN TELEGRAM") == LineCategory.PLACEHOLDER
    assert removed_as("📺 Watch") == LineCategory.LINK_ANCHOR
    assert removed_as("A sentence of content.") is None


def test_hashtags_kept_in_order_once():
    assert extract_hashtags("at the #UN, #BRICS and the #UN again; url.com/#frag") == (
        "UN",
        "BRICS",
    )


@settings(max_examples=150, deadline=None)
@given(
    fmt=st.sampled_from(sorted(registry())),
    lines=st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "",
                    " date 2021-06-27 t",
                    "Read more",
                    "Read in full",
                    "Forwarded from X",
                    "MOSCOW, June 28. /TASS/. Body.",
                    "MOSCOW, February 29. /TASS/. Body.",
                    "Please open Telegram to view this post",
                    "VIEW IN TELEGRAM",
                    "Download Telegram",
                    "1K subscribers",
                    "🔴 #LIVE: x",
                    "🔴 Ruptly",
                    "Wednesday, 4 August, 2021 - 22:07",
                    "Source: x",
                    "{{x}}",
                    "#Tag",
                ]
            ),
            st.text(max_size=40).map(lambda s: s.replace("\n", " ")),
        ),
        max_size=30,
    ),
)
def test_any_text_is_fully_accounted_or_refused_with_a_place(fmt, lines):
    text = "\n".join(lines)
    try:
        out = categories(fmt, text)
    except BadInputError as err:
        assert str(err).startswith("seeds/x.txt")
        return
    parsed_lines = split_lines(text)
    account = build_account("seeds/x.txt", parsed_lines, len(text), out)
    assert sum(account.lines.values()) == len(parsed_lines)
    assert sum(account.chars.values()) == len(text)
