"""Parser `telegram_export@1`: a Telegram Desktop channel export (`result.json`, "Export chat history").

Each element of `messages` is located in the pretty-printed file by a string-aware bracket scanner
and zipped with `json.loads`' list; its lines become one draft whose text is the JSON value (`text`
lines are `post_body`, the `text_entities` copy `repeated_body`, other fields `post_metadata`).
Service messages (pins, photo changes) are `service_message`; lines outside messages are
`export_structure`. The manifest must name the channel: `options = { channel = "MFARussia" }`.

Signature: a JSON object with a `messages` list (checked on the text before parsing, and on the
parsed value after). Field checks, each an error naming the file, the line of the field and the
message id:
- `id`: a positive integer (it names the post and its t.me link);
- `text`: a string, or a list of strings and entity objects whose `text` is a string;
  `text_entities`, if present, a list of entity objects;
- `date` and `date_unixtime`, if present, strings (or numbers); one that is present but unreadable
  leaves the date `unknown`, as it always has, but a readable one outside the plausible window is
  an error (statemedia.parse.dates);
- `forwarded_from`: a string or null; `reactions`, if present, a list of objects each with a
  non-negative integer `count`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from statemedia.parse import (
    FileContext,
    MessageWalk,
    Mismatch,
    ParsedFile,
    fail,
    is_blank,
    wrong_format,
)
from statemedia.parse.dates import UNKNOWN, DateReading, read_timestamp
from statemedia.records import Draft, SourceLine
from statemedia.vocab import DateConfidence, LineCategory, RecordKind

FORMAT = "telegram_export"
CHANNEL_TYPES = frozenset({"public_channel", "private_channel"})
# A JSON string (escapes included), or one structural character; everything else is skipped.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:]')
_MESSAGES_KEY = re.compile(r'"messages"\s*:\s*\[')
_CHATS_KEY = re.compile(r'"chats"\s*:\s*\{')  # a whole-account export's list of chats
USERNAME = re.compile(r"[A-Za-z0-9_]+")  # a Telegram username as t.me links spell it
_AS_WRITTEN = "use the export exactly as Telegram Desktop wrote it, or export the channel again"


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


def message_date(message: dict[str, Any]) -> DateReading:
    """The stated date: `date_unixtime` (UTC) if present, else the local-time `date` of old exports."""
    unixtime, local = message.get("date_unixtime"), message.get("date")
    reading = read_timestamp(unixtime) if unixtime is not None else None
    if reading is not None:
        evidence = f"date_unixtime {unixtime} (UTC); date {local} (exporter's local time)"
    else:
        reading = read_timestamp(local) if local is not None else None
        if reading is None:
            return UNKNOWN
        evidence = f"date {local} (exporter's local time)"
    if message.get("edited_unixtime") or message.get("edited"):
        # The text is the edited version; the publication date is still the original one.
        evidence += f"; edited {message.get('edited_unixtime') or message.get('edited')}"
    return DateReading(reading.value, DateConfidence.STATED, evidence)


def _describe(value: object) -> str:
    """A JSON value in a few words: 'the number 5', 'an object {"a": 1}', 'null'."""
    if value is None:
        return "null"
    kind = {bool: "the boolean", int: "the number", float: "the number", str: "the string"}.get(
        type(value), "a list" if isinstance(value, list) else "an object"
    )
    shown = json.dumps(value, ensure_ascii=False)
    return f"{kind} {shown if len(shown) <= 60 else shown[:59] + '…'}"


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
    for name in ("date", "date_unixtime"):
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
            count = reaction.get("count") if isinstance(reaction, dict) else None
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                return "reactions", (
                    f"reaction {k} ({_describe(reaction)}) has no count (a non-negative integer)"
                )
    return None


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
            walk.service(first, last, f"{channel}/{message['id']}")
            continue
        reading = message_date(message)
        forwarded = message.get("forwarded_from")
        walk.parsed.drafts.append(
            Draft(
                kind=RecordKind.TELEGRAM_POST,
                lines=tuple(lines[first : last + 1]),
                roles=walk.roles(first, last, _roles(span, first, last, walk.line_of)),
                published_date=reading.value,
                date_confidence=reading.confidence,
                date_evidence=reading.evidence,
                forwarded_from=str(forwarded) if forwarded else None,
                url=f"https://t.me/{channel}/{message['id']}",
                native_id=f"{channel}/{message['id']}",
                text=message_text(message),
            )
        )
    return walk.finish()
