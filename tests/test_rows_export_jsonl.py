"""Row fields from a Telegram Desktop export (`telegram_export@2`) and JSON Lines (`jsonl@2`).

The fixtures in fixtures/adapters/ are written in the real formats: `export_rows.json` as Telegram
Desktop writes an export (its `date` in the exporter's local time, UTC+3, and `date_unixtime` in
UTC), `export_old_rows.json` as exports before `date_unixtime` and `text_entities` were, and
`telethon_rows.jsonl` as Telethon's `Message.to_json()` writes messages. Every expectation below
comes from reading them. The tests run the checked parser (`formats()[name]`) at the Draft level.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from statemedia.clean import extract_hashtags
from statemedia.errors import BadInputError
from statemedia.parse import FileContext, ParsedFile, formats, split_lines
from statemedia.records import Draft, Reaction
from statemedia.vocab import DateConfidence, LineCategory, MediaKind, TitleSource

FIXTURES = Path(__file__).parent / "fixtures" / "adapters"
MOSCOW = "Europe/Moscow"
TELETHON_FIELDS = {
    "text": "message",
    "id": "id",
    "date": "date",
    "edited": "edit_date",
    "forwarded_from": "fwd_from.from_name",
    "views": "views",
    "forwards": "forwards",
    "replies": "replies",
    "reactions": "reactions",
    "reply_to": "reply_to",
    "media": "media",
    "links": "entities",
    "mentions": "entities",
}
TELETHON_OPTIONS = {"channel": "MFARussia", "fields": TELETHON_FIELDS}


def parse(fmt: str, text: str, options: dict, name: str, platform: str = "telegram") -> ParsedFile:
    """Run the checked parser of `fmt` on `text`, declared as a Moscow source's file `name`."""
    ctx = FileContext(f"seeds/{name}", "mfa_russia", platform, "en", options, time_zone=MOSCOW)
    return formats()[fmt](split_lines(text), ctx)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def by_id(parsed: ParsedFile) -> dict[str, Draft]:
    return {draft.native_id or "": draft for draft in parsed.drafts}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def assert_evidence_is_raw(draft: Draft) -> None:
    """Every " | "-joined piece of the evidence is an exact substring of one of the draft's lines."""
    assert draft.date_evidence is not None
    for piece in draft.date_evidence.split(" | "):
        assert any(piece in line.text for line in draft.lines), piece


# --- telegram_export@2 ---------------------------------------------------------------------------


def export_rows() -> dict[str, Draft]:
    return by_id(
        parse("telegram_export", fixture("export_rows.json"), {"channel": "MFARussia"}, "r.json")
    )


def test_export_ids_urls_and_service_messages_stay_as_they_were():
    parsed = parse(
        "telegram_export", fixture("export_rows.json"), {"channel": "MFARussia"}, "r.json"
    )
    drafts = by_id(parsed)
    assert sorted(drafts) == ["5001", "5003", "5004", "5006"]
    for native, draft in drafts.items():
        assert (draft.channel, draft.native_id) == ("MFARussia", native)
        assert draft.platform_key == f"MFARussia/{native}"  # the post id is built from it, as in @1
        assert draft.url == f"https://t.me/MFARussia/{native}"
    assert parsed.service_ids == [("MFARussia", "5002")]


# (id, published_at, published_date in Moscow, its `date_unixtime` text, edited_at)
EXPORT_DATES = [
    ("5001", utc(2025, 2, 4, 10, 30), date(2025, 2, 4), "1738665000", utc(2025, 2, 4, 10, 41, 7)),
    # 21:40 UTC is 00:40 the next day in Moscow: the publisher's calendar date is 5 February.
    ("5003", utc(2025, 2, 4, 21, 40), date(2025, 2, 5), "1738705200", None),
    ("5004", utc(2025, 2, 5, 23, 59, 59), date(2025, 2, 6), "1738799999", None),
    ("5006", utc(2025, 2, 6, 8, 0), date(2025, 2, 6), "1738828800", None),
]


@pytest.mark.parametrize(("native", "at", "day", "unixtime", "edited"), EXPORT_DATES)
def test_export_dates_come_from_date_unixtime_and_are_dated_in_moscow(
    native, at, day, unixtime, edited
):
    draft = export_rows()[native]
    assert (draft.published_at, draft.published_date) == (at, day)
    assert draft.date_confidence == DateConfidence.STATED
    assert draft.edited_at == edited
    assert draft.date_evidence == f'"date_unixtime": "{unixtime}"'
    assert_evidence_is_raw(draft)
    assert draft.date_note == (
        "date_unixtime: epoch seconds (UTC); published_date in Europe/Moscow; "
        "`date` is the exporting computer's local time, not used"
    )
    # The fixture is what Desktop writes on a Moscow computer: `date` is UTC+3 of date_unixtime.
    (local,) = [line.text for line in draft.lines if '"date": ' in line.text]
    assert f'"{(at + timedelta(hours=3)).replace(tzinfo=None).isoformat()}"' in local


def test_export_edit_is_a_field_not_evidence():
    draft = export_rows()["5001"]
    assert draft.edited_at == utc(2025, 2, 4, 10, 41, 7)
    assert "1738665667" not in (draft.date_evidence or "") + (draft.date_note or "")


def test_export_reactions_replies_and_counts():
    drafts = export_rows()
    assert drafts["5001"].reactions == (
        Reaction("👍", 310),
        Reaction("custom:5368324170671202286", 12),
        Reaction("paid", 3),
    )
    assert drafts["5003"].reactions == (Reaction("🤝", 25),)
    assert drafts["5004"].reactions == ()
    assert drafts["5003"].reply_to_native_id == "5001"
    assert drafts["5001"].reply_to_native_id is None
    # 5006 replies to a message of another chat (reply_to_peer_id): no id of this channel.
    assert drafts["5006"].reply_to_native_id is None
    # Telegram Desktop exports no view, forward or reply counts.
    for draft in drafts.values():
        assert (draft.views, draft.forwards, draft.replies) == (None, None, None)


def test_export_media_links_and_mentions():
    drafts = export_rows()
    assert [drafts[n].media for n in ("5001", "5003", "5004", "5006")] == [
        (MediaKind.PHOTO,),
        (MediaKind.VIDEO,),
        (MediaKind.DOCUMENT,),  # a PDF: a `file` without media_type
        (MediaKind.POLL,),
    ]
    assert drafts["5001"].links == (
        "https://mid.ru/en/press_service/briefings/",  # a `link` entity: its text
        "https://mid.ru/en/foreign_policy/news/2000001/",  # a `text_link`: its href
    )
    assert drafts["5001"].mentions == ()
    assert drafts["5003"].links == ("mid.ru/en/press_service/",)  # as written, no scheme added
    assert drafts["5003"].mentions == ("MID_RF",)  # two mention entities, one mention
    assert drafts["5004"].forwarded_from == "Russian Mission to the UN"
    assert (drafts["5004"].links, drafts["5004"].mentions) == ((), ())


def test_export_hashtag_entities_agree_with_the_hashtags_clean_extracts():
    text = fixture("export_rows.json")
    messages = {str(m["id"]): m for m in json.loads(text)["messages"]}
    for native, draft in export_rows().items():
        entities = messages[native]["text_entities"]
        tagged = tuple(e["text"].lstrip("#") for e in entities if e["type"] == "hashtag")
        assert extract_hashtags(draft.text or "") == tagged
    assert extract_hashtags(export_rows()["5001"].text or "") == ("Russia", "Dialogue")


def test_export_text_is_the_json_value_and_lines_keep_their_roles():
    draft = export_rows()["5003"]
    assert draft.text == (
        "🇷🇺 Remarks by the Spokeswoman of the Ministry @MID_RF at the weekly briefing #Briefing"
        "\n\nSee also @MID_RF and mid.ru/en/press_service/"
    )
    roles = dict(zip((line.number for line in draft.lines), draft.roles, strict=True))
    date_line = next(line.number for line in draft.lines if "date_unixtime" in line.text)
    assert roles[date_line] == LineCategory.POST_METADATA


def test_old_export_reads_the_local_date_as_written_and_entities_from_the_text_list():
    drafts = by_id(
        parse(
            "telegram_export", fixture("export_old_rows.json"), {"channel": "MFARussia"}, "o.json"
        )
    )
    first, second = drafts["301"], drafts["302"]
    assert (first.published_date, first.published_at) == (date(2019, 5, 1), None)
    assert first.date_confidence == DateConfidence.STATED
    assert first.date_evidence == '"date": "2019-05-01T10:00:00"'
    assert_evidence_is_raw(first)
    assert first.date_note == (
        "no date_unixtime: `date` is the exporting computer's local time, its date taken as "
        "written; published_at unknown; edited, but only `edited` (the exporting computer's local "
        "time) is given: edited_at unknown"
    )
    assert first.edited_at is None
    assert first.links == ("https://mid.ru/en/", "https://mid.ru/en/foreign_policy/news/301/")
    assert first.mentions == ("MID_RF",)
    assert extract_hashtags(first.text or "") == ("Consultations",)
    # 23:30 in an unknown zone stays 2 May: no zone, no conversion.
    assert (second.published_date, second.published_at) == (date(2019, 5, 2), None)
    assert second.reply_to_native_id == "301"
    assert second.media == (MediaKind.VOICE_MESSAGE,)


def one_message_export(**fields: object) -> str:
    """A channel export of one message (id 7), one field a line, as Desktop lays it out."""
    message = {
        "id": 7,
        "type": "message",
        "date": "2024-03-01T13:00:00",
        "date_unixtime": "1709287200",
        "text": "a",
        **fields,
    }
    root = {"name": "X", "type": "public_channel", "id": 1, "messages": [message]}
    return json.dumps(root, indent=1, ensure_ascii=False)


def export_one(**fields: object) -> Draft:
    (draft,) = parse(
        "telegram_export", one_message_export(**fields), {"channel": "MFARussia"}, "x.json"
    ).drafts
    return draft


FILE = "(File not included. Change data exporting settings to download.)"


@pytest.mark.parametrize(
    ("fields", "media"),
    [
        ({"photo": FILE, "width": 1280, "height": 853}, ("photo",)),
        ({"file": FILE, "media_type": "video_file", "mime_type": "video/mp4"}, ("video",)),
        ({"file": FILE, "media_type": "animation", "mime_type": "video/mp4"}, ("animation",)),
        ({"file": FILE, "media_type": "audio_file", "mime_type": "audio/mpeg"}, ("audio",)),
        ({"file": FILE, "media_type": "voice_message"}, ("voice_message",)),
        ({"file": FILE, "media_type": "video_message"}, ("video_message",)),
        ({"file": FILE, "media_type": "sticker", "sticker_emoji": "👍"}, ("sticker",)),
        ({"file": FILE, "mime_type": "application/pdf"}, ("document",)),
        ({"file": FILE, "media_type": "hologram"}, ("other",)),
        ({"poll": {"question": "Q", "closed": False, "total_voters": 0, "answers": []}}, ("poll",)),
        ({"location_information": {"latitude": 55.75, "longitude": 37.62}}, ("location",)),
        ({"location_information": None}, ("location",)),
        ({"place_name": "Moscow", "address": "Smolenskaya-Sennaya Sq., 32/34"}, ("location",)),
        (
            {
                "place_name": "Moscow",
                "address": "Smolenskaya-Sennaya Sq., 32/34",
                "location_information": {"latitude": 55.75, "longitude": 37.58},
            },
            ("location",),  # each kind once
        ),
        (
            {"contact_information": {"first_name": "A", "last_name": "", "phone_number": "+1"}},
            ("contact",),
        ),
        ({"game_title": "G", "game_description": "D"}, ("other",)),
        ({"paid_stars_amount": 5}, ("other",)),
        ({"photo": FILE, "poll": {"question": "Q", "answers": []}}, ("photo", "poll")),  # key order
        ({}, ()),
    ],
)
def test_export_media_kinds(fields, media):
    assert [kind.value for kind in export_one(**fields).media] == list(media)


def test_export_reads_links_from_text_when_there_is_no_text_entities():
    draft = export_one(
        text=[
            {"type": "text_link", "text": "here", "href": "https://mid.ru/a"},
            " ",
            {"type": "mention_name", "text": "A. Person", "user_id": 42},  # no username: no mention
            {"type": "mention", "text": "@MID_RF"},
            {"type": "link", "text": "https://mid.ru/a"},
        ]
    )
    assert (draft.links, draft.mentions) == (("https://mid.ru/a",), ("MID_RF",))


def test_export_unreadable_dates_stay_unknown_with_a_note():
    unknown = export_one(date="not a date", date_unixtime=None)
    assert (unknown.published_date, unknown.date_confidence, unknown.date_evidence) == (
        None,
        DateConfidence.UNKNOWN,
        None,
    )
    assert unknown.date_note == '`date` "not a date" is unreadable: date unknown'
    fallback = export_one(date_unixtime="soon")
    assert (fallback.published_date, fallback.published_at) == (date(2024, 3, 1), None)
    assert fallback.date_evidence == '"date": "2024-03-01T13:00:00"'
    assert fallback.date_note is not None
    assert fallback.date_note.startswith('date_unixtime "soon" is unreadable; no date_unixtime')
    bad_edit = export_one(edited_unixtime="later")
    assert bad_edit.edited_at is None
    assert bad_edit.date_note is not None
    assert bad_edit.date_note.endswith('edited_unixtime "later" is unreadable: edited_at unknown')


def test_export_date_outside_the_window_names_the_date_unixtime_line():
    text = one_message_export(date="1970-01-01T03:00:00", date_unixtime="0")
    with pytest.raises(BadInputError) as caught:
        parse("telegram_export", text, {"channel": "MFARussia"}, "x.json")
    assert str(caught.value).startswith(
        f"seeds/x.json:{line_of(text, 'date_unixtime')}: message MFARussia/7 is dated "
        '1970-01-01 (from "date_unixtime": "0"), before Telegram launched'
    )


def line_of(text: str, key: str) -> int:
    """The number of the first line holding `"key":`."""
    return next(n for n, line in enumerate(text.split("\n"), start=1) if f'"{key}":' in line)


@pytest.mark.parametrize(
    ("fields", "key", "error"),
    [
        ({"reactions": [{"type": "emoji", "emoji": "👍"}]}, "reactions", "has no count"),
        (
            {"reactions": [{"type": "emoji", "count": "3", "emoji": "👍"}]},
            "reactions",
            "has no count",
        ),
        ({"reactions": [{"type": "emoji", "count": 3}]}, "reactions", "reaction 1 ("),
        ({"reactions": [{"type": "emoji", "count": 3, "emoji": ""}]}, "reactions", "has no emoji"),
        ({"reactions": [{"type": "custom_emoji", "count": 3}]}, "reactions", "has no document_id"),
        (
            {"reactions": [{"type": "paid", "count": 1}, {"type": "star", "count": 1}]},
            "reactions",
            'reaction 2 (an object {"type": "star", "count": 1}) has type "star", not emoji, '
            "custom_emoji or paid",
        ),
        (
            {"reply_to_message_id": "5001"},
            "reply_to_message_id",
            'is the string "5001", not a positive',
        ),
        (
            {"reply_to_message_id": 0},
            "reply_to_message_id",
            "is the number 0, not a positive integer",
        ),
        ({"reply_to_message_id": True}, "reply_to_message_id", "is the boolean true"),
        ({"reply_to_message_id": 3, "reply_to_peer_id": 9}, "reply_to_peer_id", "not a chat id"),
        ({"edited": {"at": 1}}, "edited", "`edited` is an object"),
        ({"edited_unixtime": [1]}, "edited_unixtime", "`edited_unixtime` is a list"),
        ({"photo": 5}, "photo", "`photo` is the number 5, not a file path string"),
        ({"file": {"path": "x"}}, "file", "`file` is an object"),
        ({"file": FILE, "media_type": 3}, "media_type", "not a media type name"),
        ({"poll": "Q"}, "poll", '`poll` is the string "Q", not a poll object'),
        (
            {"location_information": [55.7, 37.6]},
            "location_information",
            "a location object or null",
        ),
        ({"contact_information": "+1"}, "contact_information", "not a contact object"),
        ({"place_name": 4}, "place_name", "not a place name"),
        (
            {"text_entities": [{"type": "text_link", "text": "here"}]},
            "text_entities",
            "text_link entity 1 of `text_entities` has no string `href`",
        ),
        (
            {"text": [{"type": "text_link", "text": "here", "href": None}]},
            "text",
            "text_link entity 1 of `text` has no string `href`",
        ),
        (
            {"text_entities": [{"type": "mention", "text": "@"}]},
            "text_entities",
            "mention entity 1 of `text_entities` names no username",
        ),
    ],
)
def test_export_refuses_malformed_values_naming_file_line_and_message(fields, key, error):
    text = one_message_export(**fields)
    with pytest.raises(BadInputError) as caught:
        parse("telegram_export", text, {"channel": "MFARussia"}, "x.json")
    message = str(caught.value)
    assert message.startswith(f"seeds/x.json:{line_of(text, key)}: message MFARussia/7: ")
    assert error in message
    assert message.endswith(
        "use the export exactly as Telegram Desktop wrote it, or export the channel again"
    )


# --- jsonl@2 -------------------------------------------------------------------------------------


def telethon_rows() -> dict[str, Draft]:
    return by_id(parse("jsonl", fixture("telethon_rows.jsonl"), TELETHON_OPTIONS, "t.jsonl"))


def test_jsonl_telethon_ids_urls_and_dates():
    drafts = telethon_rows()
    assert sorted(drafts) == ["7001", "7002", "7003", "7004"]
    expected = {
        "7001": (utc(2025, 2, 4, 10, 30), date(2025, 2, 4)),
        "7002": (utc(2025, 2, 4, 21, 40), date(2025, 2, 5)),  # 00:40 on 5 February in Moscow
        "7003": (utc(2025, 2, 5, 6, 15, 30), date(2025, 2, 5)),
        "7004": (utc(2025, 2, 6, 8, 0), date(2025, 2, 6)),
    }
    for native, (at, day) in expected.items():
        draft = drafts[native]
        assert (draft.channel, draft.native_id, draft.platform_key) == (
            "MFARussia",
            native,
            f"MFARussia/{native}",
        )
        assert draft.url == f"https://t.me/MFARussia/{native}"
        assert (draft.published_at, draft.published_date) == (at, day)
        assert draft.date_evidence == f'"date": "{at.isoformat()}"'
        assert_evidence_is_raw(draft)
        assert draft.date_note == "ISO 8601 with UTC offset; published_date in Europe/Moscow"
    # 7003 is forwarded: its line holds fwd_from's own "date" first, which is not the evidence.
    assert drafts["7003"].date_evidence == '"date": "2025-02-05T06:15:30+00:00"'
    assert drafts["7003"].forwarded_from is None  # a channel's forward names its peer, not a name
    assert drafts["7001"].edited_at == utc(2025, 2, 4, 10, 41, 7)
    assert drafts["7002"].edited_at is None


def test_jsonl_telethon_engagement():
    drafts = telethon_rows()
    counts = {n: (d.views, d.forwards, d.replies) for n, d in drafts.items()}
    assert counts == {
        "7001": (15230, 112, 48),
        "7002": (8040, 57, 12),
        "7003": (5100, 20, None),  # no comments: replies is null
        "7004": (3000, 4, 0),
    }
    assert drafts["7001"].reactions == (
        Reaction("👍", 310),
        Reaction("custom:5368324170671202286", 12),
        Reaction("paid", 3),
    )
    assert drafts["7002"].reactions == (Reaction("🤝", 25),)
    assert drafts["7003"].reactions == ()  # null
    assert drafts["7004"].reactions == ()  # a MessageReactions with no results
    assert drafts["7002"].reply_to_native_id == "7001"
    assert drafts["7001"].reply_to_native_id is None


def test_jsonl_telethon_media_links_and_mentions():
    drafts = telethon_rows()
    assert {n: d.media for n, d in drafts.items()} == {
        "7001": (MediaKind.PHOTO,),
        "7002": (MediaKind.VIDEO,),
        "7003": (),  # a link preview is no media kind
        "7004": (MediaKind.VOICE_MESSAGE,),
    }
    assert drafts["7001"].links == (
        "https://mid.ru/en/press_service/briefings/",  # MessageEntityUrl: its slice of the text
        "https://mid.ru/en/foreign_policy/news/2000001/",  # MessageEntityTextUrl: its url
    )
    # The preview's webpage.url is the URL the text already links: one link.
    assert drafts["7003"].links == ("https://mid.ru/en/foreign_policy/interviews/2000003/",)
    # The mention follows a flag emoji, two UTF-16 code units per regional indicator.
    assert drafts["7002"].mentions == ("MID_RF",)
    assert drafts["7001"].mentions == ()
    assert extract_hashtags(drafts["7001"].text or "") == ("Russia", "Dialogue")


def test_jsonl_lines_are_unicode_escaped_as_telethon_writes_them():
    # to_json() keeps json.dumps' ensure_ascii: the raw line has \\ud83c escapes, the text emoji.
    draft = telethon_rows()["7002"]
    assert "\\ud83c\\uddf7" in draft.lines[0].text
    assert (draft.text or "").startswith("🇷🇺 Remarks")


def generic(record: dict, fields: dict, **options: object) -> Draft:
    (draft,) = parse(
        "jsonl",
        json.dumps(record, ensure_ascii=False) + "\n",
        {"fields": fields, **options},
        "g.jsonl",
    ).drafts
    return draft


def test_jsonl_generic_scraper_fields():
    fields = {
        "text": "body",
        "id": "post.id",
        "channel": "post.channel",
        "title": "headline",
        "date": "meta.published",
        "edited": "meta.edited",
        "views": "stats.views",
        "forwards": "stats.shares",
        "replies": "stats.comments",
        "reactions": "stats.reactions",
        "reply_to": "parent",
        "media": "attachments",
        "links": "urls",
        "mentions": "people",
    }
    record = {
        "post": {"id": "12", "channel": "@MFARussia"},
        "headline": "Statement",
        "body": "The Ministry notes the talks.",
        "meta": {"published": 1738705200, "edited": "2025-02-05T01:00:00+03:00"},
        "stats": {
            "views": "900",
            "shares": 4,
            "comments": 2,
            "reactions": [{"emoji": "👍", "count": 7}],
        },
        "parent": 11,
        "attachments": ["photo", "document", "photo"],
        "urls": ["https://mid.ru/en/", "https://mid.ru/en/"],
        "people": ["@MID_RF", "mission_un"],
    }
    draft = generic(record, fields)
    assert (draft.channel, draft.native_id, draft.url) == (
        "MFARussia",
        "12",
        "https://t.me/MFARussia/12",
    )
    assert (draft.title, draft.title_source) == ("Statement", TitleSource.RECORD_FIELD)
    assert (draft.published_at, draft.published_date) == (utc(2025, 2, 4, 21, 40), date(2025, 2, 5))
    assert draft.date_evidence == '"published": 1738705200'  # the path's last step is the key
    assert draft.date_note == "epoch seconds (UTC); published_date in Europe/Moscow"
    assert draft.edited_at == utc(2025, 2, 4, 22, 0)
    assert (draft.views, draft.forwards, draft.replies) == (900, 4, 2)
    assert draft.reactions == (Reaction("👍", 7),)
    assert draft.reply_to_native_id == "11"
    assert draft.media == (MediaKind.PHOTO, MediaKind.DOCUMENT)
    assert draft.links == ("https://mid.ru/en/",)
    assert draft.mentions == ("MID_RF", "mission_un")


def test_jsonl_absent_and_null_fields_are_empty():
    optional = ("views", "forwards", "replies", "reactions", "reply_to", "edited", "media")
    fields = {"text": "t", "id": "id", "links": "e", "mentions": "e", **{n: n for n in optional}}
    for record in ({"id": 1, "t": "x"}, {"id": 1, "t": "x", "e": None, **dict.fromkeys(optional)}):
        draft = generic(record, fields, channel="MFARussia")
        assert (draft.views, draft.forwards, draft.replies, draft.reply_to_native_id) == (None,) * 4
        assert (draft.reactions, draft.media, draft.links, draft.mentions) == ((), (), (), ())
        assert (draft.edited_at, draft.date_note, draft.title_source) == (None, None, None)


@pytest.mark.parametrize(
    ("line", "evidence"),
    [
        ('{"id": 1, "t": "x", "d": "2025-02-04T10:30:00Z"}', '"d": "2025-02-04T10:30:00Z"'),
        ('{"id":1,"t":"x","d":1738665000}', '"d":1738665000'),  # compact separators
        # An escaped character: the evidence is the value as the line spells it.
        (
            '{"id": 1, "t": "x", "d": "2025-02-04T10:30:00\\u002B00:00"}',
            '"d": "2025-02-04T10:30:00\\u002B00:00"',
        ),
        # The same key in a nested object with another value is not the evidence.
        (
            '{"fwd": {"d": 1700000000}, "id": 1, "t": "x", "d": 1738665000}',
            '"d": 1738665000',
        ),
    ],
)
def test_jsonl_date_evidence_is_a_raw_substring_of_the_line(line, evidence):
    options = {"fields": {"text": "t", "id": "id", "date": "d"}}
    (draft,) = parse("jsonl", line + "\n", options, "e.jsonl").drafts
    assert draft.published_at == utc(2025, 2, 4, 10, 30)
    assert draft.date_evidence == evidence
    assert evidence in line


def test_jsonl_date_evidence_falls_back_to_the_raw_value():
    line = '{"id": 1, "t": "x", "dates": ["2025-02-04T10:30:00+00:00"]}'
    options = {"fields": {"text": "t", "id": "id", "date": "dates.0"}}
    (draft,) = parse("jsonl", line + "\n", options, "e.jsonl").drafts
    assert draft.date_evidence == "2025-02-04T10:30:00+00:00"
    naive = generic(
        {"id": 1, "t": "x", "d": "2025-02-04 23:30:00"}, {"text": "t", "id": "id", "date": "d"}
    )
    assert (naive.published_date, naive.published_at) == (date(2025, 2, 4), None)
    assert naive.date_evidence == '"d": "2025-02-04 23:30:00"'
    assert naive.date_note == "no time zone stated: the date as written; published_at unknown"


def document(mime: str, *attributes: dict, **flags: bool) -> dict:
    return {
        "_": "MessageMediaDocument",
        **flags,
        "document": {"_": "Document", "mime_type": mime, "attributes": list(attributes)},
    }


@pytest.mark.parametrize(
    ("media", "kinds", "links"),
    [
        ({"_": "MessageMediaPhoto", "photo": None}, ("photo",), ()),
        (document("image/webp", {"_": "DocumentAttributeSticker", "alt": "👍"}), ("sticker",), ()),
        (
            document("video/mp4", {"_": "DocumentAttributeVideo", "round_message": True}),
            ("video_message",),
            (),
        ),
        (document("video/mp4", round=True), ("video_message",), ()),
        (
            document("audio/ogg", {"_": "DocumentAttributeAudio", "voice": True}),
            ("voice_message",),
            (),
        ),
        (
            document(
                "video/mp4", {"_": "DocumentAttributeAnimated"}, {"_": "DocumentAttributeVideo"}
            ),
            ("animation",),
            (),
        ),
        (
            document("video/mp4", {"_": "DocumentAttributeVideo", "round_message": False}),
            ("video",),
            (),
        ),
        (document("video/quicktime"), ("video",), ()),
        (document("audio/mpeg", {"_": "DocumentAttributeAudio", "voice": False}), ("audio",), ()),
        (
            document("application/pdf", {"_": "DocumentAttributeFilename", "file_name": "a.pdf"}),
            ("document",),
            (),
        ),
        ({"_": "MessageMediaDocument", "document": None}, ("document",), ()),
        ({"_": "MessageMediaPoll", "poll": {}, "results": {}}, ("poll",), ()),
        ({"_": "MessageMediaGeo", "geo": {"_": "GeoPoint"}}, ("location",), ()),
        ({"_": "MessageMediaGeoLive", "geo": {"_": "GeoPoint"}, "period": 60}, ("location",), ()),
        ({"_": "MessageMediaVenue", "title": "Ministry"}, ("location",), ()),
        ({"_": "MessageMediaContact", "phone_number": "+1"}, ("contact",), ()),
        ({"_": "MessageMediaDice", "value": 3, "emoticon": "🎲"}, ("other",), ()),
        ({"_": "MessageMediaUnsupported"}, ("other",), ()),
        ({"_": "MessageMediaEmpty"}, (), ()),
        (
            {"_": "MessageMediaWebPage", "webpage": {"_": "WebPage", "url": "https://tass.com/x"}},
            (),
            ("https://tass.com/x",),
        ),
        (
            {"_": "MessageMediaWebPage", "webpage": {"_": "WebPagePending", "id": 1, "url": None}},
            (),
            (),
        ),
        ("animation", ("animation",), ()),
        (["photo", {"_": "MessageMediaPoll"}], ("photo", "poll"), ()),
    ],
)
def test_jsonl_media_kinds_from_telethon_objects(media, kinds, links):
    draft = generic({"id": 1, "t": "x", "m": media}, {"text": "t", "id": "id", "media": "m"})
    assert [kind.value for kind in draft.media] == list(kinds)
    assert draft.links == links


def test_jsonl_entity_slices_count_utf16_code_units():
    # The flag is 4 UTF-16 code units (2 code points), the smiley 2 (1 code point).
    text = "🇷🇺 See @MID_RF and https://mid.ru/ 😀"
    entities = [
        {"_": "MessageEntityMention", "offset": 9, "length": 7},
        {"_": "MessageEntityUrl", "offset": 21, "length": 15},
        {"_": "MessageEntityBold", "offset": 0, "length": 4},  # formatting: ignored
        {"_": "MessageEntityTextUrl", "offset": 37, "length": 2, "url": "https://mid.ru/smile"},
    ]
    draft = generic(
        {"id": 1, "t": text, "e": entities},
        {"text": "t", "id": "id", "links": "e", "mentions": "e"},
    )
    assert draft.mentions == ("MID_RF",)
    assert draft.links == ("https://mid.ru/", "https://mid.ru/smile")


OPTIONAL = ("views", "forwards", "replies", "reactions", "reply_to", "edited", "media", "links")
TELETHON_LIKE = {"text": "t", "id": "id", "channel": "c", "mentions": "mentions"}
TELETHON_LIKE |= {name: name for name in OPTIONAL}


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"views": "1.2K"}, "views field 'views' is \"1.2K\", not a non-negative integer"),
        ({"views": -1}, "views field 'views' is -1, not a non-negative integer"),
        ({"forwards": True}, "forwards field 'forwards' is true, not a non-negative integer"),
        ({"replies": 2.5}, "replies field 'replies' is 2.5, not a non-negative integer"),
        ({"replies": {"_": "MessageReplies"}}, "not a MessageReplies with a `replies` count"),
        ({"reactions": {"👍": 3}}, 'is {"👍": 3}, not a list of reactions or a MessageReactions'),
        ({"reactions": [{"emoji": "👍"}]}, 'has reaction 1 {"emoji": "👍"} without a count'),
        ({"reactions": [{"count": 3}]}, 'has reaction 1 {"count": 3} without an emoji'),
        (
            {
                "reactions": {
                    "_": "MessageReactions",
                    "results": [{"_": "ReactionCount", "count": 2}],
                }
            },
            "whose reaction is none of ReactionEmoji",
        ),
        (
            {
                "reactions": {
                    "_": "MessageReactions",
                    "results": [
                        {"_": "ReactionCount", "reaction": {"_": "ReactionEmoji"}, "count": 2}
                    ],
                }
            },
            "whose reaction is none of ReactionEmoji (with its emoticon)",
        ),
        (
            {"reactions": {"_": "MessageReactions", "results": None}},
            "has `results` null, not a list",
        ),
        ({"reply_to": 0}, "reply_to field 'reply_to' holds 0, not a positive message id"),
        ({"reply_to": "7001a"}, 'holds "7001a", not a positive message id'),
        (
            {"reply_to": {"_": "MessageReplyHeader", "reply_to_msg_id": -3}},
            "holds -3, not a positive",
        ),
        ({"reply_to": {"_": "MessageFwdHeader"}}, "not a MessageReplyHeader"),
        (
            {"edited": "yesterday"},
            "edited field 'edited' is \"yesterday\", neither ISO 8601 nor epoch",
        ),
        ({"media": "gif"}, "media field 'media' holds \"gif\", not a media kind (photo, video"),
        ({"media": 5}, "holds 5, not a media kind"),
        ({"media": {"_": "Document"}}, "holds a Document, not a Telethon MessageMedia object"),
        (
            {"media": {"_": "MessageMediaWebPage", "webpage": {"_": "WebPage", "url": 5}}},
            "has a web page whose url is 5",
        ),
        ({"links": "https://mid.ru/"}, "links field 'links' is \"https://mid.ru/\", not a list"),
        ({"links": [5]}, "has item 1 5, neither a string nor a Telethon entity"),
        ({"links": ["see mid.ru"]}, "'see mid.ru' is not a URL"),
        (
            {"links": [{"_": "MessageEntityTextUrl", "offset": 0, "length": 1}]},
            "without a string url",
        ),
        (
            {"links": [{"_": "MessageEntityUrl", "offset": 0, "length": 99}]},
            "that is no slice of the text (offset and length in UTF-16 code units)",
        ),
        # Offset 1 cuts the smiley's surrogate pair.
        ({"links": [{"_": "MessageEntityUrl", "offset": 1, "length": 1}]}, "no slice of the text"),
        ({"links": [{"_": "MessageEntityUrl", "offset": 2, "length": 1}]}, "' ' is not a URL"),
        ({"links": [{"_": "PeerChannel"}]}, "a PeerChannel, not a Telethon MessageEntity"),
        ({"mentions": ["MID RF"]}, "'MID RF' is not a Telegram username"),
        ({"mentions": ["@@MID_RF"]}, "is not a Telegram username"),
        (
            {"mentions": [{"_": "MessageEntityMention", "offset": 0, "length": 2}]},
            "not an @username",
        ),
    ],
)
def test_jsonl_refuses_malformed_values_naming_file_line_field_and_message(values, error):
    good = json.dumps({"id": 7, "c": "MFARussia", "t": "😀 ok @MID_RF"}, ensure_ascii=False)
    bad = json.dumps(
        {"id": 8, "c": "MFARussia", "t": "😀 ok @MID_RF", **values}, ensure_ascii=False
    )
    with pytest.raises(BadInputError) as caught:
        parse("jsonl", f"{good}\n\n{bad}\n", {"fields": TELETHON_LIKE}, "m.jsonl")
    message = str(caught.value)
    assert message.startswith("seeds/m.jsonl:3: message MFARussia/8: ")
    assert error in message
    assert "in seeds/manifest.toml, or fix the scrape" in message


def test_jsonl_errors_without_an_id_name_the_line_and_field():
    with pytest.raises(BadInputError, match=r"^seeds/m\.jsonl:1: views field 'v' is \"x\""):
        parse("jsonl", '{"t": "a", "v": "x"}\n', {"fields": {"text": "t", "views": "v"}}, "m.jsonl")


def test_jsonl_replies_to_other_chats_and_stories_have_no_reply_id():
    fields = {"text": "t", "id": "id", "reply_to": "r"}
    for header in (
        {
            "_": "MessageReplyHeader",
            "reply_to_msg_id": 5,
            "reply_to_peer_id": {"_": "PeerChannel", "channel_id": 2},
        },
        {"_": "MessageReplyStoryHeader", "peer": {"_": "PeerUser", "user_id": 1}, "story_id": 3},
        {"_": "MessageReplyHeader", "reply_to_msg_id": None, "quote": True},
    ):
        assert generic({"id": 1, "t": "x", "r": header}, fields).reply_to_native_id is None
    assert generic({"id": 1, "t": "x", "r": "12"}, fields).reply_to_native_id == "12"


def test_jsonl_web_records_keep_bare_ids_and_no_channel():
    (draft,) = parse(
        "jsonl",
        '{"uid": "a-12.b", "body": "x", "views": 3}\n',
        {"fields": {"text": "body", "id": "uid", "views": "views"}},
        "w.jsonl",
        platform="web",
    ).drafts
    assert (draft.channel, draft.native_id, draft.platform_key, draft.url, draft.views) == (
        None,
        "a-12.b",
        "a-12.b",
        None,
        3,
    )
