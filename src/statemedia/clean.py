"""Cleaning rules `clean@4`: small named functions that turn a parser's draft into a `Post`.

Line rules (`LINE_RULES`) reclassify body lines that carry no content (placeholders, link anchors);
text rules normalise what is left (Unicode NFC, whitespace) and extract hashtags, URLs and
@mentions. A draft with no text left becomes a `Dropped` with a named reason. Every line's final
category is returned for the account. Change what any rule does and bump `CLEAN_VERSION`
(tests/test_rule_versions.py checks).

New in clean@4: Russian text. Link anchors in Russian ("📄 Читать полностью", "📺 Смотреть",
"Подробнее") are removed like the English ones; event dates are read in Russian too ("(Москва, 4
февраля 2025 года)", see `statemedia.parse.event_dates`). Nothing else needed a change: hashtags
are runs of word characters, so Cyrillic ones ("#МИД_России") are read whole; NFC composes a decomposed "й"/"ё";
@usernames are Latin, as Telegram's are. A post now also carries `declared_language` (the file's
declaration); `language` is "und" with no confidence until `statemedia.language` identifies it.

New in clean@3: `links` are the parser's (link entities, previews) followed by the http(s) URLs of
the text (`extract_urls`), each once; `mentions` likewise with the text's @usernames
(`extract_mentions`); `event_dates` are read from the raw title and body lines
(`statemedia.parse.event_dates`), so their evidence is a raw substring; the parser's fields
(times, ids, engagement, media) pass through, and `metrics_observed_at` is the file's
`collected_at` for a post that carries any engagement count.

`strip_control_chars` (new in clean@2) removes the control characters that are not whitespace
(Unicode category Cc: NUL, BEL, ESC, DEL, the C1 controls, ...) from the text, title, subtitle and
forwarded-from name, before the line rules and NFC; `Cleaned.control_chars` counts them per draft.
The control characters that are whitespace (tab, CR, vertical tab, form feed, the separators
U+001C-U+001F, NEL) are not removed but, as before, turned into a space by `normalise_line`; newline
separates paragraphs. So no control character but newline reaches a post.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from statemedia.parse.event_dates import event_dates
from statemedia.parse.markers import PLACEHOLDERS
from statemedia.records import UNDETERMINED, Draft, Dropped, Post, Provenance, has_engagement
from statemedia.vocab import DropReason, LineCategory

CLEAN_VERSION = "clean@4"
STAGE = "clean"  # `Dropped.stage` of the drafts this module drops

LINK_ANCHOR = re.compile(
    r"^(?:📄\s*)?Read in full$"  # MFA posts' link to the full text on mid.ru
    r"|^(?:📰|📺)\s*(?:Read|Watch)$"  # briefing posts' links to transcript and video
    r"|^Read more$"
    r"|^🔴\s*(?!#)[^\s.!?:,;]+(?:\s+[^\s.!?:,;]+){0,3}$"  # #LIVE notices: '🔴 Facebook', '🔴 Ruptly'
    # The Russian channels' forms of the same links (new in clean@4)
    r"|^(?:📄\s*)?Читать полностью$"
    r"|^(?:📰|📺)\s*(?:Читать|Смотреть)$"
    r"|^(?:Подробнее|Читать далее)$"
)
HASHTAG = re.compile(r"(?<![\w#/])#(\w+)")
# An http(s) URL up to whitespace or a quote/bracket; trailing sentence punctuation is not part of it.
URL = re.compile(r"https?://[^\s<>\"'«»]+")
_URL_TAIL = ".,;:!?)]}…"
# A Telegram username (5-32 letters, digits, _) after '@', not inside a word or an e-mail address.
MENTION = re.compile(r"(?<![\w@./])@([A-Za-z][A-Za-z0-9_]{3,31})(?![\w@])")
_SPACES = re.compile(r"[^\S\n]+")
# Every control character that is not whitespace, as a str.translate table that deletes it.
# Category Cc is exactly U+0000-U+001F and U+007F-U+009F, fixed by Unicode's stability policy.
_CONTROL = {
    code: None
    for code in range(0xA0)
    if unicodedata.category(chr(code)) == "Cc" and not chr(code).isspace()
}


def strip_control_chars(text: str) -> str:
    """Remove control characters other than whitespace (ESC, BEL, NUL, DEL, C1 controls)."""
    return text.translate(_CONTROL)


def is_placeholder(text: str) -> bool:
    """Telegram web-preview media placeholder."""
    return text.strip() in PLACEHOLDERS


def is_link_anchor(text: str) -> bool:
    """Visible text of a link with no content of its own."""
    return bool(LINK_ANCHOR.match(text.strip()))


@dataclass(frozen=True, slots=True)
class LineRule:
    """A rule that takes a whole body line out of a post, and the category it counts the line under."""

    category: LineCategory
    matches: Callable[[str], bool]
    summary: str  # what it removes, in a few words (the data card's table of removed lines)

    @property
    def name(self) -> str:
        """The rule's function name, e.g. "is_link_anchor"."""
        return self.matches.__name__


# The line rules in the order they are tried: the first that matches a body line names its category.
LINE_RULES: tuple[LineRule, ...] = (
    LineRule(LineCategory.PLACEHOLDER, is_placeholder, "Telegram media placeholders"),
    LineRule(LineCategory.LINK_ANCHOR, is_link_anchor, "link texts without content"),
)


def removed_as(text: str) -> LineCategory | None:
    """The category of the first line rule that removes this line, or None if the line stays."""
    text = strip_control_chars(text)
    for rule in LINE_RULES:
        if rule.matches(text):
            return rule.category
    return None


def normalise_line(text: str) -> str:
    """Unicode NFC, every run of spaces (incl. no-break and tabs) to one space, ends stripped."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def extract_hashtags(text: str) -> tuple[str, ...]:
    """Hashtags without '#', in order of first appearance, each once."""
    return tuple(dict.fromkeys(HASHTAG.findall(text)))


def extract_urls(text: str) -> tuple[str, ...]:
    """http(s) URLs in the text, without trailing punctuation, in order, each once."""
    return tuple(dict.fromkeys(match.group().rstrip(_URL_TAIL) for match in URL.finditer(text)))


def extract_mentions(text: str) -> tuple[str, ...]:
    """@usernames in the text, without '@', in order, each once."""
    return tuple(dict.fromkeys(MENTION.findall(text)))


# The lines whose raw text may state the date of what a post reports.
_DATED_ROLES = frozenset(
    {LineCategory.POST_TITLE, LineCategory.POST_SUBTITLE, LineCategory.POST_BODY}
)


def line_categories(draft: Draft) -> tuple[LineCategory, ...]:
    """Apply the line rules: each body line stays `post_body` or takes the category of its rule."""
    return tuple(
        (removed_as(line.text) if role == LineCategory.POST_BODY else None) or role
        for line, role in zip(draft.lines, draft.roles, strict=True)
    )


@dataclass(frozen=True, slots=True)
class Cleaned:
    """The outcome for one draft: a post or a drop, and the final category of each of its lines."""

    record: Post | Dropped
    categories: tuple[LineCategory, ...]
    # Control characters `strip_control_chars` removed from the text, title, subtitle and
    # forwarded-from name (kept body lines only), for the stage counts.
    control_chars: int = 0


def _without_controls(text: str) -> tuple[str, int]:
    """The text with its control characters removed, and how many there were."""
    stripped = strip_control_chars(text)
    return stripped, len(text) - len(stripped)


def _clean_name(value: str | None) -> tuple[str | None, int]:
    """A title, subtitle or channel name without control characters, normalised (None if empty
    before cleaning), and the number of control characters removed."""
    if not value:
        return None, 0
    kept, removed = _without_controls(value)
    return normalise_line(kept), removed


def clean_draft(
    draft: Draft,
    *,
    post_id: str,
    provenance: Provenance,
    source: str,
    platform: str,
    declared_language: str,
    collected_at: datetime | None = None,
) -> Cleaned:
    """Turn a draft into a cleaned `Post`, or a `Dropped` when no text is left."""
    if draft.text is None:
        categories = line_categories(draft)
        pieces = [
            line.text
            for line, category in zip(draft.lines, categories, strict=True)
            if category == LineCategory.POST_BODY
        ]
    else:  # structured formats: the lines only locate the post; the line rules apply to its text
        categories = draft.roles
        pieces = [piece for piece in draft.text.split("\n") if removed_as(piece) is None]
    body = [_without_controls(piece) for piece in pieces]
    text = "\n".join(part for part in (normalise_line(kept) for kept, _ in body) if part)
    title, in_title = _clean_name(draft.title)
    subtitle, in_subtitle = _clean_name(draft.subtitle)
    forwarded_from, in_forwarded = _clean_name(draft.forwarded_from)
    removed = sum(count for _, count in body) + in_title + in_subtitle + in_forwarded
    if not text:
        dropped = Dropped(
            post_id,
            STAGE,
            DropReason.EMPTY_AFTER_CLEAN,
            provenance,
            channel=draft.channel,
            native_id=draft.native_id,
        )
        return Cleaned(dropped, categories, removed)
    dated = [
        line.text for line, c in zip(draft.lines, categories, strict=True) if c in _DATED_ROLES
    ]
    stated = {(d.date, d.kind): d for d in (*draft.event_dates, *event_dates(dated))}
    post = Post(
        post_id=post_id,
        record_kind=draft.kind,
        source=source,
        platform=platform,
        channel=draft.channel,
        native_id=draft.native_id,
        title=title or None,
        title_source=draft.title_source if title else None,
        subtitle=subtitle or None,
        text=text,
        published_date=draft.published_date,
        published_at=draft.published_at,
        edited_at=draft.edited_at,
        date_confidence=draft.date_confidence,
        date_evidence=draft.date_evidence,
        date_note=draft.date_note,
        event_dates=tuple(stated.values()),
        forwarded_from=forwarded_from,
        reply_to_native_id=draft.reply_to_native_id,
        hashtags=extract_hashtags(text),
        mentions=tuple(dict.fromkeys((*draft.mentions, *extract_mentions(text)))),
        links=tuple(dict.fromkeys((*draft.links, *extract_urls(text)))),
        media=draft.media,
        views=draft.views,
        forwards=draft.forwards,
        replies=draft.replies,
        reactions=draft.reactions,
        metrics_observed_at=collected_at if has_engagement(draft) else None,
        language=UNDETERMINED,  # identified after cleaning (statemedia.language)
        language_confidence=None,
        declared_language=declared_language,
        url=draft.url,
        provenance=provenance,
    )
    return Cleaned(post, categories, removed)
