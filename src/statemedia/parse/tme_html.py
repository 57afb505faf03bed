"""Parser `tme_html@2`: saved HTML of a channel's web preview (`https://t.me/s/<channel>`).

Every `.tgme_widget_message` with `data-post="<channel>/<id>"` is one draft: its text is the
`.js-message_text` element (with <br> as newlines), its origin the forwarded-from name. Its lines
run from the line holding `data-post` to its closing tag or the next message's line; the text
element's lines are `post_body`, the rest `post_metadata`. Service messages are
`service_message`; lines outside messages are `export_structure`.

What a draft carries (t.me's class names; an element the page does not show leaves its value empty):
- `channel` and `native_id` from `data-post="MFARussia/12345"`: "MFARussia" and "12345". The post
  id and the t.me URL are built from them exactly as in `tme_html@1`.
- Dates. The permalink's `<time datetime="2025-02-04T10:30:00+00:00">` (in
  `.tgme_widget_message_date`; else the message's first `<time datetime>`) is the moment Telegram
  stores as the message's date, in UTC: `published_at` is that moment (to the second) and
  `published_date` its calendar date in the publisher's zone (`FileContext.time_zone`, e.g.
  Europe/Moscow, so a post at 21:15 UTC is dated the next day). `date_evidence` is the raw
  attribute, `datetime="…"`, exactly as it stands in the line; `date_note` says how the date was
  read (statemedia.parse.dates.read_timestamp). A `datetime` that cannot be read leaves the date
  `unknown` (as in @1); the note quotes it.
- `edited_at` is always None: t.me marks an edited message with the word "edited" in its footer
  (`.tgme_widget_message_meta`) but shows no edit time. The mark is kept in `date_note` ("t.me
  marks the message edited …").
- `views` from `.tgme_widget_message_views` as an integer. t.me rounds counts from 1,000 up and
  writes them with a suffix: "987" is 987, "1.2K" is stored as 1200 and "3.4M" as 3400000, so the
  true count lies within one unit of the last digit shown (1.2K: about 1,200, give or take 100).
  The page shows no forward or reply count: `forwards` and `replies` stay None.
- `reactions`: each `.tgme_reaction` in order → Reaction(emoji, count), the count read like
  views. The emoji is the `<b>` of its `<i class="emoji">`; a custom emoji (`<tg-emoji
  emoji-id="…">`) is "custom:<emoji-id>"; a paid reaction (`tgme_reaction_paid`, Telegram Stars)
  is "paid".
- `reply_to_native_id` from the reply header's link (`a.tgme_widget_message_reply`,
  href="https://t.me/<channel>/<id>"): the id, when the channel is the message's own (usernames
  compared without case). A reply to another channel's message has no `reply_to_native_id`: the
  field names a message of the same channel (the row schema), and a bare id of another channel's
  message would join to the wrong post; no row field can hold the other channel yet.
- `links`, in order, each once: the http(s) `href` of every anchor in the text element (link
  entities and text links) that is not a mention, then the link preview's
  (`a.tgme_widget_message_link_preview`) `href`. t.me escapes a text link's `&` twice (its
  anchors carry `onclick`, and since 2024 their `&amp;` survives HTML decoding): `&amp;` in such
  an href is read back as `&`. Hashtag and cashtag anchors (`?q=%23…`), e-mail and phone anchors
  are not links: their text stays in the body, where clean reads hashtags.
- `mentions`, in order, each once: the username of every text anchor that reads `@name` and links
  to `https://t.me/name` (a mention entity), without '@'.
- `media`, in page order, each kind once, from the media wrappers outside the reply header, the
  link preview and the hidden fallback (`media_not_supported_cont`): `photo_wrap` → photo;
  `video_player` → video, or animation when it has neither play button nor duration (a GIF);
  `video_wrap` outside a player → video; `roundvideo_player` → video_message; `voice_player` →
  voice_message; `document_wrap` → document, or audio when its icon has class `audio`; `poll` →
  poll; `sticker_wrap` → sticker; `location_wrap` → location; `contact_wrap` → contact (each
  `tgme_widget_message_<name>`). Another wrapper, such as "media not supported", is not guessed.

Signature: at least one `<div class="tgme_widget_message" data-post="…">`. Field checks, each an
error naming the file, the line of the field and the message: `data-post` is "<channel>/<positive
integer>" with a Telegram username; a view count is a number as t.me writes it ("953", "8.1K",
"1.2M": digits, a decimal part only with a K, M or B suffix); every reaction shows such a count
and an emoji; a reply header links to a t.me message (https://t.me/<channel>/<positive integer>).
A readable `datetime` outside the plausible window is an error (statemedia.parse.dates). Every
message element must close before the next one opens (and the last before the end of the file):
an unclosed one would hold all later messages, their text included. With that, and
`closing_div` scanning at most to the next message, the parser is linear.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from statemedia.parse import FileContext, MessageWalk, Mismatch, ParsedFile, fail
from statemedia.parse.dates import UNKNOWN, DateReading, read_timestamp
from statemedia.records import Draft, Reaction, SourceLine
from statemedia.vocab import DateConfidence, LineCategory, MediaKind, RecordKind

MESSAGE = "div.tgme_widget_message[data-post]"
# The same elements found in the raw text, for their offsets (selectolax keeps no source positions).
_MESSAGE_TAG = re.compile(
    r'<div\b[^>]*?\bclass="(?:[^"]*\s)?tgme_widget_message(?:\s[^"]*)?"[^>]*?\bdata-post="([^"]+)"'
    r'|<div\b[^>]*?\bdata-post="([^"]+)"[^>]*?\bclass="(?:[^"]*\s)?tgme_widget_message(?:\s[^"]*)?"'
)
_TEXT_TAG = re.compile(r'<div\b[^>]*?\bclass="(?:[^"]*\s)?js-message_text(?:\s[^"]*)?"')
_DIV = re.compile(r"<(/?)div\b", re.IGNORECASE)
_SPACE_RUN = re.compile(r"\s+")
# A `datetime` attribute as it stands in the raw text: double-quoted, single-quoted or bare.
_DATETIME_ATTR = re.compile(r"""\bdatetime\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")
SERVICE_CLASS = "service_message"  # t.me's CSS class of a service message (pin, photo change)
USERNAME = re.compile(r"[A-Za-z0-9_]+")  # a Telegram username as t.me links spell it
# A count as t.me shows it: 953, 8.1K, 4.85K, 1.2M (a decimal part only before a suffix).
COUNT = re.compile(r"[0-9]+|[0-9]+(?:[.,][0-9]+)?[KMB]")
COUNT_SUFFIX = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
_COUNT_FORM = "a number like 953, 8.1K or 1.2M"
# The link of a reply header: a message of a public channel (t.me/s/ is the same message).
MESSAGE_LINK = re.compile(
    r"https?://t\.me/(?:s/)?(?P<channel>[A-Za-z0-9_]+)/(?P<id>[0-9]+)/?(?:\?[^#\s]*)?"
)
MENTION_LINK = re.compile(r"https?://t\.me/(?P<name>[A-Za-z0-9_]+)/?")
EDITED_MARK = re.compile(r"\bedited\b")
EDITED_NOTE = "t.me marks the message edited but shows no edit time, so edited_at is unknown"
_VERBATIM = frozenset({"pre", "code"})  # whitespace inside is the author's, not markup layout
_AS_SERVED = "use the page exactly as t.me served it"

# Subtrees that are not the message's own media: the replied message's header (its thumbnail),
# the link preview (its image or video) and the fallback t.me hides when custom emoji are shown.
_NOT_OWN_MEDIA = frozenset(
    {"tgme_widget_message_reply", "tgme_widget_message_link_preview", "media_not_supported_cont"}
)
# t.me's media wrappers (`tgme_widget_message_<name>`) and the kind each shows.
MEDIA_WRAPPERS = {
    "tgme_widget_message_photo_wrap": MediaKind.PHOTO,
    "tgme_widget_message_video_player": MediaKind.VIDEO,  # or a GIF: `wrapper_kind`
    "tgme_widget_message_video_wrap": MediaKind.VIDEO,
    "tgme_widget_message_roundvideo_player": MediaKind.VIDEO_MESSAGE,
    "tgme_widget_message_voice_player": MediaKind.VOICE_MESSAGE,
    "tgme_widget_message_document_wrap": MediaKind.DOCUMENT,  # or music: `wrapper_kind`
    "tgme_widget_message_poll": MediaKind.POLL,
    "tgme_widget_message_sticker_wrap": MediaKind.STICKER,
    "tgme_widget_message_location_wrap": MediaKind.LOCATION,
    "tgme_widget_message_contact_wrap": MediaKind.CONTACT,
}


class Malformed(ValueError):
    """A malformed value in a message element: what is wrong, and the element it sits in (its CSS
    class and which occurrence of it in the message, 1-based), whose line the error names."""

    def __init__(self, problem: str, element: str, occurrence: int = 1) -> None:
        super().__init__(problem)
        self.problem = problem
        self.element = element
        self.occurrence = occurrence


@dataclass(frozen=True, slots=True)
class MessageFields:
    """What a message element carries besides its text and date."""

    views: int | None
    reactions: tuple[Reaction, ...]
    edited: bool
    reply_to: str | None
    links: tuple[str, ...]
    mentions: tuple[str, ...]
    media: tuple[MediaKind, ...]


def closing_div(text: str, start: int, limit: int | None = None) -> int:
    """Offset of the `</div>` that closes the <div> opening at `start`, or `limit` (default: the
    text's end) if it does not close before that."""
    limit = len(text) if limit is None else limit
    depth = 0
    for match in _DIV.finditer(text, start, limit):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return match.start()
    return limit


def page_signature(lines: Sequence[SourceLine]) -> Mismatch | None:
    """A saved t.me/s page: at least one message element with its `data-post`."""
    text = "\n".join(line.text for line in lines)
    if "tgme_widget_message" not in text or _MESSAGE_TAG.search(text) is None:
        return Mismatch(
            None,
            'no Telegram message: no <div class="tgme_widget_message" data-post="…"> element',
            "save the page https://t.me/s/<channel> after its messages have loaded",
        )
    return None


def read_count(shown: str) -> int | None:
    """A count as t.me writes it ("987", "1.2K", "3.4M") as an integer, or None if it is not one."""
    if not COUNT.fullmatch(shown):
        return None
    multiplier = COUNT_SUFFIX.get(shown[-1], 1)
    digits = shown[:-1] if multiplier > 1 else shown
    # Decimal, not float: 1.2 * 1000 must be exactly 1200.
    return int(Decimal(digits.replace(",", ".")) * multiplier)


def _own_text(node: LexborNode) -> str:
    """The element's own text nodes, without its children's text."""
    return "".join(
        child.text_content or "" for child in node.iter(include_text=True) if child.tag == "-text"
    )


def _classes(node: LexborNode) -> set[str]:
    return set((node.attributes.get("class") or "").split())


def message_views(message: LexborNode) -> int | None:
    """The message's view count, or None if the page shows none."""
    views = None
    for k, element in enumerate(message.css(".tgme_widget_message_views"), start=1):
        shown = element.text(deep=True).strip()
        count = read_count(shown)
        if count is None:
            raise Malformed(
                f"view count {shown!r} is not {_COUNT_FORM}", "tgme_widget_message_views", k
            )
        views = count if views is None else views
    return views


def reaction_emoji(reaction: LexborNode) -> str | None:
    """The emoji of a `.tgme_reaction`: "paid", "custom:<emoji-id>" or the emoji; None if none."""
    if "tgme_reaction_paid" in _classes(reaction):
        return "paid"
    custom = reaction.css_first("tg-emoji[emoji-id]")
    document_id = (custom.attributes.get("emoji-id") or "").strip() if custom is not None else ""
    if document_id:
        return f"custom:{document_id}"
    emoji = reaction.css_first("b")
    shown = emoji.text(deep=True).strip() if emoji is not None else ""
    return shown or None


def message_reactions(message: LexborNode) -> tuple[Reaction, ...]:
    """The message's reactions in page order, each with its count."""
    reactions = []
    for k, reaction in enumerate(message.css(".tgme_reaction"), start=1):
        shown = reaction.text(deep=True).strip()
        count_text = _own_text(reaction).strip()
        count = read_count(count_text)
        if count is None:
            problem = (
                f"reaction {k} ({shown!r}) shows no count"
                if not count_text
                else f"reaction {k} ({shown!r}): count {count_text!r} is not {_COUNT_FORM}"
            )
            raise Malformed(problem, "tgme_reaction", k)
        emoji = reaction_emoji(reaction)
        if emoji is None:
            raise Malformed(f"reaction {k} ({shown!r}) shows no emoji", "tgme_reaction", k)
        reactions.append(Reaction(emoji, count))
    return tuple(reactions)


def is_edited(message: LexborNode) -> bool:
    """True if the footer's meta reads "edited" (its own text: a signature is a child element)."""
    meta = message.css_first(".tgme_widget_message_meta")
    return meta is not None and EDITED_MARK.search(_own_text(meta)) is not None


def reply_target(message: LexborNode, channel: str) -> str | None:
    """The id of the message this one replies to, if it is a message of `channel`."""
    header = message.css_first(".tgme_widget_message_reply")
    if header is None:
        return None
    href = (header.attributes.get("href") or "").strip()
    match = MESSAGE_LINK.fullmatch(href)
    if match is None or int(match["id"]) <= 0:
        raise Malformed(
            f"reply header links to {href!r}, not to a t.me message "
            "(https://t.me/<channel>/<message id>)",
            "tgme_widget_message_reply",
        )
    if match["channel"].lower() != channel.lower():
        return None  # another channel's message: see the module docstring
    return str(int(match["id"]))


def text_anchors(text_node: LexborNode | None) -> tuple[list[str], list[str]]:
    """(links, mentions) of the anchors in a message's text element, in order."""
    links: list[str] = []
    mentions: list[str] = []
    if text_node is None:
        return links, mentions
    for anchor in text_node.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        shown = anchor.text(deep=True).strip()
        target = MENTION_LINK.fullmatch(href)
        name = shown[1:] if shown.startswith("@") else ""
        if (
            target is not None
            and USERNAME.fullmatch(name)
            and target["name"].lower() == name.lower()
        ):
            mentions.append(name)
        elif href.lower().startswith(("https://", "http://")):
            if "onclick" in anchor.attributes:  # a text link: t.me escaped its href twice
                href = href.replace("&amp;", "&")
            links.append(href)
    return links, mentions


def preview_links(message: LexborNode) -> list[str]:
    """The http(s) hrefs of the message's link previews."""
    hrefs = (
        (preview.attributes.get("href") or "").strip()
        for preview in message.css(".tgme_widget_message_link_preview")
    )
    return [href for href in hrefs if href.lower().startswith(("https://", "http://"))]


def wrapper_kind(node: LexborNode, classes: set[str]) -> MediaKind | None:
    """The media kind a wrapper element shows, or None if it is not a media wrapper."""
    name = next((name for name in MEDIA_WRAPPERS if name in classes), None)
    if name is None:
        return None
    if name == "tgme_widget_message_video_player" and (
        node.css_first(".message_video_play, .message_video_duration") is None
    ):
        return MediaKind.ANIMATION  # t.me draws a GIF in the video player, without play or length
    if name == "tgme_widget_message_document_wrap" and (
        node.css_first(".tgme_widget_message_document_icon.audio") is not None
    ):
        return MediaKind.AUDIO
    return MEDIA_WRAPPERS[name]


def media_kinds(message: LexborNode) -> tuple[MediaKind, ...]:
    """The kinds of media a message shows, in page order, each once."""
    kinds: list[MediaKind] = []
    stack = list(message.iter())[::-1]  # depth first, in document order
    while stack:
        node = stack.pop()
        classes = _classes(node)
        if classes & _NOT_OWN_MEDIA:
            continue
        kind = wrapper_kind(node, classes)
        if kind is None:
            stack.extend(list(node.iter())[::-1])
        elif kind not in kinds:
            kinds.append(kind)  # a wrapper's inside (a player's video_wrap) is not read again
    return tuple(kinds)


def message_fields(
    message: LexborNode, channel: str, text_node: LexborNode | None
) -> MessageFields:
    """Read (and check) everything a message element carries besides its text and date."""
    links, mentions = text_anchors(text_node)
    return MessageFields(
        views=message_views(message),
        reactions=message_reactions(message),
        edited=is_edited(message),
        reply_to=reply_target(message, channel),
        links=tuple(dict.fromkeys([*links, *preview_links(message)])),
        mentions=tuple(dict.fromkeys(mentions)),
        media=media_kinds(message),
    )


def _in_verbatim(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None and parent.tag not in ("div", "html"):
        if parent.tag in _VERBATIM:
            return True
        parent = parent.parent
    return False


def element_text(node: LexborNode) -> str:
    """Visible text of an element as a browser lays it out: <br> is a newline, other runs of
    whitespace are one space (except inside <pre>/<code>)."""
    parts = []
    for child in node.traverse(include_text=True):
        if child.tag == "br":
            parts.append("\n")
        elif child.tag == "-text":
            raw = child.text_content or ""
            parts.append(raw if _in_verbatim(child) else _SPACE_RUN.sub(" ", raw))
    return "".join(parts).strip("\n")  # spaces at line ends are left to cleaning's normalise_line


def message_time(message: LexborNode) -> str | None:
    """The `datetime` of the message's permalink `<time>` (else of its first dated `<time>`)."""
    time = message.css_first(".tgme_widget_message_date time[datetime]") or message.css_first(
        "time[datetime]"
    )
    return time.attributes.get("datetime") if time is not None else None


def raw_datetime(text: str, start: int, end: int, value: str) -> str | None:
    """The first raw `datetime="…"` attribute in text[start:end] whose value is `value`."""
    for match in _DATETIME_ATTR.finditer(text, start, end):
        raw = next(group for group in match.groups() if group is not None)
        if html.unescape(raw) == value:
            return match.group()
    return None


def message_date(value: str | None, evidence: str | None, time_zone: str) -> DateReading:
    """The stated date and time of a message from its `datetime` value, with the raw attribute
    as evidence; `unknown` (the note quoting it) if the value cannot be read."""
    if not value:
        return UNKNOWN
    reading = read_timestamp(value, time_zone)
    if reading is None:
        return DateReading(
            None,
            DateConfidence.UNKNOWN,
            None,
            note=f"<time datetime> {value!r} is no ISO 8601 timestamp: date unknown",
        )
    return DateReading(reading.value, DateConfidence.STATED, evidence, reading.note, reading.at)


@cache
def _class_attribute(name: str) -> re.Pattern[str]:
    """A raw `class="…"` attribute holding the class `name`."""
    return re.compile(rf'class="(?:[^"]*\s)?{re.escape(name)}(?:\s[^"]*)?"')


def element_offset(text: str, start: int, end: int, name: str, occurrence: int = 1) -> int | None:
    """Offset of the `occurrence`-th element of class `name` in text[start:end], or None."""
    for k, match in enumerate(_class_attribute(name).finditer(text, start, end), start=1):
        if k == occurrence:
            return match.start()
    return None


def parse_page(lines: Sequence[SourceLine], ctx: FileContext) -> ParsedFile:
    """Parse a saved t.me/s channel page."""
    text = "\n".join(line.text for line in lines)  # offsets agree with each line's char_start
    nodes = LexborHTMLParser(text).css(MESSAGE)
    tags = list(_MESSAGE_TAG.finditer(text))
    posts = [node.attributes.get("data-post") or "" for node in nodes]
    walk = MessageWalk.start(
        lines,
        ctx,
        agree=posts == [match.group(1) or match.group(2) for match in tags],
        mismatch=f"found {len(nodes)} messages in the HTML but {len(tags)} message tags in the text",
    )
    line_of = walk.line_of
    for k, (node, tag) in enumerate(zip(nodes, tags, strict=True)):
        first = line_of(tag.start())
        # The next message often opens on the line where this one closes ("</div></div><div …"):
        # that line belongs to the message it opens.
        following = tags[k + 1].start() if k + 1 < len(tags) else len(text)
        closing = closing_div(text, tag.start(), following)
        if closing == following:
            # Unclosed, the element holds every later message: their text would be this one's,
            # and each message's queries would walk all later ones (quadratic).
            raise fail(
                ctx,
                lines[first],
                f"message {posts[k]}: its <div> does not close before the "
                + ("next message" if k + 1 < len(tags) else "end of the file"),
                "use the page exactly as t.me served it (this one looks truncated or edited)",
            )
        last = line_of(closing)
        if k + 1 < len(tags):
            last = min(last, line_of(following) - 1)
        walk.take(
            first,
            last,
            overlap="two messages start on one line, so lines cannot name one message",
            advice="use the page exactly as t.me served it",
        )
        post = posts[k]
        channel, _, number = post.partition("/")
        if (
            not USERNAME.fullmatch(channel)
            or not number.isascii()
            or not number.isdigit()
            or int(number) <= 0
        ):
            raise fail(
                ctx,
                lines[first],
                f'data-post="{post}" is not "<channel>/<message id>"',
                "save the page from https://t.me/s/<channel>",
            )
        span_end = min(closing, lines[last].char_start + len(lines[last].text))
        text_node = node.css_first(".js-message_text")
        try:
            fields = message_fields(node, channel, text_node)
        except Malformed as err:
            offset = element_offset(text, tag.start(), span_end, err.element, err.occurrence)
            where = lines[line_of(offset)] if offset is not None else lines[first]
            raise fail(ctx, where, f"message {post}: {err.problem}", _AS_SERVED) from None
        if SERVICE_CLASS in (node.attributes.get("class") or "").split():
            walk.service(first, last, channel, number)
            continue
        roles = {n: LineCategory.POST_METADATA for n in range(first, last + 1)}
        found = _TEXT_TAG.search(text, tag.start(), span_end)
        if found is not None:
            body_end = closing_div(text, found.start(), span_end)
            for n in range(line_of(found.start()), line_of(body_end) + 1):
                if n in roles:
                    roles[n] = LineCategory.POST_BODY
        value = message_time(node)
        evidence = raw_datetime(text, tag.start(), span_end, value) if value else None
        reading = message_date(value, evidence, ctx.time_zone)
        if reading.confidence == DateConfidence.STATED and evidence is None:
            raise fail(
                ctx,
                lines[first],
                f"message {post}: its <time datetime={value!r}> is not in its lines",
                "a parser bug or an unusual layout; please report it with this file",
            )
        notes = [note for note in (reading.note, EDITED_NOTE if fields.edited else None) if note]
        forwarded = node.css_first(".tgme_widget_message_forwarded_from_name")
        walk.parsed.drafts.append(
            Draft(
                kind=RecordKind.TELEGRAM_POST,
                lines=tuple(lines[first : last + 1]),
                roles=walk.roles(first, last, roles),
                published_date=reading.value,
                date_confidence=reading.confidence,
                date_evidence=reading.evidence,
                date_note="; ".join(notes) or None,
                published_at=reading.at,
                edited_at=None,  # t.me shows the edit mark only (module docstring)
                forwarded_from=(forwarded.text(deep=True).strip() or None)
                if forwarded is not None
                else None,
                url=f"https://t.me/{post}",
                channel=channel,
                native_id=number,
                reply_to_native_id=fields.reply_to,
                views=fields.views,
                reactions=fields.reactions,
                media=fields.media,
                links=fields.links,
                mentions=fields.mentions,
                text=element_text(text_node) if text_node is not None else "",
            )
        )
    return walk.finish()
