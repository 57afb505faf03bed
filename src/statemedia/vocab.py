"""Closed vocabularies and the row schema, read from the repository's `schema/` folder.

`schema/` is the single source of truth: code, the Label Studio config and the data card all read it
from here. The enums below type the closed vocabularies that code branches on; a test checks that
each equals its list in `schema/vocabularies.json`, so code uses them and never re-types a name.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO_ROOT / "schema"


@cache
def load_json(name: str) -> dict[str, Any]:
    """Return the parsed JSON file `schema/<name>`."""
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def vocabulary(name: str) -> dict[str, str]:
    """Return one closed vocabulary (name -> definition), in its fixed order."""
    return load_json("vocabularies.json")[name]


def post_schema() -> dict[str, Any]:
    """Return the JSON Schema of a post row, with every `x-vocabulary` expanded into an `enum`."""
    return row_schema("post.schema.json")


def annotation_schema() -> dict[str, Any]:
    """Return the JSON Schema of a published raw annotation row."""
    return row_schema("annotation.schema.json")


def row_schema(name: str) -> dict[str, Any]:
    """Return a row JSON Schema from `schema/`, with every `x-vocabulary` expanded into an `enum`."""
    schema = json.loads(json.dumps(load_json(name)))

    def expand(node: object) -> None:  # at every depth: list items and struct members too
        if isinstance(node, dict):
            if "x-vocabulary" in node:
                nullable = "null" in node.get("type", ())  # a nullable column: null is allowed
                node["enum"] = [*vocabulary(node["x-vocabulary"]), *([None] if nullable else [])]
            for child in node.values():
                expand(child)
        elif isinstance(node, list):
            for child in node:
                expand(child)

    expand(schema)
    return schema


def schema_version() -> str:
    """Return the row schema's version string."""
    return load_json("post.schema.json")["x-schema-version"]


class RecordKind(StrEnum):
    """`record_kinds`: what one record is."""

    ARTICLE = "article"
    TELEGRAM_POST = "telegram_post"
    LINK_TEASER = "link_teaser"


class DateConfidence(StrEnum):
    """`date_confidence`: how `published_date` was obtained."""

    STATED = "stated"
    INFERRED = "inferred"
    UNKNOWN = "unknown"


class LineCategory(StrEnum):
    """`line_categories`: the one category every raw line is counted under."""

    POST_TITLE = "post_title"
    POST_SUBTITLE = "post_subtitle"
    POST_BODY = "post_body"
    POST_METADATA = "post_metadata"
    BLANK = "blank"
    SCRAPER_HEADER = "scraper_header"
    CHANNEL_HEADER = "channel_header"
    TEMPLATE_DEBRIS = "template_debris"
    PAGE_NAVIGATION = "page_navigation"
    PLACEHOLDER = "placeholder"
    LINK_ANCHOR = "link_anchor"
    REPEATED_BODY = "repeated_body"
    LINK_TEASER = "link_teaser"
    SERVICE_MESSAGE = "service_message"
    EXPORT_STRUCTURE = "export_structure"


class DropReason(StrEnum):
    """`drop_reasons`: why a parsed record did not become a post."""

    EMPTY_AFTER_CLEAN = "empty_after_clean"


class MediaKind(StrEnum):
    """`media_kinds`: what is attached to a message."""

    PHOTO = "photo"
    VIDEO = "video"
    ANIMATION = "animation"
    AUDIO = "audio"
    VOICE_MESSAGE = "voice_message"
    VIDEO_MESSAGE = "video_message"
    STICKER = "sticker"
    DOCUMENT = "document"
    POLL = "poll"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"


class EventDateKind(StrEnum):
    """`event_date_kinds`: what a date the text states refers to."""

    EVENT = "event"
    ORIGINAL_PUBLICATION = "original_publication"
    ANNIVERSARY = "anniversary"


class TitleSource(StrEnum):
    """`title_sources`: where a post's `title` was read from."""

    HEADLINE_LINE = "headline_line"
    SCRAPER_HEADER = "scraper_header"
    RECORD_FIELD = "record_field"


class LabelStatus(StrEnum):
    """`label_status`: where a post stands in annotation."""

    RESOLVED = "resolved"
    NEEDS_ADJUDICATION = "needs_adjudication"
    UNLABELED = "unlabeled"


class Table(StrEnum):
    """`release_tables`: the tables of a release, in the order they are written and listed."""

    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"
    LINK_TEASERS = "link_teasers"
    ANNOTATIONS = "annotations"


# The tables of posts and articles; a duplicate cluster lies in exactly one of them.
SPLITS: tuple[Table, ...] = (Table.TRAIN, Table.VALIDATION, Table.TEST)

# Each enum above and the vocabulary it types (checked equal by tests/test_vocab.py).
TYPED_VOCABULARIES: dict[str, type[StrEnum]] = {
    "record_kinds": RecordKind,
    "date_confidence": DateConfidence,
    "line_categories": LineCategory,
    "drop_reasons": DropReason,
    "label_status": LabelStatus,
    "release_tables": Table,
    "media_kinds": MediaKind,
    "event_date_kinds": EventDateKind,
    "title_sources": TitleSource,
}


def source_time_zone(source: str) -> str:
    """The IANA time zone a source dates its publications in (`source_time_zones`)."""
    return load_json("vocabularies.json")["source_time_zones"][source]
