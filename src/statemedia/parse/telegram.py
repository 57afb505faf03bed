"""Parsers `telegram_forwards@2` and `telegram_web_preview@2` for Telegram channels saved as text.

Forwards dump: a post may open with "Forwarded from <channel>", then its first line and a body that
the dump shows twice (a preview, then the body again): the second copy is `repeated_body`.
Web preview (t.me/s): a channel header, then posts separated only by content cues; a media placeholder
("Please open Telegram to view this post", "VIEW IN TELEGRAM") opens the post whose media it replaces.

Signatures: a forwards dump has at least one "Forwarded from <channel>" header and nothing that only
t.me/s shows (its channel header, a media placeholder); a web preview has its channel header or at
least one media placeholder. A date inferred from an anniversary formula is the post's own words and
is not held to the plausible window of statemedia.parse.dates.

New in @2: that date's `date_evidence` is the formula exactly as the raw line has it, keycap digits
included ("8️⃣0️⃣ years ago, on February 4, 1945"), and `date_note` says how the date follows
("1945 + 80 years: ..."). Neither text format carries ids, times, engagement or links, so those
fields stay empty; the dates a post states for what it reports (`event_dates`) are read by clean
from the body lines (statemedia.parse.event_dates).

Both parsers are linear in the file: the repeated body is found with a Z-function over line codes
(`_repeat_length`), and the next "Forwarded from" header by a pointer that only moves forward.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from statemedia.parse import FileContext, Mismatch, ParsedFile, fail, is_blank
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
        date_note=reading.note,
        forwarded_from=forwarded_from,
    )


def _web_preview_marker(texts: Sequence[str]) -> tuple[int, str] | None:
    """The first line (index) that only a t.me/s web preview shows, and what it is."""
    header_end = _channel_header_end(texts)
    if header_end:
        return header_end - 1, "a t.me/s channel header ('… subscribers', 'Download Telegram')"
    for i, text in enumerate(texts):
        if text in PLACEHOLDERS:
            return i, f"the t.me/s media placeholder {text!r}"
    return None


def forwards_signature(lines: Sequence[SourceLine]) -> Mismatch | None:
    """A forwards dump: a "Forwarded from" header, and nothing that only a web preview shows."""
    texts = [line.text.strip() for line in lines]
    if not any(FORWARDED_FROM.match(text) for text in texts):
        return Mismatch(
            None,
            "no 'Forwarded from <channel>' line, the header of a forwarded post",
            "check that the file is a text dump of forwarded Telegram posts",
        )
    marker = _web_preview_marker(texts)
    if marker is not None:
        index, what = marker
        return Mismatch(
            lines[index].number,
            f"{what}, which a dump of forwarded posts does not have",
            "check the file",
        )
    return None


def web_preview_signature(lines: Sequence[SourceLine]) -> Mismatch | None:
    """A web preview: its channel header, or at least one media placeholder."""
    if _web_preview_marker([line.text.strip() for line in lines]) is None:
        return Mismatch(
            None,
            "no t.me/s web-preview layout: no channel header ('… subscribers', "
            "'Download Telegram') and no media placeholder ('Please open Telegram to view this "
            "post')",
            "save the channel's page https://t.me/s/<channel> from its top",
        )
    return None


def line_codes(texts: Sequence[str]) -> list[int]:
    """One small integer per distinct text, so that comparing two lines costs O(1)."""
    codes: dict[str, int] = {}
    return [codes.setdefault(text, len(codes)) for text in texts]


def _repeat_length(
    codes: Sequence[int], start: int, stop: int, at_end: bool
) -> tuple[int, int] | None:
    """Find the shortest block B at codes[start:] that is followed by a copy of itself.

    Returns (len(B), length of the copy); the copy may be cut short only by the end of the file
    (`at_end`: `stop` is the end of the file). The block never extends to `stop` (the next
    "Forwarded from" line).

    With z the Z-function of the segment codes[start:stop] (length L; z[s] is the longest common
    prefix of the segment and the segment from s), size s qualifies when z[s] >= min(s, L - s).
    z[1], z[2], ... are computed in order, reusing earlier values inside the Z-box [box, reach),
    and the search stops at the first size that qualifies, its extension capped at what that size
    needs. A size that did not qualify never reached past twice itself, so the work is O(answer),
    or O(L) when no size qualifies, and every post costs O(its own lines).
    """
    length = stop - start
    z = [0]  # z[0] is never used
    box = reach = 0  # the segment's [box, reach) equals its [0, reach - box)
    for size in range(1, length):
        need = min(size, length - size)
        if need < size and not at_end:
            # Only the end of the file may cut a copy short, and every larger size would need it.
            return None
        common = min(reach - size, z[size - box]) if size < reach else 0
        while common < need and codes[start + common] == codes[start + size + common]:
            common += 1
        if common >= need:
            return size, need
        z.append(common)
        if size + common > reach:
            box, reach = size, size + common
    return None


def parse_forwards(lines: Sequence[SourceLine], ctx: FileContext) -> ParsedFile:
    """Parse a dump of forwarded Telegram posts whose bodies appear twice."""
    texts = [line.text.strip() for line in lines]
    codes = line_codes(texts)
    forward_at = [i for i, t in enumerate(texts) if FORWARDED_FROM.match(t)]
    parsed = ParsedFile()
    i, n = 0, len(lines)
    upcoming = 0  # index in forward_at of the first header after line i
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
        while upcoming < len(forward_at) and forward_at[upcoming] <= i:
            upcoming += 1
        stop = forward_at[upcoming] if upcoming < len(forward_at) else n
        found = _repeat_length(codes, body_from, stop, at_end=stop == n)
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
    has_content = False  # whether `current` holds a line that is neither blank nor a placeholder
    for i in range(header_end, len(lines)):
        if texts[i] in PLACEHOLDERS:
            # t.me/s renders a post's unsupported media before its text: the placeholder opens a post.
            if has_content:
                groups.append(current)
                current, has_content = [], False
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
        has_content = True
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
