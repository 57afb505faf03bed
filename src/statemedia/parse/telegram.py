"""Parsers `telegram_forwards@1` and `telegram_web_preview@1` for Telegram channels saved as text.

Forwards dump: a post may open with "Forwarded from <channel>", then its first line and a body that
the dump shows twice (a preview, then the body again): the second copy is `repeated_body`.
Web preview (t.me/s): a channel header, then posts separated only by content cues; a media placeholder
("Please open Telegram to view this post", "VIEW IN TELEGRAM") opens the post whose media it replaces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from statemedia.parse import FileContext, ParsedFile, fail, is_blank
from statemedia.parse.dates import read_anniversary_date
from statemedia.parse.markers import PLACEHOLDERS
from statemedia.records import Draft, SourceLine
from statemedia.vocab import LineCategory, RecordKind

FORWARDED_FROM = re.compile(
    r"^Forwarded from\s+(?P<channel>\S.*?)\s*$"
)  # \s: 004 has a no-break space
CHANNEL_COUNT = re.compile(r"^[\d.,]+[KM]? (subscribers|members|photos|videos|files|links)$")
DOWNLOAD_TELEGRAM = "Download Telegram"
# How the MFA channel opens a post: remarks, articles, event reports, live streams, flags.
# List items inside a post start with other symbols (🔹, •, clock faces, 📰/📺 anchors).
POST_OPENERS = ("🎙", "✍", "🔴 #LIVE", "🗓", "📄 Article", "⚡", "🤝", "🇷🇺", "📢")
# A line that ends a post: its "Read in full" anchor, a #LIVE notice's last anchor, or hashtags only.
POST_ENDERS = re.compile(r"^(?:📄\s*)?Read in full$|^🔴 Ruptly$|^(?:#\w+\s*)+$")


def _draft(
    lines: Sequence[SourceLine], roles: list[LineCategory], forwarded_from: str | None
) -> Draft:
    body = "\n".join(
        line.text for line, role in zip(lines, roles, strict=True) if role == LineCategory.POST_BODY
    )
    reading = read_anniversary_date(body)
    return Draft(
        kind=RecordKind.TELEGRAM_POST,
        lines=tuple(lines),
        roles=tuple(roles),
        published_date=reading.value,
        date_confidence=reading.confidence,
        date_evidence=reading.evidence,
        forwarded_from=forwarded_from,
    )


def _repeat_length(texts: Sequence[str], start: int, stop: int) -> tuple[int, int] | None:
    """Find the shortest block B at texts[start:] that is followed by a copy of itself.

    Returns (len(B), length of the copy); the copy may be cut short only by the end of the file.
    The block never extends to `stop` (the next "Forwarded from" line).
    """
    n = len(texts)
    for size in range(1, stop - start):
        copy_start = start + size
        available = min(size, stop - copy_start)
        if available <= 0:
            break
        if available < size and stop != n:
            continue
        if texts[copy_start : copy_start + available] == texts[start : start + available]:
            return size, available
    return None


def parse_forwards(lines: Sequence[SourceLine], ctx: FileContext) -> ParsedFile:
    """Parse a dump of forwarded Telegram posts whose bodies appear twice."""
    texts = [line.text.strip() for line in lines]
    forward_at = [i for i, t in enumerate(texts) if FORWARDED_FROM.match(t)]
    parsed = ParsedFile()
    i, n = 0, len(lines)
    while i < n:
        if is_blank(lines[i]):
            parsed.mark([lines[i]], LineCategory.BLANK)
            i += 1
            continue
        start, forwarded_from = i, None
        match = FORWARDED_FROM.match(texts[i])
        if match:
            forwarded_from = match["channel"]
            i += 1
            while i < n and is_blank(lines[i]):
                i += 1
            if i == n or FORWARDED_FROM.match(texts[i]):
                raise fail(
                    ctx,
                    lines[start],
                    "'Forwarded from' header with no post after it",
                    "check the dump for a truncated post",
                )
        body_from = i + 1  # the first line opens the post and is not repeated
        stop = next((f for f in forward_at if f > i), n)
        found = _repeat_length(texts, body_from, stop)
        if found:
            size, copy = found
            end_body, end = body_from + size - 1, body_from + size + copy - 1
        else:
            end_body = end = stop - 1
        while end_body > i and is_blank(lines[end_body]):
            end_body -= 1
        roles = []
        for k in range(start, end + 1):
            if is_blank(lines[k]):
                roles.append(LineCategory.BLANK)
            elif k == start and forwarded_from is not None:
                roles.append(LineCategory.POST_METADATA)
            elif k <= end_body:
                roles.append(LineCategory.POST_BODY)
            else:
                roles.append(LineCategory.REPEATED_BODY)
        parsed.drafts.append(_draft(lines[start : end + 1], roles, forwarded_from))
        i = end + 1
    return parsed


def _channel_header_end(texts: Sequence[str]) -> int:
    """Index just past the channel header, or 0 if the file has none."""
    if DOWNLOAD_TELEGRAM in texts[:40]:
        return texts.index(DOWNLOAD_TELEGRAM) + 1
    if len(texts) > 1 and CHANNEL_COUNT.match(texts[1]):
        end = 2
        while end < len(texts) and CHANNEL_COUNT.match(texts[end]):
            end += 1
        return end
    return 0


def _starts_post(previous: str, current: str) -> bool:
    """Content cues for a post boundary between two adjacent non-blank lines."""
    if FORWARDED_FROM.match(previous):
        return False
    return bool(
        FORWARDED_FROM.match(current)
        or POST_ENDERS.match(previous)
        or current.startswith(POST_OPENERS)
    )


def parse_web_preview(lines: Sequence[SourceLine], ctx: FileContext) -> ParsedFile:
    """Parse a Telegram channel web-preview (t.me/s) dump."""
    texts = [line.text.strip() for line in lines]
    parsed = ParsedFile()
    header_end = _channel_header_end(texts)
    parsed.mark(lines[:header_end], LineCategory.CHANNEL_HEADER)
    groups: list[list[int]] = []
    current: list[int] = []
    for i in range(header_end, len(lines)):
        if texts[i] in PLACEHOLDERS:
            # t.me/s renders a post's unsupported media before its text: the placeholder opens a post.
            if current and any(texts[k] and texts[k] not in PLACEHOLDERS for k in current):
                groups.append(current)
                current = []
            current.append(i)
            continue
        if not texts[i]:
            if current:
                current.append(i)
            else:
                parsed.mark([lines[i]], LineCategory.BLANK)
            continue
        previous = texts[current[-1]] if current else ""
        if previous and previous not in PLACEHOLDERS and _starts_post(previous, texts[i]):
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    for group in groups:
        while group and not texts[group[-1]]:
            parsed.mark([lines[group.pop()]], LineCategory.BLANK)
        if not group:
            continue
        content = [k for k in group if texts[k] not in PLACEHOLDERS]
        opening = content[0] if content else None
        match = FORWARDED_FROM.match(texts[opening]) if opening is not None else None
        roles = [
            LineCategory.BLANK
            if not texts[k]
            else (LineCategory.POST_METADATA if k == opening and match else LineCategory.POST_BODY)
            for k in group
        ]
        parsed.drafts.append(
            _draft([lines[k] for k in group], roles, match["channel"] if match else None)
        )
    return parsed
