"""Builders for the labeling tests: tiny releases in the real layout and Label Studio results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from statemedia.labeling.records import Annotation
from statemedia.labeling.scheme import Scheme, load_scheme

PROVENANCE = pa.struct(
    [
        pa.field("source_file", pa.string()),
        pa.field("source_sha256", pa.string()),
        pa.field("line_start", pa.int32()),
        pa.field("line_end", pa.int32()),
        pa.field("char_start", pa.int64()),
        pa.field("char_end", pa.int64()),
        pa.field("parser", pa.string()),
    ]
)
# The release row schema as the lead's release step writes it (only what tasks.py reads matters).
POST_SCHEMA = pa.schema(
    [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("record_kind", pa.string()),
        pa.field("source", pa.string()),
        pa.field("platform", pa.string()),
        pa.field("title", pa.string()),
        pa.field("text", pa.string()),
        pa.field("published_date", pa.date32()),
        pa.field("date_confidence", pa.string()),
        pa.field("date_evidence", pa.string()),
        pa.field("forwarded_from", pa.string()),
        pa.field("hashtags", pa.list_(pa.string())),
        pa.field("language", pa.string()),
        pa.field("url", pa.string()),
        pa.field("provenance", PROVENANCE),
        pa.field(
            "duplicates",
            pa.list_(
                pa.struct([pa.field("post_id", pa.string()), pa.field("method", pa.string())])
            ),
        ),
    ]
)


def make_post(post_id: str, text: str = "Some text.", **overrides: Any) -> dict[str, Any]:
    """A release row with sensible defaults."""
    row: dict[str, Any] = {
        "post_id": post_id,
        "record_kind": "telegram_post",
        "source": "mfa_telegram_en",
        "platform": "telegram",
        "title": None,
        "text": text,
        "published_date": date(2024, 7, 3),
        "date_confidence": "exact",
        "date_evidence": "header",
        "forwarded_from": None,
        "hashtags": [],
        "language": "en",
        "url": None,
        "provenance": {
            "source_file": "seeds/001_89b3194fb1120824.txt",
            "source_sha256": "0" * 64,
            "line_start": 76,
            "line_end": 84,
            "char_start": 100,
            "char_end": 900,
            "parser": "telegram_export@1",
        },
        "duplicates": [],
    }
    row.update(overrides)
    return row


def write_release(
    dataset_dir: Path, version: str, split: str, rows: Sequence[Mapping[str, Any]]
) -> Path:
    """Write one split of a release in the real layout; return the file path."""
    path = dataset_dir / "data" / version / f"{split}-00000-of-00001.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(list(rows), schema=POST_SCHEMA), path)
    return path


def choices(name: str, *values: str) -> dict[str, Any]:
    """One Label Studio choices result item."""
    return {
        "from_name": name,
        "to_name": "text",
        "type": "choices",
        "value": {"choices": list(values)},
    }


def result(
    primary: str | None,
    secondary: Sequence[str] = (),
    stances: Mapping[str, str] | None = None,
    targets: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """An annotation result; `targets` defaults to the keys of `stances` (a consistent annotation)."""
    stances = dict(stances or {})
    ticked = list(stances) if targets is None else list(targets)
    items = []
    if primary is not None:
        items.append(choices("topic_primary", primary))
    if secondary:
        items.append(choices("topics_secondary", *secondary))
    if ticked:
        items.append(choices("targets", *ticked))
    items += [choices(Scheme.stance_tag(t), s) for t, s in stances.items()]
    return items


def row(
    post: str, who: str, primary: str, stances: dict | None = None, origin: str = "human"
) -> Annotation:
    """A tidy annotation row as `annotate pull` writes it (the required columns only), parsed."""
    stances = stances or {}
    out = {
        "post_id": post,
        "annotator": who,
        "origin": origin,
        "topic_primary": primary,
        "topics_secondary": [],
        "targets": list(stances),
    }
    for target in load_scheme().target_names:  # one column per target, from the scheme
        out[Scheme.stance_tag(target)] = stances.get(target)
    return Annotation.from_dict(out)
