"""Cleaning rules `clean@1`: small named functions that turn a parser's draft into a `Post`.

Line rules reclassify body lines that carry no content (placeholders, link anchors); text rules
normalise what is left (Unicode NFC, whitespace) and extract hashtags. A draft with no text left
becomes a `Dropped` with a named reason. Every line's final category is returned for the account.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from statemedia.parse.telegram import PLACEHOLDERS
from statemedia.records import Draft, Dropped, Post, Provenance

CLEAN_VERSION = "clean@1"

LINK_ANCHOR = re.compile(
    r"^(?:📄\s*)?Read in full$"  # MFA posts' link to the full text on mid.ru
    r"|^(?:📰|📺)\s*(?:Read|Watch)$"  # briefing posts' links to transcript and video
    r"|^Read more$"
    r"|^🔴\s*(?!#)[^\s.!?:,;]+(?:\s+[^\s.!?:,;]+){0,3}$"  # #LIVE notices: '🔴 Facebook', '🔴 Ruptly'
)
HASHTAG = re.compile(r"(?<![\w#/])#(\w+)")
_SPACES = re.compile(r"[^\S\n]+")


def is_placeholder(text: str) -> bool:
    """Telegram web-preview media placeholder."""
    return text.strip() in PLACEHOLDERS


def is_link_anchor(text: str) -> bool:
    """Visible text of a link with no content of its own."""
    return bool(LINK_ANCHOR.match(text.strip()))


def normalise_line(text: str) -> str:
    """Unicode NFC, every run of spaces (incl. no-break and tabs) to one space, ends stripped."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def extract_hashtags(text: str) -> tuple[str, ...]:
    """Hashtags without '#', in order of first appearance, each once."""
    return tuple(dict.fromkeys(HASHTAG.findall(text)))


def line_categories(draft: Draft) -> tuple[str, ...]:
    """Apply the line rules: each body line keeps `post_body` or becomes placeholder / link_anchor."""
    categories = []
    for line, role in zip(draft.lines, draft.roles, strict=True):
        if role == "post_body" and is_placeholder(line.text):
            categories.append("placeholder")
        elif role == "post_body" and is_link_anchor(line.text):
            categories.append("link_anchor")
        else:
            categories.append(role)
    return tuple(categories)


@dataclass(frozen=True, slots=True)
class Cleaned:
    """The outcome for one draft: a post or a drop, and the final category of each of its lines."""

    record: Post | Dropped
    categories: tuple[str, ...]


def clean_draft(
    draft: Draft, *, post_id: str, provenance: Provenance, source: str, platform: str, language: str
) -> Cleaned:
    """Turn a draft into a cleaned `Post`, or a `Dropped` when no text is left."""
    if draft.text is None:
        categories = line_categories(draft)
        pieces = [
            line.text
            for line, category in zip(draft.lines, categories, strict=True)
            if category == "post_body"
        ]
    else:  # structured formats: the lines only locate the post; the line rules apply to its text
        categories = draft.roles
        pieces = [p for p in draft.text.split("\n") if not (is_placeholder(p) or is_link_anchor(p))]
    body = [normalise_line(piece) for piece in pieces]
    text = "\n".join(part for part in body if part)
    if not text:
        return Cleaned(Dropped(post_id, "clean", "empty_after_clean", provenance), categories)
    title = normalise_line(draft.title) if draft.title else None
    subtitle = normalise_line(draft.subtitle) if draft.subtitle else None
    post = Post(
        post_id=post_id,
        record_kind=draft.kind,
        source=source,
        platform=platform,
        title=title or None,
        subtitle=subtitle or None,
        text=text,
        published_date=draft.published_date,
        date_confidence=draft.date_confidence,
        date_evidence=draft.date_evidence,
        forwarded_from=normalise_line(draft.forwarded_from) if draft.forwarded_from else None,
        hashtags=extract_hashtags(text),
        language=language,
        url=draft.url,
        provenance=provenance,
    )
    return Cleaned(post, categories)
