"""Parser `jsonl@1`: JSON Lines from any scraper (a Telethon dump, a news crawl), one record a line.

The manifest's `options.fields` maps our fields to dotted paths in each record (`text` required; `id`,
`date`, `url`, `channel`, `forwarded_from`, `title` optional; `options.channel` names the channel
when records do not). An id with a channel gives native id "<channel>/<id>" and, on Telegram, a t.me
URL. Blank lines are `blank`; a line that is not a JSON object, or lacks the mapped text, stops the
build with its file, line and field.

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
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from statemedia.parse import FileContext, Mismatch, ParsedFile, fail, is_blank
from statemedia.parse.dates import UNKNOWN, read_timestamp
from statemedia.records import Draft, SourceLine
from statemedia.vocab import LineCategory, RecordKind

FIELDS = ("text", "id", "date", "url", "channel", "forwarded_from", "title")
_MISSING = object()
_DIGITS = re.compile(r"[0-9]+")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
USERNAME = re.compile(r"@?[A-Za-z0-9_]+")  # a Telegram username as t.me links spell it
_ONE_OBJECT = "each line of a jsonl file must be one JSON object"


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
                stated = read_timestamp(raw_date)
                if stated is None:
                    raise fail(
                        ctx,
                        line,
                        f"date field {fields['date']!r} is {raw_date!r}, neither ISO 8601 nor "
                        "epoch seconds",
                        "map `date` to a timestamp field",
                    )
                reading = stated
        native = None
        if "id" in fields:
            native = _native_id(
                ctx, line, fields["id"], lookup(record, fields["id"], null_is_value=True)
            )
        channel = default_channel
        if "channel" in fields:
            where = f"channel field {fields['channel']!r}"
            channel = _channel(ctx, line, where, values["channel"]) or default_channel
        native_id = None
        if native is not None:
            # "MFARussia/12345", as t.me and the other Telegram adapters name a message.
            native_id = f"{channel}/{native}" if channel else native
        url = _optional_str(values.get("url", _MISSING))
        if url is None and ctx.platform == "telegram" and channel and native is not None:
            url = f"https://t.me/{channel}/{native}"
        parsed.drafts.append(
            Draft(
                kind=kind,
                lines=(line,),
                roles=(LineCategory.POST_BODY,),
                title=_optional_str(values.get("title", _MISSING)),
                published_date=reading.value,
                date_confidence=reading.confidence,
                date_evidence=reading.evidence,
                forwarded_from=_optional_str(values.get("forwarded_from", _MISSING)),
                url=url,
                native_id=native_id,
                text=text or "",
            )
        )
    return parsed
