"""What a release publishes from the labeling work (pure): gold-label columns joined on post_id,
and the raw per-annotator rows in long form under pseudonyms. Machine rows are never published.

Inputs are the files `annotate pull` and `annotate gold` write (`annotations.jsonl`, `gold.jsonl`)
in the folder named by `[build] labels_dir`; with no such files every post is `unlabeled`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from statemedia.labeling.files import read_jsonl
from statemedia.labeling.gold import gold_columns
from statemedia.labeling.scheme import STANCE_TAG_PREFIX, Scheme

GOLD_FILE = "gold.jsonl"
ANNOTATIONS_FILE = "annotations.jsonl"
PUBLISHED_KEYS = (
    "post_id",
    "annotator",
    "topic_primary",
    "topics_secondary",
    "lead_time",
    "created_at",
    "updated_at",
    "prefilled_from_prediction",
    "scheme_version",
)


def read_label_files(
    labels_dir: Path,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Path]]:
    """(gold rows, annotation rows, files read) from a labels folder; empty when it has none."""
    read: list[Path] = []
    found: list[list[dict[str, Any]]] = []
    for name in (GOLD_FILE, ANNOTATIONS_FILE):
        path = labels_dir / name
        if path.is_file():
            read.append(path)
            found.append(read_jsonl(path))
        else:
            found.append([])
    return found[0], found[1], read


def gold_by_post(
    gold: Sequence[Mapping[str, Any]], post_ids: Sequence[str], scheme: Scheme
) -> dict[str, dict[str, Any]]:
    """post_id -> its label columns (schema/post.schema.json `label_*`), `unlabeled` by default."""
    columns = gold_columns(gold, post_ids, scheme)
    return {
        post_id: {name: values[k] for name, values in columns.items()}
        for k, post_id in enumerate(post_ids)
    }


def published_annotations(
    rows: Sequence[Mapping[str, Any]], scheme: Scheme, post_ids: set[str]
) -> list[dict[str, Any]]:
    """Human annotation rows of released posts, stances in long form (schema/annotation.schema.json)."""
    published = []
    for row in rows:
        if row.get("origin", "human") != "human" or row["post_id"] not in post_ids:
            continue
        stances = [
            {"target": target, "stance": row[f"{STANCE_TAG_PREFIX}{target}"]}
            for target in scheme.target_names
            if target in (row.get("targets") or []) and row.get(f"{STANCE_TAG_PREFIX}{target}")
        ]
        published.append({**{key: row.get(key) for key in PUBLISHED_KEYS}, "stances": stances})
    return published
