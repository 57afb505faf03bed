"""Parsers on tiny inline inputs, their signatures and date window, the cleaning rules, and
properties: any text is fully accounted; the linear repeat search agrees with its definition."""

from __future__ import annotations

import json
import random
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statemedia.account import build_account
from statemedia.clean import (
    LINE_RULES,
    clean_draft,
    extract_hashtags,
    is_link_anchor,
    line_categories,
    normalise_line,
    removed_as,
    strip_control_chars,
)
from statemedia.errors import BadInputError
from statemedia.parse import FileContext, formats, guess_format, registry, split_lines
from statemedia.parse.dates import (
    implausible,
    read_anniversary_date,
    read_sputnik_date_line,
    year_near,
)
from statemedia.parse.telegram import _repeat_length, line_codes
from statemedia.records import Draft, Provenance
from statemedia.vocab import DateConfidence, LineCategory, TitleSource
from statemedia_bench.parse import CASES


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
    # The header's "Page title" shares no word with the headless article: no title is recovered.
    assert [d.title_source for d in drafts] == [TitleSource.HEADLINE_LINE, None]
    # New Year: the dateline's year is the one closest to the header date.
    assert [d.published_date for d in drafts] == [date(2023, 1, 1), date(2022, 12, 30)]
    assert {d.date_confidence for d in drafts} == {"inferred"}
    # The evidence is the raw dateline; where the year comes from is the note's.
    assert [(d.date_evidence, d.date_note) for d in drafts] == [
        (
            "MOSCOW, January 1. /TASS/.",
            "year from the scraper header ' date 2022-12-31' (line 1): the year that puts "
            "January 1 nearest the header's date",
        ),
        (
            "KIEV, December 30. /TASS/.",
            "year from the scraper header ' date 2022-12-31' (line 1): the year that puts "
            "December 30 nearest the header's date",
        ),
    ]
    assert categories("tass_dump", text)[4] == "post_metadata"


LOST = "An updated draft of the regional cooperation programme will be adopted by the council soon"
HEADLESS = (
    f"{LOST}\n"
    "MINSK, May 14. /TASS/. The council will adopt the updated regional cooperation programme "
    "within weeks, the Deputy Minister told reporters on Tuesday.\n"
    "More body.\n"
)
OTHER = "Ministers discuss grain exports\nMOSCOW, May 13. /TASS/. Talks on grain exports went on.\n"
HEADER_TITLE = "Council to Adopt Regional Cooperation Programme"


@pytest.mark.parametrize(
    ("header", "body", "recovered"),
    [
        # The header's title names the one headless article, whose lead shares its words.
        (f" date 2024-05-14 {HEADER_TITLE}", OTHER + HEADLESS, 1),
        (f"date 2024-05-14 {HEADER_TITLE}  ", HEADLESS, 0),
        # No title after the header's date.
        (" date 2024-05-14", OTHER + HEADLESS, None),
        (" date 2024-05-14 ", OTHER + HEADLESS, None),
        # The header's title is another article's headline (case and spacing aside), though it
        # would match the headless article's words too.
        (
            f" date 2024-05-14 {HEADER_TITLE}",
            "council to adopt  REGIONAL cooperation programme\n"
            "KAZAN, May 13. /TASS/. The programme was discussed.\n" + HEADLESS,
            None,
        ),
        # Two headless articles: the header could name either.
        (
            f" date 2024-05-14 {HEADER_TITLE}",
            HEADLESS + HEADLESS.replace("May 14", "May 15"),
            None,
        ),
        # No content overlap with the headless article's first paragraph.
        (" date 2024-05-14 Kremlin Comments on Weather Forecast", OTHER + HEADLESS, None),
        # Some overlap (council, programme), but less than half of the title's content words.
        (
            " date 2024-05-14 Council Programme Delayed Amid Budget Dispute Over Farm Subsidies",
            OTHER + HEADLESS,
            None,
        ),
        # No headless article at all.
        (f" date 2024-05-14 {HEADER_TITLE}", OTHER, None),
    ],
)
def test_tass_dump_takes_a_lost_headline_from_the_scraper_header_only_when_it_matches(
    header, body, recovered
):
    text = f"{header}\n{body}"
    parsed = parse("tass_dump", text)
    for k, draft in enumerate(parsed.drafts):
        if k == recovered:
            assert (draft.title, draft.title_source) == (HEADER_TITLE, TitleSource.SCRAPER_HEADER)
            # The header stays the file's header in the line account, outside the article's lines.
            assert categories("tass_dump", text)[1] == "scraper_header"
            assert draft.lines[0].number > 1 and LineCategory.POST_TITLE not in draft.roles
        elif draft.lines[0].text == LOST:
            assert (draft.title, draft.title_source) == (None, None)
        else:
            assert (draft.title, draft.title_source) == (
                draft.lines[0].text,
                TitleSource.HEADLINE_LINE,
            )


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
    assert [d.title_source for d in drafts] == [TitleSource.HEADLINE_LINE] * 2
    assert (drafts[0].date_evidence, drafts[0].date_note) == (
        "MOSCOW, June 28. /TASS/.",
        "year from the scraper header ' date 2021-06-27' (line 1): the year that puts June 28 "
        "nearest the header's date",
    )
    assert drafts[0].published_at is None
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
    assert drafts[0].title_source == TitleSource.HEADLINE_LINE
    # The time is shown without a zone: no published_at, and the note says why.
    assert (drafts[0].date_evidence, drafts[0].date_note, drafts[0].published_at) == (
        "Monday, 2 May, 2022 - 10:00",
        "the date line shows the time 10:00 without a time zone: published_at unknown",
        None,
    )
    (untimed,) = parse("sputnik_article", "Title\n  Monday, 2 May, 2022  \nBody.\n").drafts
    assert (untimed.date_evidence, untimed.date_note) == ("Monday, 2 May, 2022", None)
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
    # The evidence is the raw formula, keycaps and all; the arithmetic is the note's.
    assert reading.evidence == "8️⃣0️⃣ years ago, on February 4, 1945"
    assert reading.note == "1945 + 80 years: the anniversary formula's own date"
    assert read_anniversary_date("On February 4, 2025, he spoke").confidence == "unknown"


@pytest.mark.parametrize(
    ("text", "value", "evidence"),
    [
        (
            "80 years ago on February 4, 1945 it opened",
            date(2025, 2, 4),
            "80 years ago on February 4, 1945",
        ),
        (
            "8\u20e30\u20e3 years ago, on May 9, 1945",
            date(2025, 5, 9),
            "8\u20e30\u20e3 years ago, on May 9, 1945",
        ),
        (
            "Now 1️⃣0️⃣0️⃣ years ago, on March 3, 1925.",
            date(2025, 3, 3),
            "1️⃣0️⃣0️⃣ years ago, on March 3, 1925",
        ),
        ("in 12345 years ago, on May 9, 1945", None, None),  # no five-digit number read in part
        ("80 years ago, on February 4, 19450", None, None),
        ("80 years ago, on February 30, 1945", None, None),
        ("81 years ago, on February 29, 1944", None, None),  # 2025 has no 29 February
    ],
)
def test_anniversary_formula_edges(text, value, evidence):
    reading = read_anniversary_date(text)
    assert (reading.value, reading.evidence) == (value, evidence)
    assert (reading.note is None) == (value is None)


def test_web_preview_passes_the_anniversary_evidence_and_note_into_the_draft():
    text = (
        "Chan\n1K subscribers\nDownload Telegram\n✍️ 8️⃣0️⃣ years ago, on February 4, 1945, it opened.\n"
    )
    (draft,) = parse("telegram_web_preview", text).drafts
    assert (draft.date_evidence, draft.date_note) == (
        "8️⃣0️⃣ years ago, on February 4, 1945",
        "1945 + 80 years: the anniversary formula's own date",
    )
    assert draft.date_evidence in draft.lines[0].text


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


# --- every input is what it claims to be ---------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def corpus_files() -> list[tuple[str, str]]:
    """(format, text) of every seed and every parser fixture of the rule-version corpus."""
    seeds = tomllib.loads((REPO / "seeds" / "manifest.toml").read_text(encoding="utf-8"))
    out = [
        (entry["format"], (REPO / "seeds" / entry["path"]).read_text(encoding="utf-8"))
        for entry in seeds["files"]
    ]
    fixtures = REPO / "tests" / "fixtures"
    listed = tomllib.loads((fixtures / "rules" / "corpus.toml").read_text(encoding="utf-8"))
    out += [
        (entry["format"], (fixtures / entry["path"]).read_text(encoding="utf-8"))
        for entry in listed["files"]
        if "format" in entry
    ]
    return out


@pytest.mark.parametrize(("fmt", "text"), corpus_files())
def test_every_real_input_carries_its_own_signature_and_is_guessed_as_its_format(fmt, text):
    lines = split_lines(text)
    assert formats()[fmt].signature(lines) is None
    assert guess_format(lines) == fmt


TASS_DUMP = (
    " date 2024-05-14 Page title\nHeadline one\n\nMINSK, May 14. /TASS/. First body.\n"
    "Headline two\nMOSCOW, May 13. /TASS/. Second body.\n"
)
TASS_PAGE = (
    " date 2024-05-14 {{x}}\nAll news\n\nHeadline\n\nMOSCOW, May 14. /TASS/. Body.\n\n"
    "T1 headline\nT1 summary\nRead more\n"
)
SPUTNIK = "Title\n\nTuesday, 14 May, 2024 - 10:00\n\nBody.\n\nSource: x\n"
FORWARDS = "Forwarded from Chan\nLead\nB1\nRead in full\nB1\nRead in full\n"
WEB_PREVIEW = "Chan 🇷🇺\n1K subscribers\nDownload Telegram\n🎙 Remarks\nBody.\n"
EXPORT = json.dumps(
    {"name": "X", "type": "public_channel", "id": 1, "messages": [{"id": 1, "text": "a"}]}, indent=1
)
JSONL = '{"id": 1, "message": "a"}\n'
HTML = (
    '<html>\n<div class="tgme_widget_message js-widget_message" data-post="Chan/5">\n'
    "</div>\n</html>\n"
)


@pytest.mark.parametrize(
    ("declared", "text", "problem", "guess"),
    [
        ("telegram_web_preview", TASS_DUMP, "no t.me/s web-preview layout", "tass_dump"),
        ("telegram_forwards", EXPORT, "no 'Forwarded from <channel>' line", "telegram_export"),
        (
            "telegram_forwards",
            WEB_PREVIEW + "Forwarded from X\nY\n",
            ":3: a t.me/s channel header",
            "telegram_web_preview",
        ),
        ("tass_page", TASS_DUMP, ":6: a second 'CITY, Month D. /TASS/.' dateline", "tass_dump"),
        ("tass_dump", TASS_PAGE, ":10: a 'Read more' teaser", "tass_page"),
        ("tass_dump", SPUTNIK, ":1: expected the scraper header", "sputnik_article"),
        ("sputnik_article", FORWARDS, ":2: expected a date line", "telegram_forwards"),
        ("jsonl", EXPORT, ":1: not JSON", "telegram_export"),
        ("telegram_export", JSONL, "no `messages` list", "jsonl"),
        ("tme_html", WEB_PREVIEW, "no Telegram message", "telegram_web_preview"),
        ("telegram_web_preview", HTML, "no t.me/s web-preview layout", "tme_html"),
    ],
)
def test_a_file_of_another_format_is_refused_naming_the_format_that_fits(
    declared, text, problem, guess
):
    ctx = FileContext(
        "seeds/x.txt", "tass", "web", "en", {"channel": "Chan", "fields": {"text": "message"}}
    )
    with pytest.raises(BadInputError) as caught:
        registry()[declared][1](split_lines(text), ctx)
    message = str(caught.value)
    assert message.startswith("seeds/x.txt") and problem in message
    assert message.endswith(
        f"; it looks like {guess} ({formats()[guess].what}), not {declared}: "
        "fix `format` in seeds/manifest.toml"
    )


def test_a_file_no_format_fits_keeps_its_advice_and_names_the_declared_format():
    with pytest.raises(BadInputError) as caught:
        parse("tass_dump", "Headline\nMOSCOW, May 1. /TASS/. Body.\n")
    assert str(caught.value) == (
        "seeds/x.txt:1: expected the scraper header ' date YYYY-MM-DD <title>' on line 1; declare "
        "the right format in seeds/manifest.toml or restore the header (declared tass_dump; no "
        "other known format fits the file either)"
    )


def test_a_parse_that_finds_no_record_is_refused():
    with pytest.raises(BadInputError, match="no record found in this telegram_web_preview file"):
        parse("telegram_web_preview", "Chan\n1K subscribers\nDownload Telegram\n\n")


# --- plausible dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "platform", "why"),
    [
        (date(1970, 1, 1), "telegram", "before Telegram launched (2013-08-14)"),
        (date(1970, 1, 1), "web", "before the first public web page (1991-08-06)"),
        (date(2013, 8, 13), "telegram", "before Telegram launched (2013-08-14)"),
        (date(2013, 8, 14), "telegram", None),
        (date(1995, 1, 1), "web", None),
        (date(1995, 1, 1), "telegram", "before Telegram launched (2013-08-14)"),
        (date(2099, 12, 31), "web", None),
        (date(2100, 1, 1), "telegram", "after 2099-12-31, the latest plausible date"),
        (date(2100, 1, 1), "web", "after 2099-12-31, the latest plausible date"),
    ],
)
def test_plausible_date_window(value, platform, why):
    assert implausible(value, platform) == why


@pytest.mark.parametrize(
    ("fmt", "text", "error"),
    [
        (
            "sputnik_article",
            "T\nThursday, 1 January, 1970 - 00:00\nBody.\n",
            "seeds/x.txt:2: this article is dated 1970-01-01 (from Thursday, 1 January, 1970 - "
            "00:00), before the first public web page (1991-08-06) on platform web",
        ),
        (
            "sputnik_article",
            "T\nFriday, 1 January, 2100 - 00:00\nBody.\n",
            "after 2099-12-31, the latest plausible date on platform web",
        ),
        (
            "tass_dump",
            " date 1970-01-01 t\nHeadline\nMOSCOW, January 1. /TASS/. Body.\n",
            "seeds/x.txt:1: scraper header date 1970-01-01 is before the first public web page",
        ),
        (
            "tass_page",
            " date 2100-01-01 t\nHeadline\nMOSCOW, January 1. /TASS/. Body.\n",
            "seeds/x.txt:1: scraper header date 2100-01-01 is after 2099-12-31",
        ),
    ],
)
def test_dates_outside_the_window_are_refused_with_file_and_line(fmt, text, error):
    with pytest.raises(BadInputError, match=re.escape(error)):
        parse(fmt, text)


def test_an_anniversary_date_is_the_posts_own_words_and_not_held_to_the_window():
    text = (
        "Chan\n1K subscribers\nDownload Telegram\n"
        "🎙 5 years ago, on May 1, 1990, a treaty was signed\n"
    )
    (draft,) = parse("telegram_web_preview", text).drafts
    assert (draft.published_date, draft.date_confidence) == (date(1995, 5, 1), "inferred")


# --- linear parsing ------------------------------------------------------------------------------


def naive_repeat_length(texts, start, stop, n):
    """The definition `_repeat_length` implements (the quadratic search of telegram_forwards@1
    before it became linear): the shortest block followed by a copy, cut short only at the end."""
    for size in range(1, stop - start):
        copy_start = start + size
        available = min(size, stop - copy_start)
        if available < size and stop != n:
            continue
        if texts[copy_start : copy_start + available] == texts[start : start + available]:
            return size, available
    return None


@settings(max_examples=400, deadline=None)
@given(
    texts=st.lists(st.sampled_from(["", "a", "b", "c"]), max_size=40),
    start=st.integers(0, 40),
    cut=st.integers(0, 40),
)
def test_linear_repeat_search_agrees_with_its_definition(texts, start, cut):
    n = len(texts)
    start = min(start, n)
    stop = max(start, n - cut)
    expected = naive_repeat_length(texts, start, stop, n)
    assert _repeat_length(line_codes(texts), start, stop, at_end=stop == n) == expected


# --- control characters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("Bell\x07 and escape\x1b[0m", "Bell and escape[0m"),
        ("NUL\x00 DEL\x7f C1\x80\x9b", "NUL DEL C1"),
        (
            "tab\tnewline\nCR\rVT\x0bFF\x0cNEL\x85 US\x1f",
            "tab\tnewline\nCR\rVT\x0bFF\x0cNEL\x85 US\x1f",
        ),
        (
            "🇷🇺 zero\u200dwidth joiner, no-break\u00a0space",
            "🇷🇺 zero\u200dwidth joiner, no-break\u00a0space",
        ),
    ],
)
def test_strip_control_chars_removes_control_characters_that_are_not_whitespace(raw, kept):
    assert strip_control_chars(raw) == kept
    assert strip_control_chars(kept) == kept  # idempotent


def _cleaned(draft: Draft):
    provenance = Provenance("seeds/x.txt", "0" * 64, 1, 1, 0, 1, 0, 1, "fixture")
    return clean_draft(
        draft,
        post_id="p",
        provenance=provenance,
        source="tass",
        platform="web",
        declared_language="en",
    )


def test_control_characters_are_removed_from_every_text_field_and_counted():
    lines = tuple(
        split_lines("\x1b[1mTitle\x07\nBody\x1b line\n\x07VIEW IN TELEGRAM\ne\x1b\u0301\n")
    )
    roles = (
        LineCategory.POST_TITLE,
        LineCategory.POST_BODY,
        LineCategory.POST_BODY,
        LineCategory.POST_BODY,
    )
    cleaned = _cleaned(
        Draft(
            kind="article", lines=lines, roles=roles, title=lines[0].text, forwarded_from="Chan\x7f"
        )
    )
    post = cleaned.record
    assert (post.title, post.text, post.forwarded_from) == ("[1mTitle", "Body line\n\u00e9", "Chan")
    # The placeholder behind a BEL is still a placeholder; its line is removed, not counted here.
    assert cleaned.categories[2] == LineCategory.PLACEHOLDER
    assert cleaned.control_chars == 2 + 1 + 1 + 1  # title, body, "e\x1b", forwarded_from
    structured = _cleaned(
        Draft(kind="telegram_post", lines=lines, roles=roles, text="a\x1bb\n\x1bVIEW IN TELEGRAM")
    )
    assert (structured.record.text, structured.control_chars) == ("ab", 1)
    title_as_body = Draft(kind="article", lines=lines[:1], roles=(LineCategory.POST_BODY,))
    assert _cleaned(title_as_body).control_chars == 2


def test_a_post_of_control_characters_only_is_dropped_and_counted():
    lines = tuple(split_lines("\x1b\x07\n"))
    cleaned = _cleaned(Draft(kind="article", lines=lines, roles=(LineCategory.POST_BODY,)))
    assert (cleaned.record.reason, cleaned.control_chars) == ("empty_after_clean", 2)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.label)
def test_every_benchmark_input_is_accepted_by_its_parser(case):
    """The parser benchmark (bench/statemedia_bench/parse.py) times real parses, not refusals."""
    text = case.generate(20_000, random.Random(0))
    ctx = FileContext("seeds/bench.txt", "mfa_russia", case.platform, "en", case.options)
    parsed = registry()[case.format][1](split_lines(text), ctx)
    assert parsed.drafts
    assert guess_format(split_lines(text)) == case.format
