"""Parser `jsonl@2`: JSON Lines from any scraper (a Telethon dump, a news crawl), one record a line.

The manifest's `options.fields` maps our fields to dotted paths in each record (`text` required;
every other name in `FIELDS` optional; `options.channel` names the channel when records do not).
A draft's `channel` is the record's (or options') channel and its `native_id` the record's id as
text; on Telegram they give the t.me URL, and the post id is built from them as in `jsonl@1`.
Blank lines are `blank`; a line that is not a JSON object, or lacks the mapped text, stops the
build with its file, line and field.

The fields, with the names of Telethon's `Message.to_dict()` (dumped with `to_json()`) that the
README's example maps:
- `date` (`date`): ISO 8601 or epoch seconds. `published_at` is the moment in UTC when the value
  has a zone (epoch seconds are UTC); `published_date` its date in the publisher's zone
  (`FileContext.time_zone`); a naive ISO value is dated as written, with no `published_at`.
  `date_evidence` is the raw `"date": "…"` text of the line (the last step of the path as the
  key), else the raw value if it occurs verbatim; `date_note` says how the date was read.
- `edited` (`edit_date`): a timestamp, `edited_at` in UTC (None for a naive one, as the note says).
- `views`, `forwards` (`views`, `forwards`): non-negative integers; `replies` (`replies`) an
  integer or Telethon's `{"_": "MessageReplies", "replies": N}` (comments, on a channel).
- `reactions` (`reactions`): a list of `{"emoji", "count"}`, or Telethon's `MessageReactions`
  whose `results` are `ReactionCount`s of `ReactionEmoji` (its `emoticon`), `ReactionCustomEmoji`
  ("custom:<document_id>") or `ReactionPaid` ("paid").
- `reply_to` (`reply_to`): a message id, or Telethon's `MessageReplyHeader` (`reply_to_msg_id`).
  A header with a `reply_to_peer_id` replies to another chat's message and a
  `MessageReplyStoryHeader` to a story: neither gives a `reply_to_native_id`.
- `media` (`media`): a kind of `media_kinds`, a Telethon media object, or a list of them.
  MessageMediaPhoto → photo; MessageMediaDocument → sticker, video_message, voice_message,
  animation, video or audio by its flags and `DocumentAttribute…`s (as Telegram Desktop
  classifies a document), else video/audio by `mime_type`, else document; MessageMediaPoll → poll;
  MessageMediaGeo, MessageMediaGeoLive and MessageMediaVenue → location; MessageMediaContact →
  contact; MessageMediaEmpty → none; MessageMediaWebPage → no kind, but its `webpage.url` is a
  link; any other `MessageMedia…` (dice, game, invoice, story, giveaway, paid media) → other.
- `links` (`entities`): URL strings, or Telethon entities: a `MessageEntityTextUrl`'s `url` and
  the text a `MessageEntityUrl` covers (`offset`/`length` in UTF-16 code units, as Telegram
  counts). `mentions` (`entities`): names (a leading '@' is dropped), or the text of
  `MessageEntityMention`s without '@'. Other `MessageEntity…` objects (bold, hashtags, …) in the
  same list are formatting and give nothing. Both in order, each once.
- `url`, `channel`, `forwarded_from`, `title` as strings; a `title` has `title_source`
  record_field.

Signature: the first non-blank line is a JSON object (and not a whole Telegram Desktop export).
Field checks, each an error naming the file, the line and the field:
- `text`, `id` and `date`, when mapped, must be present in every record: a mapped field missing
  from any record is an error at the first such line (a field missing from every record is a wrong
  mapping, one missing from some is a scrape that changed shape; neither may turn into silent
  `unknown` dates or raw-text ids). An explicit `null` is the scrape saying "no value": a null
  `date` (or a null object on its path) is an `unknown` date, a null `text` an empty one; a null
  `id` is an error, since the id is the post's identity.
- `id`: on Telegram a positive integer (a JSON number or a string of digits); elsewhere a positive
  integer or a token of ASCII letters, digits and `._:-`. `channel` (a record's or
  `options.channel`): a Telegram username, ASCII letters, digits and `_`, with an optional `@`.
- The other fields may be absent or null (no value). Present, each must have its shape above, or
  the error also names the message: a count that is not a non-negative integer (or a string of
  digits), a reaction without a count or emoji, a reply id that is not a positive integer, an
  `edited` that is no timestamp, a media value that is neither a known kind nor a media object, a
  link or mention that is not a string or entity, an entity slice outside the text or not a URL
  or @username.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from statemedia.errors import BadInputError
from statemedia.parse import FileContext, Mismatch, ParsedFile, fail, is_blank, quote_json
from statemedia.parse.dates import UNKNOWN, DateReading, read_timestamp
from statemedia.records import Draft, Reaction, SourceLine
from statemedia.vocab import LineCategory, MediaKind, RecordKind, TitleSource

FIELDS = (
    "text",
    "id",
    "date",
    "url",
    "channel",
    "forwarded_from",
    "title",
    "views",
    "forwards",
    "replies",
    "reactions",
    "reply_to",
    "edited",
    "media",
    "links",
    "mentions",
)
_MISSING = object()
_DIGITS = re.compile(r"[0-9]+")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
USERNAME = re.compile(r"@?[A-Za-z0-9_]+")  # a Telegram username as t.me links spell it
_NAME = re.compile(r"[A-Za-z0-9_]+")  # the same without its optional "@"
_ONE_OBJECT = "each line of a jsonl file must be one JSON object"
_MEDIA_KINDS = frozenset(kind.value for kind in MediaKind)
# After a key: the colon and a string or number value, as a JSON line spells it.
_KEY_VALUE = r'\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)'
# Telethon media objects that are one media kind whatever they hold.
TELETHON_MEDIA = {
    "MessageMediaPhoto": MediaKind.PHOTO,
    "MessageMediaPoll": MediaKind.POLL,
    "MessageMediaGeo": MediaKind.LOCATION,
    "MessageMediaGeoLive": MediaKind.LOCATION,
    "MessageMediaVenue": MediaKind.LOCATION,
    "MessageMediaContact": MediaKind.CONTACT,
}
# What each optional field must hold, for the advice of its errors.
_WANTED = {
    "views": "the view count",
    "forwards": "the forward count",
    "replies": "the reply count (Telethon: replies)",
    "reactions": "the reactions (Telethon: reactions)",
    "reply_to": "the id of the replied message (Telethon: reply_to)",
    "edited": "the edit time (Telethon: edit_date)",
    "media": "the media kind or object (Telethon: media)",
    "links": "the URLs or entities (Telethon: entities)",
    "mentions": "the @usernames or entities (Telethon: entities)",
}


def lookup(record: Mapping[str, Any], path: str, null_is_value: bool = False) -> object:
    """The value at a dotted path ("fwd_from.from_name"), or `_MISSING` if a step is absent.

    With `null_is_value`, a null on the way is the value None ("no value"), not `_MISSING`.
    """
    value: object = record
    for step in path.split("."):
        if null_is_value and value is None:
            return None
        if isinstance(value, Mapping) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return _MISSING
    return value


def field_map(ctx: FileContext) -> dict[str, str]:
    """The manifest's field mapping, checked: known names only, and `text` is required."""
    fields = ctx.options.get("fields")
    if not isinstance(fields, Mapping) or "text" not in fields:
        raise fail(
            ctx,
            None,
            "format jsonl needs a field mapping with at least `text`",
            'declare options = { fields = { text = "message", id = "id", date = "date" } } '
            "in seeds/manifest.toml",
        )
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise fail(
            ctx,
            None,
            f"unknown jsonl fields {unknown}",
            f"map only {', '.join(FIELDS)} in seeds/manifest.toml",
        )
    return {name: str(path) for name, path in fields.items()}


def _optional_str(value: object) -> str | None:
    if value is _MISSING or value is None or value == "":
        return None
    return str(value)


def as_count(value: object) -> int | None:
    """A non-negative integer (a JSON number or a string of digits), or None if it is not one."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    return None


def utf16_slice(units: bytes, offset: object, length: object) -> str | None:
    """The text an entity covers, `units` being the text in UTF-16-LE; None if it is no slice."""
    start, size = as_count(offset), as_count(length)
    if start is None or size is None or 2 * (start + size) > len(units):
        return None
    try:
        return units[2 * start : 2 * (start + size)].decode("utf-16-le")
    except UnicodeDecodeError:  # the slice cuts a surrogate pair
        return None


def date_evidence(text: str, path: str, value: object) -> str | None:
    """The raw `"date": "…"` text of a line (the path's last step as the key, the value as the
    line spells it), else the raw value if it occurs verbatim; None if neither is found."""
    key = path.rsplit(".", 1)[-1]
    for quoted in dict.fromkeys((json.dumps(key, ensure_ascii=False), json.dumps(key))):
        for match in re.finditer(re.escape(quoted) + _KEY_VALUE, text):
            try:
                if json.loads(match.group(1)) == value:
                    return match.group()
            except json.JSONDecodeError:
                continue
    raw = value if isinstance(value, str) else json.dumps(value)
    return raw if raw in text else None


@dataclass(frozen=True, slots=True)
class RecordFields:
    """The optional fields of one record, read through the mapping; errors name line and message."""

    ctx: FileContext
    line: SourceLine
    fields: Mapping[str, str]
    record: Mapping[str, Any]
    who: str  # "message MFARussia/7001: ", or "" for a record without id

    def value(self, name: str) -> object:
        """The field's value; None if it is not mapped, absent or null (no value)."""
        if name not in self.fields:
            return None
        value = lookup(self.record, self.fields[name], null_is_value=True)
        return None if value is _MISSING else value

    def bad(self, name: str, problem: str) -> BadInputError:
        """The error for a malformed value of field `name`."""
        return fail(
            self.ctx,
            self.line,
            f"{self.who}{name} field {self.fields[name]!r} {problem}",
            f"map `{name}` to {_WANTED[name]} in seeds/manifest.toml, or fix the scrape",
        )

    def count(self, name: str) -> int | None:
        """views / forwards / replies: a count, or (replies) Telethon's MessageReplies."""
        value = self.value(name)
        if value is None:
            return None
        if name == "replies" and isinstance(value, dict):
            inner = value.get("replies")
            if value.get("_", "MessageReplies") == "MessageReplies" and as_count(inner) is not None:
                return as_count(inner)
            raise self.bad(
                name, f"is {quote_json(value)}, not a MessageReplies with a `replies` count"
            )
        count = as_count(value)
        if count is None:
            raise self.bad(name, f"is {quote_json(value)}, not a non-negative integer")
        return count

    def reactions(self) -> tuple[Reaction, ...]:
        """A list of {emoji, count}, or Telethon's MessageReactions."""
        value = self.value("reactions")
        if value is None:
            return ()
        if isinstance(value, dict) and value.get("_") == "MessageReactions":
            value = value.get("results")
            if not isinstance(value, list):
                raise self.bad("reactions", f"has `results` {quote_json(value)}, not a list")
        if not isinstance(value, list):
            raise self.bad(
                "reactions",
                f"is {quote_json(value)}, not a list of reactions or a MessageReactions",
            )
        return tuple(self._reaction(k, item) for k, item in enumerate(value, start=1))

    def _reaction(self, k: int, item: object) -> Reaction:
        shown = f"has reaction {k} {quote_json(item)}"
        count = as_count(item.get("count")) if isinstance(item, dict) else None
        if not isinstance(item, dict) or count is None:
            raise self.bad("reactions", f"{shown} without a count (a non-negative integer)")
        if item.get("_") == "ReactionCount":
            reaction = item.get("reaction")
            kind = reaction.get("_") if isinstance(reaction, dict) else None
            if kind == "ReactionPaid":
                return Reaction("paid", count)
            if kind == "ReactionEmoji" and isinstance(reaction, dict):
                emoji = reaction.get("emoticon")
                if isinstance(emoji, str) and emoji:
                    return Reaction(emoji, count)
            if kind == "ReactionCustomEmoji" and isinstance(reaction, dict):
                document = reaction.get("document_id")
                if isinstance(document, int | str) and not isinstance(document, bool) and document:
                    return Reaction(f"custom:{document}", count)
            raise self.bad(
                "reactions",
                f"{shown} whose reaction is none of ReactionEmoji (with its emoticon), "
                "ReactionCustomEmoji (with its document_id) and ReactionPaid",
            )
        emoji = item.get("emoji")
        if not isinstance(emoji, str) or not emoji:
            raise self.bad("reactions", f"{shown} without an emoji")
        return Reaction(emoji, count)

    def reply_to(self) -> str | None:
        """A message id, or Telethon's MessageReplyHeader (same-chat replies only)."""
        value = self.value("reply_to")
        if isinstance(value, dict):
            kind = value.get("_", "MessageReplyHeader")
            if kind == "MessageReplyStoryHeader":  # a reply to a story, not to a message
                return None
            if kind != "MessageReplyHeader":
                raise self.bad("reply_to", f"is {quote_json(value)}, not a MessageReplyHeader")
            if value.get("reply_to_peer_id") is not None:  # a reply to another chat's message
                return None
            value = value.get("reply_to_msg_id")
        if value is None:
            return None
        replied = as_count(value)
        if replied is None or replied == 0:
            raise self.bad("reply_to", f"holds {quote_json(value)}, not a positive message id")
        return str(replied)

    def edited(self) -> tuple[datetime | None, str | None]:
        """(edited_at, a note when the edit time has no zone)."""
        value = self.value("edited")
        if value is None:
            return None, None
        stated = read_timestamp(value)
        if stated is None:
            raise self.bad("edited", f"is {quote_json(value)}, neither ISO 8601 nor epoch seconds")
        if stated.at is None:
            return None, f"edited {quote_json(value)} states no time zone: edited_at unknown"
        return stated.at, None

    def media(self) -> tuple[tuple[MediaKind, ...], tuple[str, ...]]:
        """(media kinds, link-preview URLs): a kind, a Telethon media object, or a list of them."""
        value = self.value("media")
        if value is None:
            return (), ()
        items = value if isinstance(value, list) else [value]
        kinds: list[MediaKind] = []
        links: list[str] = []
        for item in items:
            if isinstance(item, str) and item in _MEDIA_KINDS:
                kinds.append(MediaKind(item))
                continue
            kind = item.get("_") if isinstance(item, dict) else None
            if not isinstance(item, dict) or not isinstance(kind, str):
                raise self.bad(
                    "media",
                    f"holds {quote_json(item)}, not a media kind ({', '.join(MediaKind)}) or a "
                    "Telethon media object",
                )
            if kind in TELETHON_MEDIA:
                kinds.append(TELETHON_MEDIA[kind])
            elif kind == "MessageMediaDocument":
                kinds.append(document_kind(item))
            elif kind == "MessageMediaWebPage":
                webpage = item.get("webpage")
                url = webpage.get("url") if isinstance(webpage, dict) else None
                if url is not None and (not isinstance(url, str) or not url):
                    raise self.bad("media", f"has a web page whose url is {quote_json(url)}")
                if url:
                    links.append(url)
            elif kind == "MessageMediaEmpty":
                continue
            elif kind.startswith("MessageMedia"):
                kinds.append(MediaKind.OTHER)
            else:
                raise self.bad("media", f"holds a {kind}, not a Telethon MessageMedia object")
        return tuple(dict.fromkeys(kinds)), tuple(links)

    def entities(self, name: str, text: str) -> tuple[str, ...]:
        """links / mentions: strings, or Telethon entities sliced from the record's `text`."""
        value = self.value(name)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.bad(name, f"is {quote_json(value)}, not a list")
        units = text.encode("utf-16-le", "surrogatepass")  # Telegram counts UTF-16 code units
        wanted = "MessageEntityMention" if name == "mentions" else "MessageEntityUrl"
        found: list[str] = []
        for k, item in enumerate(value, start=1):
            shown = f"has item {k} {quote_json(item)}"
            if isinstance(item, str):
                found.append(self._checked(name, shown, item))
                continue
            kind = item.get("_") if isinstance(item, dict) else None
            if not isinstance(item, dict) or not isinstance(kind, str):
                raise self.bad(name, f"{shown}, neither a string nor a Telethon entity")
            if name == "links" and kind == "MessageEntityTextUrl":
                url = item.get("url")
                if not isinstance(url, str):
                    raise self.bad(name, f"{shown} without a string url")
                found.append(self._checked(name, shown, url))
            elif kind == wanted:
                piece = utf16_slice(units, item.get("offset"), item.get("length"))
                if piece is None:
                    raise self.bad(
                        name,
                        f"{shown} that is no slice of the text (offset and length in UTF-16 "
                        "code units)",
                    )
                if name == "mentions" and not piece.startswith("@"):
                    raise self.bad(name, f"{shown} covering {piece!r}, not an @username")
                found.append(self._checked(name, shown, piece))
            elif not kind.startswith("MessageEntity"):
                raise self.bad(name, f"{shown}, a {kind}, not a Telethon MessageEntity")
        return tuple(dict.fromkeys(found))

    def _checked(self, name: str, shown: str, value: str) -> str:
        """A link (no whitespace) or a mention (a username, without '@'), else an error."""
        if name == "mentions":
            username = value.removeprefix("@")
            if not _NAME.fullmatch(username):
                raise self.bad(name, f"{shown}: {value!r} is not a Telegram username")
            return username
        if not value or any(c.isspace() for c in value):
            raise self.bad(name, f"{shown}: {value!r} is not a URL")
        return value


def document_kind(media: Mapping[str, Any]) -> MediaKind:
    """The kind of a Telethon MessageMediaDocument, in Telegram Desktop's order of precedence."""
    document = media.get("document")
    attributes = document.get("attributes") if isinstance(document, dict) else None
    attrs = {
        attr["_"]: attr
        for attr in (attributes if isinstance(attributes, list) else ())
        if isinstance(attr, dict) and isinstance(attr.get("_"), str)
    }
    video, audio = attrs.get("DocumentAttributeVideo", {}), attrs.get("DocumentAttributeAudio", {})
    mime = document.get("mime_type") if isinstance(document, dict) else None
    mime = mime if isinstance(mime, str) else ""
    if "DocumentAttributeSticker" in attrs or "DocumentAttributeCustomEmoji" in attrs:
        return MediaKind.STICKER
    if media.get("round") is True or video.get("round_message") is True:
        return MediaKind.VIDEO_MESSAGE
    if media.get("voice") is True or audio.get("voice") is True:
        return MediaKind.VOICE_MESSAGE
    if "DocumentAttributeAnimated" in attrs:
        return MediaKind.ANIMATION
    if media.get("video") is True or video or mime.startswith("video/"):
        return MediaKind.VIDEO
    if audio or mime.startswith("audio/"):
        return MediaKind.AUDIO
    return MediaKind.DOCUMENT


def _not_a_record(text: str) -> str | None:
    """Why one line is not a JSON object, or None if it is one."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as err:
        return f"not JSON ({err.msg} at column {err.colno})"
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not an object"
    return None


def jsonl_signature(lines: Sequence[SourceLine]) -> Mismatch | None:
    """JSON Lines: the first non-blank line is one JSON object, and not a whole chat export."""
    first = next((line for line in lines if not is_blank(line)), None)
    if first is None:
        return Mismatch(None, "no JSON record", _ONE_OBJECT)
    problem = _not_a_record(first.text)
    if problem is not None:
        return Mismatch(first.number, problem, _ONE_OBJECT)
    if isinstance(json.loads(first.text).get("messages"), list):
        return Mismatch(
            first.number,
            "a JSON object with a `messages` list, as a whole Telegram Desktop export is",
            _ONE_OBJECT,
        )
    return None


def _native_id(ctx: FileContext, line: SourceLine, path: str, value: object) -> str:
    """A record's id as text, refused unless it is a safe id for its platform."""
    if value is _MISSING:
        raise fail(
            ctx,
            line,
            f"no id field {path!r} (mapped as `id`)",
            "every record needs its id; fix options.fields.id in seeds/manifest.toml or the scrape",
        )
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and _DIGITS.fullmatch(value) and int(value) > 0:
        return value
    if ctx.platform != "telegram" and isinstance(value, str) and _TOKEN.fullmatch(value):
        return value
    kind = (
        "a positive integer (a Telegram message id)"
        if ctx.platform == "telegram"
        else "a positive integer or a token of ASCII letters, digits and ._:-"
    )
    raise fail(
        ctx,
        line,
        f"id field {path!r} is {json.dumps(value, ensure_ascii=False)}, not {kind}",
        "map `id` to the scrape's message id",
    )


def _channel(ctx: FileContext, line: SourceLine | None, where: str, value: object) -> str | None:
    """A channel username without '@', refused unless it is one; None if there is none."""
    if value is _MISSING or value is None or value == "":
        return None
    if isinstance(value, str) and USERNAME.fullmatch(value):
        return value.lstrip("@")
    raise fail(
        ctx,
        line,
        f"{where} is {json.dumps(value, ensure_ascii=False)}, not a Telegram username "
        "(letters, digits and _)",
        "fix the channel in seeds/manifest.toml or the field mapping",
    )


def parse_jsonl(lines: Sequence[SourceLine], ctx: FileContext) -> ParsedFile:
    """Parse JSON Lines, one record a line, through the manifest's field mapping."""
    fields = field_map(ctx)
    default_channel = _channel(ctx, None, "options.channel", ctx.options.get("channel"))
    kind = RecordKind.TELEGRAM_POST if ctx.platform == "telegram" else RecordKind.ARTICLE
    parsed = ParsedFile()
    for line in lines:
        if is_blank(line):
            parsed.mark([line], LineCategory.BLANK)
            continue
        try:
            record = json.loads(line.text)
        except json.JSONDecodeError as err:
            raise fail(
                ctx, line, f"not JSON ({err.msg} at column {err.colno})", _ONE_OBJECT
            ) from err
        if not isinstance(record, dict):
            raise fail(ctx, line, f"a JSON {type(record).__name__}, not an object", _ONE_OBJECT)
        text = lookup(record, fields["text"])
        if text is _MISSING:
            raise fail(
                ctx,
                line,
                f"no text field {fields['text']!r} (mapped as `text`)",
                "fix options.fields.text in seeds/manifest.toml or the scrape",
            )
        if text is not None and not isinstance(text, str):
            raise fail(
                ctx,
                line,
                f"text field {fields['text']!r} holds a {type(text).__name__}, not a string",
                "map `text` to the field that holds the message text",
            )
        values = {name: lookup(record, path) for name, path in fields.items() if name != "text"}
        reading = UNKNOWN
        if "date" in fields:
            raw_date = lookup(record, fields["date"], null_is_value=True)
            if raw_date is _MISSING:
                raise fail(
                    ctx,
                    line,
                    f"no date field {fields['date']!r} (mapped as `date`)",
                    "every record needs the mapped field (null for no date); fix "
                    "options.fields.date in seeds/manifest.toml or the scrape",
                )
            if raw_date is not None:
                stated = read_timestamp(raw_date, ctx.time_zone)
                if stated is None:
                    raise fail(
                        ctx,
                        line,
                        f"date field {fields['date']!r} is {raw_date!r}, neither ISO 8601 nor "
                        "epoch seconds",
                        "map `date` to a timestamp field",
                    )
                evidence = date_evidence(line.text, fields["date"], raw_date)
                reading = DateReading(
                    stated.value, stated.confidence, evidence, stated.note, stated.at
                )
        native = None
        if "id" in fields:
            native = _native_id(
                ctx, line, fields["id"], lookup(record, fields["id"], null_is_value=True)
            )
        channel = default_channel
        if "channel" in fields:
            where = f"channel field {fields['channel']!r}"
            channel = _channel(ctx, line, where, values["channel"]) or default_channel
        url = _optional_str(values.get("url", _MISSING))
        if url is None and ctx.platform == "telegram" and channel and native is not None:
            url = f"https://t.me/{channel}/{native}"
        # Errors in the optional fields name the message, "MFARussia/12345" as t.me does.
        who = "" if native is None else f"message {f'{channel}/' if channel else ''}{native}: "
        read = RecordFields(ctx, line, fields, record, who)
        edited_at, edit_note = read.edited()
        media, previews = read.media()
        title = _optional_str(values.get("title", _MISSING))
        parsed.drafts.append(
            Draft(
                kind=kind,
                lines=(line,),
                roles=(LineCategory.POST_BODY,),
                title=title,
                title_source=TitleSource.RECORD_FIELD if title is not None else None,
                published_date=reading.value,
                date_confidence=reading.confidence,
                date_evidence=reading.evidence,
                date_note="; ".join(n for n in (reading.note, edit_note) if n) or None,
                published_at=reading.at,
                edited_at=edited_at,
                forwarded_from=_optional_str(values.get("forwarded_from", _MISSING)),
                url=url,
                channel=channel,
                native_id=native,
                reply_to_native_id=read.reply_to(),
                views=read.count("views"),
                forwards=read.count("forwards"),
                replies=read.count("replies"),
                reactions=read.reactions(),
                media=media,
                links=tuple(dict.fromkeys(read.entities("links", text or "") + previews)),
                mentions=read.entities("mentions", text or ""),
                text=text or "",
            )
        )
    return parsed
