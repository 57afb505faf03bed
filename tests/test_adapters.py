"""Adapters for formats researchers have: Telegram Desktop export, JSON Lines, saved t.me/s pages.

Each fixture in fixtures/adapters/ is written by hand in the real format; the expectations below come
from reading it. Every test goes through the real parse and clean stages, so ids, URLs, dates,
provenance lines and the complete line account are checked together, and completeness on top.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statemedia.cli import main
from statemedia.completeness import ChannelCompleteness, completeness, gaps
from statemedia.errors import BadInputError
from statemedia.ids import sha256_bytes
from statemedia.inputs import FileDecl, RawFile
from statemedia.parse import split_lines
from statemedia.parse.dates import read_timestamp
from statemedia.parse.telegram_export import message_spans
from statemedia.parse.tme_html import element_text
from statemedia.records import Post, Reaction
from statemedia.stages import ParseOutcome, parse_and_clean

FIXTURES = Path(__file__).parent / "fixtures" / "adapters"
# When the fixtures were "collected": the time their engagement counts were observed.
COLLECTED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TELETHON_FIELDS = {
    "text": "message",
    "id": "id",
    "date": "date",
    "channel": "peer.username",
    "forwarded_from": "fwd_from.from_name",
}
# name -> (format, options)
DECLARED = {
    "result.json": ("telegram_export", {"channel": "MFARussia"}),
    "telethon_dump.jsonl": ("jsonl", {"fields": TELETHON_FIELDS}),
    "page.html": ("tme_html", {}),
}


def build(name: str, text: str | None = None, options: dict | None = None) -> ParseOutcome:
    """Parse and clean one fixture (or `text` declared like it) as the build does."""
    fmt, declared_options = DECLARED[name]
    raw = (FIXTURES / name).read_text(encoding="utf-8") if text is None else text
    decl = FileDecl(
        path=name,
        sha256="0" * 64,
        source="mfa_russia",
        platform="telegram",
        format=fmt,
        language="en",
        collection="test",
        options=declared_options if options is None else options,
        collected_at=COLLECTED,
    )
    return parse_and_clean([RawFile(decl, f"seeds/{name}", "0" * 64, text=raw)])


def by_id(outcome: ParseOutcome) -> dict[str, Post]:
    return {post.post_id: post for post in outcome.posts}


def lines_of(record) -> tuple[int, int]:
    return (record.provenance.line_start, record.provenance.line_end)


def assert_fully_accounted(outcome: ParseOutcome, text: str) -> None:
    (account,) = outcome.accounts
    assert sum(account.lines.values()) == len(split_lines(text))
    assert sum(account.chars.values()) == len(text)


# --- telegram_export@2 ---------------------------------------------------------------------------


def test_telegram_export_posts_carry_ids_urls_moscow_dates_and_json_lines():
    outcome = build("result.json")
    posts = by_id(outcome)
    assert sorted(posts) == [
        "mfa_russia-mfarussia/1000",
        "mfa_russia-mfarussia/1002",
        "mfa_russia-mfarussia/1005",
    ]
    first = posts["mfa_russia-mfarussia/1000"]
    assert first.url == "https://t.me/MFARussia/1000"
    assert first.text.startswith("Foreign Minister Sergey Lavrov's remarks")
    assert (first.published_date, first.date_confidence) == (date(2024, 3, 1), "stated")
    assert first.date_evidence == '"date_unixtime": "1709284502"'  # the edit is not evidence
    assert first.provenance.parser == "telegram_export@2"
    assert lines_of(first) == (6, 22)
    # Text as a list of strings and entities; 01:30 on 2 March in Moscow is 22:30 UTC on 1 March,
    # and a Moscow source's posts are dated in Moscow (tests/test_rows_export_jsonl.py has more).
    entities = posts["mfa_russia-mfarussia/1002"]
    assert entities.text == (
        "🎙 Statement by the Foreign Ministry\nRussia stands ready to continue the dialogue. "
        "#Russia #Brazil"
    )  # the "📄 Read in full" link anchor is cleaned out as in the text parsers
    assert entities.hashtags == ("Russia", "Brazil")
    assert entities.published_date == date(2024, 3, 2)
    assert lines_of(entities) == (35, 98)
    forwarded = posts["mfa_russia-mfarussia/1005"]
    assert forwarded.forwarded_from == "Maria Zakharova"
    assert lines_of(forwarded) == (99, 114)
    (video,) = outcome.dropped
    assert (video.post_id, video.reason, lines_of(video)) == (
        "mfa_russia-mfarussia/1006",
        "empty_after_clean",
        (115, 130),
    )


def test_telegram_export_account_names_every_line():
    text = (FIXTURES / "result.json").read_text(encoding="utf-8")
    outcome = build("result.json")
    assert_fully_accounted(outcome, text)
    assert outcome.accounts[0].lines == {
        "post_body": 25,  # the `text` values
        "post_metadata": 44,  # id, dates, from, media fields, braces
        "repeated_body": 44,  # `text_entities`, the export's second copy of each text
        "service_message": 12,  # the pin, lines 23-34
        "export_structure": 7,  # name, type, id, brackets
    }


def test_telegram_export_prefers_text_entities_and_reads_old_exports_without_them():
    message = {
        "id": 7,
        "type": "message",
        "date": "2019-05-01T10:00:00",
        "text": ["a ", {"type": "bold", "text": "b"}],
    }
    root = {"name": "X", "type": "public_channel", "id": 1, "messages": [message]}
    outcome = build("result.json", json.dumps(root, indent=1))
    (post,) = outcome.posts
    assert post.text == "a b"
    assert (post.published_date, post.date_evidence) == (
        date(2019, 5, 1),
        '"date": "2019-05-01T10:00:00"',
    )


def test_message_spans_ignore_brackets_and_quotes_inside_strings():
    root = {
        "name": 'a "quoted" [name] {x}',
        "type": "public_channel",
        "id": 1,
        "messages": [
            {"id": 1, "type": "message", "text": '} ] \\" { [ "messages": ['},
            {"id": 2, "type": "message", "text": [{"type": "bold", "text": "}"}]},
        ],
    }
    text = json.dumps(root, indent=1)
    spans = message_spans(text)
    assert [json.loads(text[s.start : s.end + 1])["id"] for s in spans] == [1, 2]
    assert [key for key, _ in spans[1].keys] == ["id", "type", "text"]


@pytest.mark.parametrize(
    ("root", "options", "error"),
    [
        (
            {"name": "Me", "type": "personal_chat", "id": 1, "messages": []},
            None,
            "not a channel export",
        ),
        ({"about": "", "chats": {"list": []}}, None, "a whole-account export"),
        ({"name": "X", "type": "public_channel", "id": 1, "messages": []}, {}, "needs the channel"),
    ],
)
def test_telegram_export_refuses_what_is_not_one_channel(root, options, error):
    with pytest.raises(BadInputError, match=error):
        build("result.json", json.dumps(root, indent=1), options)


def test_telegram_export_refuses_messages_sharing_a_line():
    root = {"name": "X", "type": "public_channel", "id": 1, "messages": [{"id": 1}, {"id": 2}]}
    with pytest.raises(BadInputError, match=r"seeds/result.json:1: two messages share a line"):
        build("result.json", json.dumps(root))


def one_message_export(**fields) -> str:
    """A channel export of one message (id 7, "a" unless `fields` change it), one field a line."""
    message = {"id": 7, "type": "message", "date": "2024-03-01T10:00:00", "text": "a", **fields}
    root = {"name": "X", "type": "public_channel", "id": 1, "messages": [message]}
    return json.dumps(root, indent=1, ensure_ascii=False)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"text": 5}, ":10: message MFARussia/7: `text` is the number 5, not a string or a list"),
        ({"text": {"type": "bold", "text": "b"}}, ":10: message MFARussia/7: `text` is an object"),
        ({"text": ["a", 3]}, "message MFARussia/7: part 2 of `text` is the number 3"),
        ({"text": [{"type": "bold"}]}, "message MFARussia/7: entity 1 of `text` has no string"),
        ({"text_entities": "a"}, '`text_entities` is the string "a", not a list of entity'),
        ({"text_entities": ["a"]}, 'part 1 of `text_entities` is the string "a"'),
        ({"id": None}, ":7: message id is null, not a positive integer"),
        ({"id": "../../evil"}, ':7: message id is the string "../../evil", not a positive integer'),
        ({"id": 0}, ":7: message id is the number 0, not a positive integer"),
        ({"id": True}, "message id is the boolean true, not a positive integer"),
        ({"date": {"x": 1}}, "message MFARussia/7: `date` is an object"),
        ({"forwarded_from": {"name": "A"}}, "`forwarded_from` is an object"),
        ({"reactions": {"👍": 3}}, "`reactions` is an object"),
        ({"reactions": [{"type": "emoji", "emoji": "👍"}]}, ":11: message MFARussia/7: reaction 1"),
        ({"reactions": [{"type": "emoji", "count": -1}]}, "has no count (a non-negative integer)"),
    ],
)
def test_telegram_export_refuses_malformed_fields_with_line_and_message_id(fields, error):
    with pytest.raises(BadInputError) as caught:
        build("result.json", one_message_export(**fields))
    assert str(caught.value).startswith("seeds/result.json:")
    assert error in str(caught.value)


def test_telegram_export_keeps_well_formed_fields_and_unreadable_dates_unknown():
    text = one_message_export(
        text=["a ", {"type": "bold", "text": "b"}],
        reactions=[{"type": "emoji", "count": 3, "emoji": "👍"}, {"type": "paid", "count": 0}],
        forwarded_from=None,
        date="not a date",
    )
    # Reactions are counts observed at collection: the file must say when (collected_at).
    decl = FileDecl(
        "result.json",
        "0" * 64,
        "mfa_russia",
        "telegram",
        "telegram_export",
        "en",
        "test",
        {"channel": "MFARussia"},
        collected_at=datetime(2024, 3, 2, tzinfo=UTC),
    )
    outcome = parse_and_clean([RawFile(decl, "seeds/result.json", "0" * 64, text=text)])
    (post,) = outcome.posts
    assert (post.text, post.date_confidence, post.forwarded_from) == ("a b", "unknown", None)
    assert post.reactions == (Reaction("👍", 3), Reaction("paid", 0))


@pytest.mark.parametrize(
    ("fields", "line", "error"),
    [
        ({"date_unixtime": "0"}, 11, 'dated 1970-01-01 (from "date_unixtime": "0")'),
        ({"date": "2013-08-13T23:00:00"}, 9, "before Telegram launched (2013-08-14)"),
        ({"date": "2100-01-01T00:00:00"}, 9, "after 2099-12-31, the latest plausible date"),
    ],
)
def test_telegram_export_refuses_dates_outside_the_plausible_window(fields, line, error):
    # The error names the line the date was read from (its evidence).
    with pytest.raises(BadInputError, match=rf"seeds/result.json:{line}: message MFARussia/7 is"):
        build("result.json", one_message_export(**fields))
    with pytest.raises(BadInputError, match=re.escape(error)):
        build("result.json", one_message_export(**fields))


def test_telegram_export_with_no_message_is_refused():
    root = {"name": "X", "type": "public_channel", "id": 1, "messages": []}
    with pytest.raises(BadInputError, match="no record found in this telegram_export file"):
        build("result.json", json.dumps(root, indent=1))


def test_telegram_export_refuses_a_channel_option_that_is_not_a_username():
    with pytest.raises(BadInputError, match=r"options.channel '\.\./x' is not a Telegram username"):
        build("result.json", options={"channel": "../x"})


message_texts = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
    st.lists(
        st.one_of(
            st.text(max_size=10),
            st.builds(lambda t: {"type": "bold", "text": t}, st.text(max_size=10)),
        ),
        max_size=4,
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), message_texts), max_size=6), st.integers(0, 2))
def test_any_channel_export_is_fully_accounted(messages, indent):
    root = {
        "name": "X",
        "type": "public_channel",
        "id": 1,
        "messages": [
            {"id": k, "type": "service" if service else "message", "text": text}
            for k, (service, text) in enumerate(messages, start=1)
        ],
    }
    text = json.dumps(root, indent=indent or None, ensure_ascii=False)
    if not indent and len(messages) > 1:
        return  # one-line JSON is refused, tested above
    if not messages:  # an export holding no message at all is refused, tested below
        return
    outcome = build("result.json", text)
    assert_fully_accounted(outcome, text)
    assert len(outcome.posts) + len(outcome.dropped) == sum(not s for s, _ in messages)


# --- jsonl@2 -------------------------------------------------------------------------------------


def test_jsonl_maps_nested_fields_to_posts():
    outcome = build("telethon_dump.jsonl")
    posts = by_id(outcome)
    assert sorted(posts) == ["mfa_russia-mfarussia/2001", "mfa_russia-mfarussia/2003"]
    talks = posts["mfa_russia-mfarussia/2001"]
    assert talks.text == (
        "🗓 On March 5, Foreign Minister Sergey Lavrov will hold talks with\n"
        "the Foreign Minister of Egypt."
    )
    assert (talks.url, talks.published_date, talks.date_evidence) == (
        "https://t.me/MFARussia/2001",
        date(2024, 3, 5),
        '"date": "2024-03-05T09:15:02+00:00"',
    )
    assert talks.forwarded_from is None and lines_of(talks) == (1, 1)
    briefing = posts["mfa_russia-mfarussia/2003"]
    assert briefing.text == "Briefing by Foreign Ministry Spokeswoman Maria Zakharova"
    assert (briefing.published_date, briefing.date_evidence) == (
        date(2024, 3, 6),
        '"date": 1709700000',
    )
    assert briefing.forwarded_from == "Maria Zakharova"
    (photo,) = outcome.dropped
    assert (photo.post_id, photo.reason, lines_of(photo)) == (
        "mfa_russia-mfarussia/2004",
        "empty_after_clean",
        (4, 4),
    )
    assert outcome.accounts[0].lines == {"post_body": 3, "blank": 1}


@pytest.mark.parametrize(
    ("text", "fields", "error"),
    [
        (
            '{"id": 1, "message": "a", "date": 1709700000}\n{"id": 2, message: "b"}\n',
            None,
            r"\.jsonl:2: not JSON",
        ),
        ('{"id": 1, "text": "a"}\n', None, r"\.jsonl:1: no text field 'message'"),
        ("[1, 2]\n", None, r"\.jsonl:1: a JSON list, not an object"),
        ('{"message": {"a": 1}}\n', None, "holds a dict, not a string"),
        ('{"message": "a", "date": "yesterday"}\n', None, "neither ISO 8601 nor epoch"),
        ('{"message": "a"}\n', {"body": "message"}, "needs a field mapping with at least `text`"),
        (
            '{"message": "a"}\n',
            {"text": "message", "likes": "likes"},
            r"unknown jsonl fields \['likes'\]",
        ),
    ],
)
def test_jsonl_refuses_unreadable_records_with_file_line_and_field(text, fields, error):
    options = {"fields": TELETHON_FIELDS if fields is None else fields}
    with pytest.raises(BadInputError, match=error):
        build("telethon_dump.jsonl", text, options)


@pytest.mark.parametrize(
    ("text", "fields", "error"),
    [
        ('{"message": "a", "date": 1709700000}\n', None, r"\.jsonl:1: no id field 'id'"),
        ('{"id": null, "message": "a", "date": 1709700000}\n', None, "id field 'id' is null"),
        (
            '{"id": "../../evil", "message": "a", "date": 1709700000}\n',
            None,
            r"id field 'id' is \"../../evil\", not a positive integer \(a Telegram message id\)",
        ),
        ('{"id": 0, "message": "a", "date": 1709700000}\n', None, "id field 'id' is 0, not a"),
        (
            '{"id": 1, "message": "a", "date": 1}\n{"id": 2, "message": "b"}\n',
            None,
            r"\.jsonl:2: no date field 'date' \(mapped as `date`\)",
        ),
        (
            '{"id": 1, "message": "a", "published": 1709700000}\n',
            None,
            r"\.jsonl:1: no date field 'date'",
        ),
        (
            '{"id": 1, "message": "a", "date": 0}\n',
            None,
            r'\.jsonl:1: message 1 is dated 1970-01-01 \(from "date": 0\), '
            r"before Telegram launched",
        ),
        (
            '{"id": 1, "message": "a", "date": "2100-01-01T00:00:00Z"}\n',
            None,
            "after 2099-12-31",
        ),
        (
            '{"id": 1, "message": "a", "date": 1, "peer": {"username": "../x"}}\n',
            {"text": "message", "id": "id", "channel": "peer.username"},
            r"channel field 'peer.username' is \"../x\", not a Telegram username",
        ),
    ],
)
def test_jsonl_refuses_bad_ids_missing_dates_and_implausible_dates(text, fields, error):
    mapping = {"text": "message", "id": "id", "date": "date"} if fields is None else fields
    with pytest.raises(BadInputError, match=error):
        build("telethon_dump.jsonl", text, {"fields": mapping})


def test_jsonl_null_dates_are_unknown():
    text = (
        '{"id": 12, "body": "x", "meta": {"published": null}}\n'
        '{"id": 13, "body": "y", "meta": null}\n'
    )
    outcome = build(
        "telethon_dump.jsonl",
        text,
        {"fields": {"text": "body", "id": "id", "date": "meta.published"}},
    )
    assert [p.date_confidence for p in outcome.posts] == ["unknown", "unknown"]


def test_jsonl_ids_on_the_web_may_be_tokens_but_not_paths():
    decl = FileDecl(
        "c.jsonl",
        "0" * 64,
        "tass",
        "web",
        "jsonl",
        "en",
        "test",
        {"fields": {"text": "body", "id": "uid"}},
    )
    ok = parse_and_clean(
        [RawFile(decl, "seeds/c.jsonl", "0" * 64, text='{"uid": "a-12.b", "body": "x"}\n')]
    )
    assert [p.post_id for p in ok.posts] == ["tass-a-12.b"]
    bad = RawFile(decl, "seeds/c.jsonl", "0" * 64, text='{"uid": "a/../b", "body": "x"}\n')
    with pytest.raises(BadInputError, match="not a positive integer or a token"):
        parse_and_clean([bad])


def test_jsonl_without_channel_keeps_the_bare_id_and_no_url():
    outcome = build(
        "telethon_dump.jsonl",
        '{"id": 9, "message": "a"}\n',
        {"fields": {"text": "message", "id": "id"}},
    )
    (post,) = outcome.posts
    assert (post.post_id, post.url, post.date_confidence) == ("mfa_russia-9", None, "unknown")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01T23:30:00-02:00", date(2024, 3, 2)),  # converted to UTC
        ("2024-03-01T23:30:00Z", date(2024, 3, 1)),
        ("2024-03-01 09:00:00", date(2024, 3, 1)),  # naive: as written
        (1709284502, date(2024, 3, 1)),
        ("1709284502", date(2024, 3, 1)),
        (True, None),
        ("soon", None),
    ],
)
def test_read_timestamp(value, expected):
    reading = read_timestamp(value)
    assert (reading.value if reading else None) == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.just(""), st.text(max_size=20)), max_size=8))
def test_any_jsonl_dump_is_fully_accounted(messages):
    text = "".join(
        (json.dumps({"id": k, "message": m}, ensure_ascii=False) if m else "") + "\n"
        for k, m in enumerate(messages, start=1)
    )
    if not text.strip():
        return
    outcome = build("telethon_dump.jsonl", text, {"fields": {"text": "message", "id": "id"}})
    assert_fully_accounted(outcome, text)


# --- tme_html@2 ----------------------------------------------------------------------------------


def test_tme_html_messages_become_posts_with_their_element_lines():
    outcome = build("page.html")
    posts = by_id(outcome)
    assert sorted(posts) == ["mfa_russia-mfarussia/3001", "mfa_russia-mfarussia/3004"]
    remarks = posts["mfa_russia-mfarussia/3001"]
    assert remarks.text == (
        "🎙 Foreign Minister Sergey Lavrov’s remarks at a joint news conference & Q&A,\n"
        "Moscow, March 7, 2024\n#Russia #Egypt"
    )  # <br/> are newlines; emoji come from their <b>; "📄 Read in full" is a link anchor
    assert (remarks.url, remarks.published_date, remarks.date_evidence) == (
        "https://t.me/MFARussia/3001",
        date(2024, 3, 7),
        'datetime="2024-03-07T10:02:11+00:00"',
    )
    assert remarks.forwarded_from is None
    assert lines_of(remarks) == (25, 42)  # from its data-post line to the line before the next
    forwarded = posts["mfa_russia-mfarussia/3004"]
    assert forwarded.forwarded_from == "МИД России 🇷🇺"
    assert (
        forwarded.text
        == "Statement by the Russian Foreign Ministry\non the anniversary of the Treaty"
    )
    assert lines_of(forwarded) == (43, 54)
    (photo,) = outcome.dropped  # media only: nothing to keep
    assert (photo.post_id, photo.reason, lines_of(photo)) == (
        "mfa_russia-mfarussia/3005",
        "empty_after_clean",
        (55, 68),  # the last message ends at its own closing tag
    )


def test_tme_html_account_names_every_line():
    text = (FIXTURES / "page.html").read_text(encoding="utf-8")
    outcome = build("page.html")
    assert_fully_accounted(outcome, text)
    assert outcome.accounts[0].lines == {
        "post_body": 2,  # the two text elements
        "post_metadata": 42,
        "service_message": 5,  # "Channel photo updated", lines 20-24
        "export_structure": 25,  # head, channel header, closing tags, scripts
    }


def test_element_text_lays_out_whitespace_like_a_browser():
    from selectolax.lexbor import LexborHTMLParser

    node = LexborHTMLParser(
        '<div class="t">one\n   two<br/>three <pre>a\n  b</pre></div>'
    ).css_first("div.t")
    assert element_text(node) == "one two\nthree a\n  b"


def test_tme_html_refuses_a_data_post_without_a_message_id():
    page = '<section>\n<div class="tgme_widget_message js-widget_message" data-post="MFARussia">\n</div>\n</section>\n'
    with pytest.raises(BadInputError, match=r"page.html:2: data-post=\"MFARussia\""):
        build("page.html", page)


def page_with(message_html: str) -> str:
    """A saved t.me/s page holding one message element."""
    return f"<html>\n<body>\n<section>\n{message_html}\n</section>\n</body>\n</html>\n"


MESSAGE_HTML = (
    '<div class="tgme_widget_message js-widget_message" data-post="MFARussia/7">\n'
    '  <div class="tgme_widget_message_text js-message_text">Text</div>\n'
    "  {extra}\n"
    '  <span class="tgme_widget_message_views">{views}</span>'
    '<time datetime="{when}">x</time>\n'
    "</div>"
)


def html_message(views="8.1K", when="2024-03-07T10:02:11+00:00", extra="") -> str:
    return page_with(MESSAGE_HTML.format(views=views, when=when, extra=extra))


@pytest.mark.parametrize(
    ("page", "error"),
    [
        (html_message(views="many"), r"page.html:7: message MFARussia/7: view count 'many' is not"),
        (html_message(views=""), "view count '' is not a number"),
        (
            html_message(extra='<span class="tgme_reaction"><i class="emoji"><b>👍</b></i></span>'),
            r"page.html:6: message MFARussia/7: reaction 1 \('👍'\) shows no count",
        ),
        (html_message(when="1970-01-01T00:00:00Z"), "message MFARussia/7 is dated 1970-01-01"),
        (html_message(when="2100-01-01T00:00:00Z"), "after 2099-12-31"),
        (html_message().replace("MFARussia/7", "MFARussia/0"), 'data-post="MFARussia/0" is not'),
        (html_message().replace("MFARussia/7", "../x/7"), 'data-post="../x/7" is not'),
        (
            "<html><style>.tgme_widget_message { color: red }</style>\n"
            "<p>No posts yet</p></html>\n",
            r"page.html: no Telegram message: no <div class=\"tgme_widget_message\" data-post",
        ),
    ],
)
def test_tme_html_refuses_malformed_counts_ids_dates_and_pages_without_messages(page, error):
    with pytest.raises(BadInputError, match=error):
        build("page.html", page)


def test_tme_html_refuses_a_message_that_does_not_close():
    # Saved with its closing tags cut: every later message would be nested in the first one.
    page = "<html>\n" + "".join(
        f'<div class="tgme_widget_message" data-post="MFARussia/{k}">\n'
        f'<div class="tgme_widget_message_text js-message_text">text {k}\n'
        for k in range(1, 2001)
    )
    with pytest.raises(
        BadInputError,
        match=r"page.html:2: message MFARussia/1: its <div> does not close before the next message",
    ):
        build("page.html", page)
    last_open = html_message().replace("</div>\n</section>", "\n</section>")
    with pytest.raises(BadInputError, match="does not close before the end of the file"):
        build("page.html", last_open)


def test_tme_html_keeps_counts_and_reactions_as_t_me_writes_them():
    reactions = (
        '<span class="tgme_reaction"><i class="emoji"><b>👍</b></i>1.2K</span>'
        '<span class="tgme_reaction"><i class="emoji"><b>🔥</b></i>37</span>'
    )
    outcome = build("page.html", html_message(views="953", extra=reactions))
    (post,) = outcome.posts
    assert (post.text, post.published_date) == ("Text", date(2024, 3, 7))
    assert post.views == 953
    assert post.reactions == (Reaction("👍", 1200), Reaction("🔥", 37))


# --- completeness --------------------------------------------------------------------------------


def test_completeness_reports_id_ranges_and_gaps_per_channel():
    outcome = build("result.json")
    assert completeness(outcome.posts) == {
        "mfarussia": ChannelCompleteness(
            first_id=1000, last_id=1005, present=3, missing=3, gaps=((1001, 1001), (1003, 1004))
        )
    }
    # Drops and service messages are ids the scrape holds: with them only the true gap is left.
    assert outcome.service_ids == [("MFARussia", "1001")]
    held = [*outcome.posts, *outcome.dropped, *outcome.service_ids]
    assert completeness(held)["mfarussia"].gaps == ((1003, 1004),)
    assert completeness(held)["mfarussia"].last_id == 1006


def test_completeness_ignores_records_without_platform_ids_and_separates_channels():
    ids = [
        ("MFARussia", "5"),
        ("mfarussia", "9"),  # usernames are case-insensitive, as t.me links are
        ("MID_Russia", "1"),
    ]
    (raw_post,) = [p for p in build("result.json").posts if p.native_id == "1000"]
    without_id = replace(raw_post, channel=None, native_id=None)  # a raw-hash post: no platform id
    report = completeness([*ids, without_id])
    assert sorted(report) == ["mfarussia", "mid_russia"]
    assert report["mfarussia"].gaps == ((6, 8),) and report["mfarussia"].missing == 3
    assert report["mid_russia"] == ChannelCompleteness(
        first_id=1, last_id=1, present=1, missing=0, gaps=()
    )
    assert gaps([3, 1, 2, 2, 7]) == ((4, 6),)
    assert completeness([]) == {}


# --- end to end ----------------------------------------------------------------------------------


def test_cli_builds_a_seeds_folder_of_the_three_formats(tmp_path, capsys):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    entries = []
    for name, (fmt, options) in DECLARED.items():
        shutil.copy(FIXTURES / name, seeds / name)
        entries.append(
            "[[files]]\n"
            f'path = "{name}"\n'
            f'sha256 = "{sha256_bytes((seeds / name).read_bytes())}"\n'
            'source = "mfa_russia"\nplatform = "telegram"\n'
            f'format = "{fmt}"\nlanguage = "en"\ncollection = "adapter fixtures"\n'
            "collected_at = 2026-11-01T12:00:00Z\n"
            f"options = {toml_inline(options)}\n"
        )
    (seeds / "manifest.toml").write_text("\n".join(entries), encoding="utf-8")
    shutil.copy(Path(__file__).parents[1] / "statemedia.toml", tmp_path / "statemedia.toml")
    out = tmp_path / "out"
    code = main(["--root", str(tmp_path), "build", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "service_message" in printed and "export_structure" in printed
    assert (out / "line_account.txt").is_file()
    assert "completeness mfarussia:" in printed
    # The same inputs cut into a release: ids, URLs, dates and the id gaps in its manifest.
    assert (
        main(["--root", str(tmp_path), "release", "--version", "1.0.0", "--date", "2026-11-22"])
        == 0
    )
    release = tmp_path / "dataset" / "data" / "v1.0.0"
    manifest = json.loads((release / "manifest.json").read_text())
    gaps_found = manifest["completeness"]["mfarussia"]["gaps"]
    assert [1003, 1004] in gaps_found  # a true gap in the export
    assert [1001, 1001] not in gaps_found  # a service message is held, not missing
    rows = [
        row
        for split in ("train", "validation", "test")
        for row in pq.read_table(release / f"{split}-00000-of-00001.parquet").to_pylist()
    ]
    by_id = {row["post_id"]: row for row in rows}
    exported = by_id["mfa_russia-mfarussia/1000"]
    assert exported["url"] == "https://t.me/MFARussia/1000"
    assert exported["date_confidence"] == "stated" and exported["published_date"] is not None
    assert exported["provenance"]["parser"] == "telegram_export@2"


def toml_inline(value: object) -> str:
    """A TOML inline value for the small option dicts above."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_inline(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)
