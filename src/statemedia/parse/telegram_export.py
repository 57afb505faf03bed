"""Parser `telegram_export@2`: a Telegram Desktop channel export (`result.json`, "Export chat history").

Each element of `messages` is located in the pretty-printed file by a string-aware bracket scanner
and zipped with `json.loads`' list; its lines become one draft whose text is the JSON value (`text`
lines are `post_body`, the `text_entities` copy `repeated_body`, other fields `post_metadata`).
Service messages (pins, photo changes) are `service_message`; lines outside messages are
`export_structure`. The manifest must name the channel: `options = { channel = "MFARussia" }`.

What a draft carries (Telegram Desktop's field names; each absent field leaves its value empty):
- `channel` = options.channel, `native_id` = the message `id` as text ("12345"); the post id and
  t.me URL are built from them exactly as in `telegram_export@1`.
- Dates. `date_unixtime` is epoch seconds, UTC: `published_at` is that moment and
  `published_date` its calendar date in the publisher's zone (`FileContext.time_zone`, e.g.
  Europe/Moscow, so a post at 21:40 UTC is dated the next day). `date` is the exporting computer's
  local time, so it is used only when there is no readable `date_unixtime` (old exports): then
  `published_date` is its date as written and `published_at` is None. `date_evidence` is the raw
  `"date_unixtime": "…"` (or `"date": "…"`) text of its line; `date_note` says which field was
  read, in which zone, and why `date` is not. A date present but unreadable leaves the date
  `unknown` (as in @1), and the note says so.
- `edited_at` from `edited_unixtime` (UTC). A naive `edited` alone (exporter's local time) gives no
  `edited_at`, which the note says. The edit is never in the evidence.
- `reactions`: `{"type": "emoji", "count", "emoji"}` → Reaction(emoji, count); `custom_emoji` with
  `document_id` → "custom:<document_id>"; `paid` (Telegram Stars) → "paid". A reaction without a
  `type` is read as an emoji reaction (third-party exports). The `recent` reactors are not read.
- `reply_to_native_id` from `reply_to_message_id`. Desktop adds `reply_to_peer_id` only for a
  reply to a message of another chat; such a reply has no `reply_to_native_id` (the id would name
  a message of another channel, which no row field can say).
- `media`, in the message's key order, each kind once: `photo` → photo; `media_type`
  video_file → video, animation, audio_file → audio, voice_message, video_message, sticker, and an
  unknown `media_type` → other; a `file` without `media_type` → document; `poll` → poll;
  `location_information` or a venue's `place_name` → location; `contact_information` → contact;
  the rarer media Desktop writes (`todo_list`, `game_title`, `invoice_information`,
  `giveaway_information`, `giveaway_results`, `paid_stars_amount`) → other.
- `links` from the entities (`text_entities`, or the entity objects of a `text` list in exports
  without it) of type `link` (its text, as written) and `text_link` (its `href`); `mentions` from
  `mention` entities (the text without '@'); in order, each once. A `mention_name` entity names a
  user without a username and gives no mention. Hashtags are not read here: clean extracts them
  from the text, which holds the `hashtag` entities' text.
- `views`, `forwards`, `replies`: None. Telegram Desktop does not export view, forward or reply
  counts (`export_output_json.cpp` writes none), so none is read or invented.

Signature: a JSON object with a `messages` list (checked on the text before parsing, and on the
parsed value after). Field checks, each an error naming the file, the line of the field and the
message id:
- `id`: a positive integer (it names the post and its t.me link);
- `text`: a string, or a list of strings and entity objects whose `text` is a string;
  `text_entities`, if present, a list of entity objects; a `text_link` entity's `href` a string;
- `date`, `date_unixtime`, `edited` and `edited_unixtime`, if present, strings (or numbers); a
  readable date outside the plausible window is an error (statemedia.parse.dates);
- `forwarded_from`: a string or null;
- `reactions`, if present, a list of objects each with a non-negative integer `count`, and a
  non-empty `emoji` (type emoji), a `document_id` (type custom_emoji) or nothing (type paid);
  another `type` is an error;
- `reply_to_message_id`: a positive integer; `reply_to_peer_id` a string;
- media fields: `photo`, `file`, `media_type` and `place_name` strings; `poll` and
  `contact_information` objects; `location_information` an object or null.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from statemedia.parse import (
    FileContext,
    MessageWalk,
    Mismatch,
    ParsedFile,
    fail,
    is_blank,
    quote_json,
    wrong_format,
)
from statemedia.parse.dates import DateReading, read_timestamp
from statemedia.records import Draft, Reaction, SourceLine
from statemedia.vocab import DateConfidence, LineCategory, MediaKind, RecordKind

FORMAT = "telegram_export"
CHANNEL_TYPES = frozenset({"public_channel", "private_channel"})
# A JSON string (escapes included), or one structural character; everything else is skipped.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:]')
_MESSAGES_KEY = re.compile(r'"messages"\s*:\s*\[')
_CHATS_KEY = re.compile(r'"chats"\s*:\s*\{')  # a whole-account export's list of chats
USERNAME = re.compile(r"[A-Za-z0-9_]+")  # a Telegram username as t.me links spell it
_AS_WRITTEN = "use the export exactly as Telegram Desktop wrote it, or export the channel again"
# A key and its scalar value on one line, as `"date_unixtime": "1738665000"` stands in the file.
_RAW_FIELD = re.compile(
    r'"(?:[^"\\\n]|\\.)*"[^\S\n]*:[^\S\n]*'
    r'(?:"(?:[^"\\\n]|\\.)*"|-?[0-9][0-9.eE+-]*|true|false|null)'
)
# Telegram Desktop's `media_type` of a `file`, as our media kinds (an unknown one is `other`).
MEDIA_TYPES = {
    "video_file": MediaKind.VIDEO,
    "animation": MediaKind.ANIMATION,
    "audio_file": MediaKind.AUDIO,
    "voice_message": MediaKind.VOICE_MESSAGE,
    "video_message": MediaKind.VIDEO_MESSAGE,
    "sticker": MediaKind.STICKER,
}
# The other keys by which Desktop writes a message's media (export_output_json.cpp).
MEDIA_KEYS = {
    "poll": MediaKind.POLL,
    "location_information": MediaKind.LOCATION,
    "place_name": MediaKind.LOCATION,  # a venue; its location_information may be missing
    "contact_information": MediaKind.CONTACT,
    "todo_list": MediaKind.OTHER,
    "game_title": MediaKind.OTHER,
    "invoice_information": MediaKind.OTHER,
    "giveaway_information": MediaKind.OTHER,
    "giveaway_results": MediaKind.OTHER,
    "paid_stars_amount": MediaKind.OTHER,
}
# Media fields and the JSON shape Telegram Desktop writes for each: (key, shape in words, check).
_MEDIA_SHAPES: tuple[tuple[str, str, Callable[[object], bool]], ...] = (
    ("photo", "a file path string", lambda v: isinstance(v, str)),
    ("file", "a file path string", lambda v: isinstance(v, str)),
    ("media_type", "a media type name", lambda v: isinstance(v, str)),
    ("place_name", "a place name", lambda v: isinstance(v, str)),
    ("poll", "a poll object", lambda v: isinstance(v, dict)),
    ("contact_information", "a contact object", lambda v: isinstance(v, dict)),
    (
        "location_information",
        "a location object or null",
        lambda v: v is None or isinstance(v, dict),
    ),
)


def _roles(
    span: MessageSpan, first: int, last: int, line_of: Callable[[int], int]
) -> dict[int, LineCategory]:
    """Per line of a message: its text field's lines are the body, the entity copy is repeated."""
    roles = {k: LineCategory.POST_METADATA for k in range(first, last + 1)}
    keys = [key for key, _ in span.keys]
    body_key = "text" if "text" in keys else "text_entities"
    for wanted, role in (
        ("text_entities", LineCategory.REPEATED_BODY),
        (body_key, LineCategory.POST_BODY),
    ):
        for k, (key, offset) in enumerate(span.keys):
            if key != wanted:
                continue
            following = span.keys[k + 1][1] if k + 1 < len(span.keys) else span.end
            key_line = line_of(offset)
            for n in range(key_line, max(key_line, line_of(following) - 1) + 1):
                roles[n] = role
    return roles


def _key_line(span: MessageSpan, key: str, line_of: Callable[[int], int]) -> int:
    """The line (index) of a message's key, or of its opening brace if the key is not there."""
    offset = next((offset for name, offset in span.keys if name == key), span.start)
    return line_of(offset)


def parse_export(lines: Sequence[SourceLine], ctx: FileContext) -> ParsedFile:
    """Parse a Telegram Desktop JSON export of one channel."""
    channel = str(ctx.options.get("channel", "")).lstrip("@")
    if not channel:
        raise fail(
            ctx,
            None,
            "a telegram_export needs the channel's username for ids and t.me links",
            'declare options = { channel = "MFARussia" } in seeds/manifest.toml',
        )
    if not USERNAME.fullmatch(channel):
        raise fail(
            ctx,
            None,
            f"options.channel {channel!r} is not a Telegram username (letters, digits and _)",
            "declare the channel's username as in its t.me link, in seeds/manifest.toml",
        )
    text = "\n".join(line.text for line in lines)  # offsets agree with each line's char_start
    try:
        root = json.loads(text)
    except json.JSONDecodeError as err:
        raise wrong_format(
            ctx,
            FORMAT,
            lines,
            Mismatch(err.lineno, f"not JSON ({err.msg})", "re-export the chat history as JSON"),
        ) from err
    if not isinstance(root, dict) or not isinstance(root.get("messages"), list):
        whole = isinstance(root, dict) and "chats" in root
        raise wrong_format(
            ctx,
            FORMAT,
            lines,
            Mismatch(
                None,
                "a whole-account export (no root `messages`)"
                if whole
                else "not a Telegram Desktop chat export (no root `messages` list)",
                "export the single channel with 'Export chat history' in JSON format",
            ),
        )
    if root.get("type") not in CHANNEL_TYPES:
        raise fail(
            ctx,
            None,
            f"not a channel export (type {root.get('type')!r}, name {root.get('name')!r})",
            "only public_channel and private_channel exports are channel messaging",
        )
    spans, messages = message_spans(text), root["messages"]
    walk = MessageWalk.start(
        lines,
        ctx,
        agree=len(spans) == len(messages),
        mismatch=f"located {len(spans)} message objects but the JSON holds {len(messages)}",
    )
    for span, message in zip(spans, messages, strict=True):
        first, last = walk.line_of(span.start), walk.line_of(span.end)
        walk.take(
            first,
            last,
            overlap="two messages share a line, so lines cannot name one message",
            advice="use the export exactly as Telegram Desktop wrote it (one field per line)",
        )
        if not isinstance(message, dict) or "id" not in message:
            raise fail(ctx, lines[first], "a message without an id", "re-export the channel")
        problem = message_problem(message)
        if problem is not None:
            key, what = problem
            where = lines[_key_line(span, key, walk.line_of)]
            named = what if key == "id" else f"message {channel}/{message['id']}: {what}"
            raise fail(ctx, where, named, _AS_WRITTEN)
        if message.get("type") == "service":  # pinned, photo changed, channel created: no post
            walk.service(first, last, channel, str(message["id"]))
            continue
        reading, edited_at = message_dates(message, partial(raw_field, text, span), ctx.time_zone)
        forwarded = message.get("forwarded_from")
        links, mentions = message_links(message)
        walk.parsed.drafts.append(
            Draft(
                kind=RecordKind.TELEGRAM_POST,
                lines=tuple(lines[first : last + 1]),
                roles=walk.roles(first, last, _roles(span, first, last, walk.line_of)),
                published_date=reading.value,
                date_confidence=reading.confidence,
                date_evidence=reading.evidence,
                date_note=reading.note,
                published_at=reading.at,
                edited_at=edited_at,
                forwarded_from=str(forwarded) if forwarded else None,
                url=f"https://t.me/{channel}/{message['id']}",
                channel=channel,
                native_id=str(message["id"]),
                reply_to_native_id=message_reply(message),
                reactions=message_reactions(message),
                media=message_media(message),
                links=links,
                mentions=mentions,
                text=message_text(message),
            )
        )
    return walk.finish()


@dataclass(slots=True)
class MessageSpan:
    """Where one element of the root `messages` array sits in the file (character offsets)."""

    start: int  # offset of its '{'
    end: int = -1  # offset of its '}'
    keys: list[tuple[str, int]] = field(default_factory=list)  # its own keys and their offsets


def message_spans(text: str) -> list[MessageSpan]:
    """Locate every element of the root object's `messages` array; the text must be valid JSON."""
    depth, pending, root_key, in_messages = 0, None, None, False
    spans: list[MessageSpan] = []
    current: MessageSpan | None = None
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0] == '"':
            pending = match
            continue
        if token == ":":  # the string just before a colon is a key
            if pending is not None:
                raw = pending.group()
                key = json.loads(raw) if "\\" in raw else raw[1:-1]  # decode only escaped keys
                if depth == 1:
                    root_key = key
                elif depth == 3 and current is not None:
                    current.keys.append((key, pending.start()))
            pending = None
            continue
        pending = None
        if token in "{[":
            depth += 1
            if depth == 2 and token == "[" and root_key == "messages":
                in_messages = True
            elif depth == 3 and in_messages and token == "{":
                current = MessageSpan(match.start())
        else:
            if depth == 3 and current is not None and token == "}":
                current.end = match.start()
                spans.append(current)
                current = None
            elif depth == 2 and in_messages:
                in_messages = False
            depth -= 1
    return spans


def export_signature(lines: Sequence[SourceLine]) -> Mismatch | None:
    """An export: the text opens a JSON object, and a `messages` list is in it."""
    first = next((line for line in lines if not is_blank(line)), None)
    if first is None or not first.text.lstrip().startswith("{"):
        return Mismatch(
            first.number if first else None,
            "not a JSON object, as a Telegram Desktop export (result.json) is",
            "export the channel with 'Export chat history' in JSON format",
        )
    if not any(_MESSAGES_KEY.search(line.text) for line in lines):
        whole = any(_CHATS_KEY.search(line.text) for line in lines)
        return Mismatch(
            None,
            "a whole-account export (no root `messages`)"
            if whole
            else "no `messages` list, which every Telegram Desktop chat export has",
            "export the single channel with 'Export chat history' in JSON format",
        )
    return None


def entity_text(value: Any) -> str:
    """Concatenate a `text` / `text_entities` value: a string, or strings and {"text": …} parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in value
            if isinstance(part, str | dict)
        )
    return ""


def message_text(message: dict[str, Any]) -> str:
    """The message's text; `text_entities` (uniform objects, exports since 2021) before `text`."""
    if isinstance(message.get("text_entities"), list):
        return entity_text(message["text_entities"])
    return entity_text(message.get("text", ""))


def message_entities(message: dict[str, Any]) -> list[Any]:
    """The entities links and mentions are read from: `text_entities`, or the entity objects of a
    `text` list in exports without it."""
    if isinstance(message.get("text_entities"), list):
        return list(message["text_entities"])
    text = message.get("text")
    return [part for part in text if isinstance(part, dict)] if isinstance(text, list) else []


def raw_field(text: str, span: MessageSpan, key: str) -> str | None:
    """The raw `"key": value` text of one of a message's scalar fields, exactly as it stands in its
    line; None if the message has no such key or its value is not on the key's line."""
    offset = next((offset for name, offset in span.keys if name == key), None)
    if offset is None:
        return None
    match = _RAW_FIELD.match(text, offset)
    return match.group() if match else None


def message_dates(
    message: dict[str, Any], raw: Callable[[str], str | None], time_zone: str
) -> tuple[DateReading, datetime | None]:
    """The publication date (with its raw evidence and note) and the edit time of a message.

    `date_unixtime` (UTC) gives the moment, dated in `time_zone`; the local-time `date` is read only
    in exports without a readable `date_unixtime`. The note also says why an edit time is unknown.
    """
    notes: list[str] = []
    unixtime, local = message.get("date_unixtime"), message.get("date")
    reading = read_timestamp(unixtime, time_zone) if unixtime is not None else None
    evidence = None
    if reading is not None:
        evidence = raw("date_unixtime")
        notes.append(
            f"date_unixtime: {reading.note}; `date` is the exporting computer's local time, "
            "not used"
        )
    else:
        if unixtime is not None:
            notes.append(f"date_unixtime {json.dumps(unixtime)} is unreadable")
        reading = read_timestamp(local, time_zone) if local is not None else None
        if reading is not None:
            evidence = raw("date")
            notes.append(
                "no date_unixtime: `date` is the exporting computer's local time, its date taken "
                "as written; published_at unknown"
                if reading.at is None
                else f"date: {reading.note}"
            )
        elif local is not None:
            notes.append(
                f"`date` {json.dumps(local, ensure_ascii=False)} is unreadable: date unknown"
            )
    edited_at = None
    edited_unixtime, edited = message.get("edited_unixtime"), message.get("edited")
    if edited_unixtime is not None:
        stated = read_timestamp(edited_unixtime)
        edited_at = stated.at if stated else None
        if edited_at is None:
            notes.append(
                f"edited_unixtime {json.dumps(edited_unixtime)} is unreadable: edited_at unknown"
            )
    elif edited is not None:
        stated = read_timestamp(edited)
        edited_at = stated.at if stated else None
        if edited_at is None:
            notes.append(
                "edited, but only `edited` (the exporting computer's local time) is given: "
                "edited_at unknown"
            )
    note = "; ".join(notes) or None
    if reading is None:
        return DateReading(None, DateConfidence.UNKNOWN, None, note), edited_at
    return DateReading(reading.value, DateConfidence.STATED, evidence, note, reading.at), edited_at


def message_reactions(message: dict[str, Any]) -> tuple[Reaction, ...]:
    """The reactions of a message checked by `message_problem`, as (emoji, count)."""
    reactions = []
    for reaction in message.get("reactions", ()):
        kind = reaction.get("type", "emoji")
        if kind == "custom_emoji":
            emoji = f"custom:{reaction['document_id']}"
        elif kind == "paid":
            emoji = "paid"
        else:
            emoji = reaction["emoji"]
        reactions.append(Reaction(emoji, reaction["count"]))
    return tuple(reactions)


def message_reply(message: dict[str, Any]) -> str | None:
    """The id of the message this one replies to, if that message is in the same channel."""
    replied = message.get("reply_to_message_id")
    if replied is None or "reply_to_peer_id" in message:  # a reply to another chat's message
        return None
    return str(replied)


def message_media(message: dict[str, Any]) -> tuple[MediaKind, ...]:
    """The media kinds of a message, in the order of their keys, each once."""
    kinds: list[MediaKind] = []
    for key in message:
        if key == "photo":
            kinds.append(MediaKind.PHOTO)
        elif key == "media_type":
            kinds.append(MEDIA_TYPES.get(message[key], MediaKind.OTHER))
        elif key == "file" and "media_type" not in message:
            kinds.append(MediaKind.DOCUMENT)
        elif key in MEDIA_KEYS:
            kinds.append(MEDIA_KEYS[key])
    return tuple(dict.fromkeys(kinds))


def message_links(message: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(links, mentions) of a message's entities, in order, each once."""
    links: list[str] = []
    mentions: list[str] = []
    for entity in message_entities(message):
        kind = entity.get("type")
        if kind == "link":
            links.append(entity["text"])
        elif kind == "text_link":
            links.append(entity["href"])
        elif kind == "mention":
            mentions.append(entity["text"].lstrip("@"))
    return tuple(dict.fromkeys(links)), tuple(dict.fromkeys(mentions))


def _describe(value: object) -> str:
    """A JSON value in a few words: 'the number 5', 'an object {"a": 1}', 'null'."""
    if value is None:
        return "null"
    kind = {bool: "the boolean", int: "the number", float: "the number", str: "the string"}.get(
        type(value), "a list" if isinstance(value, list) else "an object"
    )
    return f"{kind} {quote_json(value)}"


def _text_problem(name: str, value: object, *, entities_only: bool) -> str | None:
    """What is wrong with a `text` / `text_entities` value, or None if it is well formed."""
    if isinstance(value, str) and not entities_only:
        return None
    if not isinstance(value, list):
        wanted = (
            "a list of entity objects"
            if entities_only
            else "a string or a list of strings and entity objects"
        )
        return f"`{name}` is {_describe(value)}, not {wanted}"
    for k, part in enumerate(value, start=1):
        if isinstance(part, str) and not entities_only:
            continue
        if not isinstance(part, dict):
            return f"part {k} of `{name}` is {_describe(part)}, not an entity object"
        if not isinstance(part.get("text"), str):
            return f"entity {k} of `{name}` has no string `text`"
        if part.get("type") == "text_link" and not isinstance(part.get("href"), str):
            return f"text_link entity {k} of `{name}` has no string `href` (its URL)"
        if part.get("type") == "mention" and not part["text"].lstrip("@"):
            return f"mention entity {k} of `{name}` names no username ({_describe(part)})"
    return None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _reaction_problem(k: int, reaction: object) -> str | None:
    """What is wrong with the k-th reaction, or None if it is well formed."""
    shown = f"reaction {k} ({_describe(reaction)})"
    if not isinstance(reaction, dict) or not _is_count(reaction.get("count")):
        return f"{shown} has no count (a non-negative integer)"
    kind = reaction.get("type", "emoji")
    if kind == "emoji":
        emoji = reaction.get("emoji")
        if not isinstance(emoji, str) or not emoji:
            return f"{shown} has no emoji"
    elif kind == "custom_emoji":
        document = reaction.get("document_id")
        if isinstance(document, bool) or not isinstance(document, str | int) or document == "":
            return f"{shown} has no document_id (the custom emoji)"
    elif kind != "paid":
        named = json.dumps(kind, ensure_ascii=False)
        return f"{shown} has type {named}, not emoji, custom_emoji or paid"
    return None


def message_problem(message: dict[str, Any]) -> tuple[str, str] | None:
    """(the field, what is wrong with it) for the first malformed field of a message, or None."""
    native = message["id"]
    if isinstance(native, bool) or not isinstance(native, int) or native <= 0:
        return "id", f"message id is {_describe(native)}, not a positive integer"
    if "text" in message:
        problem = _text_problem("text", message["text"], entities_only=False)
        if problem:
            return "text", problem
    if "text_entities" in message:
        problem = _text_problem("text_entities", message["text_entities"], entities_only=True)
        if problem:
            return "text_entities", problem
    for name in ("date", "date_unixtime", "edited", "edited_unixtime"):
        value = message.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
            return name, f"`{name}` is {_describe(value)}, not a timestamp string"
    forwarded = message.get("forwarded_from")
    if forwarded is not None and not isinstance(forwarded, str):
        return "forwarded_from", f"`forwarded_from` is {_describe(forwarded)}, not a name"
    if "reactions" in message:
        reactions = message["reactions"]
        if not isinstance(reactions, list):
            return "reactions", f"`reactions` is {_describe(reactions)}, not a list"
        for k, reaction in enumerate(reactions, start=1):
            problem = _reaction_problem(k, reaction)
            if problem:
                return "reactions", problem
    if "reply_to_message_id" in message:
        replied = message["reply_to_message_id"]
        if isinstance(replied, bool) or not isinstance(replied, int) or replied <= 0:
            return "reply_to_message_id", (
                f"`reply_to_message_id` is {_describe(replied)}, not a positive integer"
            )
    if "reply_to_peer_id" in message and not isinstance(message["reply_to_peer_id"], str):
        peer = message["reply_to_peer_id"]
        return "reply_to_peer_id", f"`reply_to_peer_id` is {_describe(peer)}, not a chat id"
    for name, wanted, ok in _MEDIA_SHAPES:
        if name in message and not ok(message[name]):
            return name, f"`{name}` is {_describe(message[name])}, not {wanted}"
    return None
