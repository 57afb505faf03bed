"""Parser `jsonl@1`: JSON Lines from any scraper (a Telethon dump, a news crawl), one record a line.

The manifest's `options.fields` maps our fields to dotted paths in each record (`text` required; `id`,
`date`, `url`, `channel`, `forwarded_from`, `title` optional; `options.channel` names the channel
when records do not). An id with a channel gives native id "<channel>/<id>" and, on Telegram, a t.me
URL. Blank lines are `blank`; a line that is not a JSON object, or lacks the mapped text, stops the
build with its file, line and field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from statemedia.parse import FileContext, ParsedFile, fail, is_blank
from statemedia.parse.dates import UNKNOWN, read_timestamp
from statemedia.records import Draft, SourceLine
from statemedia.vocab import LineCategory, RecordKind

FIELDS = ("text", "id", "date", "url", "channel", "forwarded_from", "title")
_MISSING = object()


def lookup(record: Mapping[str, Any], path: str) -> object:
    """The value at a dotted path ("fwd_from.from_name"), or `_MISSING` if a step is absent."""
    value: object = record
    for step in path.split("."):
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


def parse_jsonl(lines: Sequence[SourceLine], ctx: FileContext) -> ParsedFile:
    """Parse JSON Lines, one record a line, through the manifest's field mapping."""
    fields = field_map(ctx)
    default_channel = ctx.options.get("channel")
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
                ctx,
                line,
                f"not JSON ({err.msg} at column {err.colno})",
                "each line of a jsonl file must be one JSON object",
            ) from err
        if not isinstance(record, dict):
            raise fail(
                ctx,
                line,
                f"a JSON {type(record).__name__}, not an object",
                "each line of a jsonl file must be one JSON object",
            )
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
        raw_date = values.get("date", _MISSING)
        if raw_date is not _MISSING and raw_date is not None:
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
        native = _optional_str(values.get("id", _MISSING))
        channel = _optional_str(values.get("channel", _MISSING)) or default_channel
        native_id = None
        if native is not None:
            # "MFARussia/12345", as t.me and the other Telegram adapters name a message.
            native_id = f"{channel.lstrip('@')}/{native}" if channel else native
        url = _optional_str(values.get("url", _MISSING))
        if url is None and ctx.platform == "telegram" and channel and native is not None:
            url = f"https://t.me/{channel.lstrip('@')}/{native}"
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
