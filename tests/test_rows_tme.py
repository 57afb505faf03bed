"""tme_html@2 at the Draft level: every row field a saved t.me/s page carries.

fixtures/adapters/tme_rows.html is written by hand in t.me's widget markup (invented text): a post
with text links, mentions, a link preview and four kinds of reaction; an edited photo post at
21:15 UTC (the next day in Moscow); a reply with a video at 20:59:59 UTC (still the same day); an
album; and a reply to another channel's message holding a document and a GIF. The expectations
below come from reading it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from statemedia.errors import BadInputError
from statemedia.parse import FileContext, ParsedFile, formats, split_lines
from statemedia.parse.tme_html import EDITED_NOTE, read_count
from statemedia.records import Draft, Reaction
from statemedia.vocab import DateConfidence, MediaKind

FIXTURE = Path(__file__).parent / "fixtures" / "adapters" / "tme_rows.html"
MOSCOW_NOTE = "ISO 8601 with UTC offset; published_date in Europe/Moscow"


def parse(text: str, time_zone: str = "Europe/Moscow") -> ParsedFile:
    """Parse `text` as the build's checked tme_html parser does."""
    ctx = FileContext(
        path="tme_rows.html",
        source="mfa_russia",
        platform="telegram",
        language="en",
        time_zone=time_zone,
    )
    return formats()["tme_html"](split_lines(text), ctx)


@pytest.fixture(scope="module")
def drafts() -> dict[str, Draft]:
    parsed = parse(FIXTURE.read_text(encoding="utf-8"))
    return {draft.native_id or "": draft for draft in parsed.drafts}


def test_each_message_is_a_draft_with_its_channel_and_id_apart(drafts):
    assert list(drafts) == ["4001", "4002", "4003", "4004", "4007"]
    for native_id, draft in drafts.items():
        assert (draft.channel, draft.native_id) == ("MFARussia", native_id)
        assert draft.platform_key == f"MFARussia/{native_id}"  # the post id is built as in @1
        assert draft.url == f"https://t.me/MFARussia/{native_id}"
        assert f'data-post="MFARussia/{native_id}"' in draft.lines[0].text


@pytest.mark.parametrize(
    ("native_id", "at", "moscow_date"),
    [
        ("4001", datetime(2025, 2, 4, 10, 30, tzinfo=UTC), date(2025, 2, 4)),
        ("4002", datetime(2025, 2, 4, 21, 15, tzinfo=UTC), date(2025, 2, 5)),  # 00:15 in Moscow
        ("4003", datetime(2025, 2, 4, 20, 59, 59, tzinfo=UTC), date(2025, 2, 4)),  # 23:59:59
        ("4004", datetime(2025, 2, 5, 7, 5, tzinfo=UTC), date(2025, 2, 5)),
        ("4007", datetime(2025, 2, 5, 9, 0, tzinfo=UTC), date(2025, 2, 5)),
    ],
)
def test_time_datetime_gives_the_utc_moment_and_the_moscow_date(drafts, native_id, at, moscow_date):
    draft = drafts[native_id]
    assert draft.published_at == at
    assert draft.published_date == moscow_date
    assert draft.date_confidence == DateConfidence.STATED
    raw = f'datetime="{at.isoformat()}"'  # "+00:00", as t.me writes it
    assert draft.date_evidence == raw
    assert any(raw in line.text for line in draft.lines)  # a raw substring of its own lines
    assert draft.date_note is not None and draft.date_note.startswith(MOSCOW_NOTE)
    assert draft.edited_at is None  # t.me shows no edit time


def test_published_date_follows_the_publishers_zone():
    in_utc = {d.native_id: d for d in parse(FIXTURE.read_text(encoding="utf-8"), "UTC").drafts}
    assert in_utc["4002"].published_date == date(2025, 2, 4)  # 21:15 UTC is still 4 February
    assert in_utc["4002"].published_at == datetime(2025, 2, 4, 21, 15, tzinfo=UTC)
    assert in_utc["4002"].date_note.startswith("ISO 8601 with UTC offset; published_date in UTC")


def test_the_edited_mark_is_noted_and_edited_at_stays_unknown(drafts):
    edited = drafts["4002"]
    assert edited.date_note == f"{MOSCOW_NOTE}; {EDITED_NOTE}"
    assert edited.edited_at is None
    assert "edited" not in edited.date_evidence
    for native_id in ("4001", "4003", "4004", "4007"):
        assert drafts[native_id].date_note == MOSCOW_NOTE


@pytest.mark.parametrize(
    ("native_id", "views"),
    [("4001", 1200), ("4002", 987), ("4003", 3_400_000), ("4004", 12_500), ("4007", 44)],
)
def test_views_are_integers_and_the_page_has_no_forward_or_reply_counts(drafts, native_id, views):
    draft = drafts[native_id]
    assert draft.views == views
    assert (draft.forwards, draft.replies) == (None, None)


@pytest.mark.parametrize(
    ("shown", "count"),
    [
        ("0", 0),
        ("987", 987),
        ("1.2K", 1200),
        ("4.85K", 4850),
        ("1,5K", 1500),
        ("12K", 12_000),
        ("3.4M", 3_400_000),
        ("1.1B", 1_100_000_000),
        ("many", None),
        ("", None),
        ("1.5", None),  # a decimal part only before a suffix
        ("1 200", None),
        ("1.2k", None),
        ("K", None),
        ("-5", None),
        ("1.2KK", None),
    ],
)
def test_read_count_reads_counts_as_t_me_writes_them(shown, count):
    assert read_count(shown) == count


def test_reactions_keep_their_order_emoji_and_counts(drafts):
    assert drafts["4001"].reactions == (
        Reaction("👍", 1200),
        Reaction("🔥", 37),
        Reaction("custom:5368324170671202286", 4850),
        Reaction("paid", 5),
    )
    assert drafts["4003"].reactions == (Reaction("👏", 210),)
    for native_id in ("4002", "4004", "4007"):
        assert drafts[native_id].reactions == ()


def test_reply_to_native_id_is_a_message_of_the_same_channel(drafts):
    assert drafts["4003"].reply_to_native_id == "4001"
    # 4007 replies to MID_Russia/39001: another channel's message is no reply_to_native_id.
    assert drafts["4007"].reply_to_native_id is None
    for native_id in ("4001", "4002", "4004"):
        assert drafts[native_id].reply_to_native_id is None


def test_links_and_mentions_come_from_text_anchors_and_the_preview(drafts):
    post = drafts["4001"]
    assert post.links == (
        "https://mid.ru/en/foreign_policy/news/1990001/",  # a link entity, and the preview again
        "https://mid.ru/en/press_service/video/?id=1990002&lang=en",  # t.me's &amp;amp; undone
    )
    assert post.mentions == ("MID_Russia", "Ministry_Press")  # each once; "#Briefing" is no link
    assert post.text is not None and "@MID_Russia" in post.text and "#Briefing" in post.text
    for native_id in ("4002", "4003", "4004", "4007"):
        assert (drafts[native_id].links, drafts[native_id].mentions) == ((), ())


def test_media_kinds_in_page_order_each_once(drafts):
    assert {native_id: draft.media for native_id, draft in drafts.items()} == {
        "4001": (),  # the link preview's image is not the message's photo
        "4002": (MediaKind.PHOTO,),
        "4003": (MediaKind.VIDEO,),  # the reply header's thumbnail is not a photo either
        "4004": (MediaKind.PHOTO, MediaKind.VIDEO),  # an album: photo, video, photo
        "4007": (MediaKind.DOCUMENT, MediaKind.ANIMATION),  # a player without play or length
    }


def test_text_is_the_message_text_element(drafts):
    assert drafts["4003"].text == "Answers to questions from the media, in full"  # not the reply's
    assert drafts["4002"].text == (
        "The Minister held talks with his counterpart\n(the statement has been updated)"
    )


# --- one message, built in t.me's markup -----------------------------------------------------

DATETIME = "2025-02-04T10:30:00+00:00"


def message_page(extra: str = "", reactions: str = "", views: str = "953", text: str = "") -> str:
    """A saved page with one message: `extra` on line 6 (a reply header, media), `text` inside
    the text element on line 7, `reactions` on line 8 and `views` on line 9."""
    return "\n".join(
        [
            "<html>",
            "<body>",
            "<section>",
            '<div class="tgme_widget_message js-widget_message" data-post="MFARussia/7">',
            '  <div class="tgme_widget_message_bubble">',
            f"    {extra}",
            f'    <div class="tgme_widget_message_text js-message_text" dir="auto">Text{text}</div>',
            f'    <div class="tgme_widget_message_reactions js-message_reactions">{reactions}</div>',
            '    <div class="tgme_widget_message_footer compact js-message_footer">'
            f'<span class="tgme_widget_message_views">{views}</span>'
            '<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" '
            f'href="https://t.me/MFARussia/7"><time datetime="{DATETIME}" class="time">10:30</time>'
            "</a></span></div>",
            "  </div>",
            "</div>",
            "</section>",
            "</body>",
            "</html>",
            "",
        ]
    )


def one(text: str) -> Draft:
    (draft,) = parse(text).drafts
    return draft


def reaction(emoji_html: str, count: str) -> str:
    return f'<span class="tgme_reaction">{emoji_html}{count}</span>'


THUMBS = '<i class="emoji"><b>👍</b></i>'


def reply(href: str) -> str:
    return (
        f'<a class="tgme_widget_message_reply" href="{href}"><div class="tgme_widget_message_'
        'metatext js-message_reply_text" dir="auto">Earlier message</div></a>'
    )


@pytest.mark.parametrize(
    ("page", "error"),
    [
        (
            message_page(views="many"),
            "tme_rows.html:9: message MFARussia/7: view count 'many' is not",
        ),
        (message_page(views=""), "tme_rows.html:9: message MFARussia/7: view count '' is not"),
        (message_page(views="1.5"), r"tme_rows.html:9: .*'1.5' is not a number like 953, 8.1K"),
        (
            message_page(reactions=reaction(THUMBS, "12") + reaction(THUMBS, "")),
            r"tme_rows.html:8: message MFARussia/7: reaction 2 \('👍'\) shows no count",
        ),
        (
            message_page(reactions=reaction(THUMBS, "lots")),
            r"tme_rows.html:8: message MFARussia/7: reaction 1 \('👍lots'\): count 'lots' is not",
        ),
        (
            message_page(reactions=reaction('<i class="emoji"></i>', "3")),
            r"tme_rows.html:8: message MFARussia/7: reaction 1 \('3'\) shows no emoji",
        ),
        (
            message_page(extra=reply("https://example.org/news/1")),
            r"tme_rows.html:6: message MFARussia/7: reply header links to "
            r"'https://example.org/news/1', not to a t.me message",
        ),
        (message_page(extra=reply("https://t.me/MFARussia")), "tme_rows.html:6: .*not to a t.me"),
        (message_page(extra=reply("https://t.me/MFARussia/0")), "tme_rows.html:6: .*not to a t.me"),
        (
            message_page(extra=reply("https://t.me/c/1114036424/5")),
            "tme_rows.html:6: .*not to a t.me",
        ),
        (
            message_page(extra='<a class="tgme_widget_message_reply"><div>Earlier</div></a>'),
            r"tme_rows.html:6: message MFARussia/7: reply header links to '', not to a t.me",
        ),
    ],
)
def test_malformed_values_are_errors_naming_file_line_and_message(page, error):
    with pytest.raises(BadInputError, match=error) as caught:
        parse(page)
    assert str(caught.value).endswith("; use the page exactly as t.me served it")


def test_a_well_formed_message_reads_every_field():
    draft = one(
        message_page(
            extra=reply("https://t.me/mfarussia/5"),  # usernames are the same in any case
            reactions=reaction(THUMBS, "1.2K"),
            views="8.1K",
        )
    )
    assert (draft.reply_to_native_id, draft.views) == ("5", 8100)
    assert draft.reactions == (Reaction("👍", 1200),)
    assert draft.media == ()  # the reply header is no media
    assert draft.date_evidence == f'datetime="{DATETIME}"'


def test_a_message_without_views_or_reactions_has_none():
    page = message_page().replace('<span class="tgme_widget_message_views">953</span>', "")
    draft = one(page)
    assert (draft.views, draft.reactions) == (None, ())


def test_an_unreadable_datetime_leaves_the_date_unknown_and_notes_it():
    draft = one(message_page().replace(DATETIME, "soon"))
    assert (draft.published_date, draft.published_at, draft.date_evidence) == (None, None, None)
    assert draft.date_confidence == DateConfidence.UNKNOWN
    assert draft.date_note == "<time datetime> 'soon' is no ISO 8601 timestamp: date unknown"


@pytest.mark.parametrize(
    ("anchor", "links", "mentions"),
    [
        ('<a href="https://t.me/MID_Russia">@MID_Russia</a>', (), ("MID_Russia",)),
        ('<a href="https://t.me/MID_Russia">the Ministry</a>', ("https://t.me/MID_Russia",), ()),
        ('<a href="https://mid.ru/" onclick="x">@MID_Russia</a>', ("https://mid.ru/",), ()),
        (
            '<a href="https://t.me/MFARussia/3001">an earlier post</a>',
            ("https://t.me/MFARussia/3001",),
            (),
        ),
        ('<a href="?q=%23Russia">#Russia</a>', (), ()),
        ('<a href="?q=%24RUB">$RUB</a>', (), ()),
        ('<a href="mailto:press@example.org">press@example.org</a>', (), ()),
        ('<a href="https://x.example/?a=1&amp;b=2">link</a>', ("https://x.example/?a=1&b=2",), ()),
    ],
)
def test_text_anchors_are_links_mentions_or_neither(anchor, links, mentions):
    draft = one(message_page(text=f" {anchor}"))
    assert (draft.links, draft.mentions) == (links, mentions)


@pytest.mark.parametrize(
    ("extra", "media"),
    [
        (
            '<a class="tgme_widget_message_voice_player js-message_voice_player"><audio '
            'class="tgme_widget_message_voice js-message_voice" src="v.ogg"></audio><time '
            'class="tgme_widget_message_voice_duration">0:32</time></a>',
            (MediaKind.VOICE_MESSAGE,),
        ),
        (
            '<div class="tgme_widget_message_roundvideo_player js-message_roundvideo_player">'
            '<div class="tgme_widget_message_roundvideo_wrap"><video class="tgme_widget_message_'
            'roundvideo js-message_roundvideo" src="r.mp4"></video></div></div>',
            (MediaKind.VIDEO_MESSAGE,),
        ),
        (
            '<div class="tgme_widget_message_sticker_wrap media_supported_cont"><a href="x"><i '
            'class="tgme_widget_message_sticker js-sticker_image" data-webp="s.webp"></i></a></div>',
            (MediaKind.STICKER,),
        ),
        (
            '<a class="tgme_widget_message_location_wrap" href="https://maps.google.com/maps?q='
            '55.7461,37.5784"><div class="tgme_widget_message_location"></div></a>',
            (MediaKind.LOCATION,),
        ),
        (
            '<div class="tgme_widget_message_poll js-poll"><div class="tgme_widget_message_poll_'
            'question">Question</div><div class="tgme_widget_message_poll_type">Anonymous poll'
            "</div></div>",
            (MediaKind.POLL,),
        ),
        (
            '<div class="tgme_widget_message_contact_wrap"><div class="tgme_widget_message_contact'
            '_name">Press office</div></div>',
            (MediaKind.CONTACT,),
        ),
        (
            '<a class="tgme_widget_message_document_wrap" href="x"><div class="tgme_widget_message_'
            'document_icon audio"></div><div class="tgme_widget_message_document_title">Anthem'
            "</div></a>",
            (MediaKind.AUDIO,),
        ),
        (
            '<a class="tgme_widget_message_video_player not_supported js-message_video_player" '
            'href="x"><i class="tgme_widget_message_video_thumb"></i><time class="message_video_'
            'duration js-message_video_duration">1:16</time></a>',
            (MediaKind.VIDEO,),  # "media is too big": still a video, by its duration
        ),
        (
            '<div class="tgme_widget_message_video_wrap"><video src="v.mp4"></video></div>'
            '<a class="tgme_widget_message_photo_wrap" href="x"></a>'
            '<a class="tgme_widget_message_photo_wrap" href="y"></a>',
            (MediaKind.VIDEO, MediaKind.PHOTO),
        ),
        (
            '<div class="message_media_not_supported_wrap"><div class="message_media_not_supported">'
            '<div class="message_media_not_supported_label">Media is not supported</div></div></div>',
            (),  # an unknown wrapper is not guessed
        ),
        (
            '<div class="media_not_supported_cont"><a class="tgme_widget_message_photo_wrap" '
            'href="x"></a></div>',
            (),  # the fallback t.me hides
        ),
        (
            '<a class="tgme_widget_message_link_preview" href="https://mid.ru/"><div class="'
            'tgme_widget_message_photo_wrap link_preview_image"></div></a>',
            (),  # the preview's own picture
        ),
    ],
)
def test_media_wrappers_give_their_kinds(extra, media):
    assert one(message_page(extra=extra)).media == media
