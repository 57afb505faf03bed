"""What a release publishes from the labeling work (pure): gold-label columns joined on post_id,
and the raw per-annotator rows in long form under pseudonyms. Machine rows are never published.

Inputs are the files `annotate pull` and `annotate gold` write (`annotations.jsonl`, `gold.jsonl`)
in the folder named by `[build] labels_dir`; with no such files every post is `unlabeled`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from statemedia.labeling.files import ANNOTATIONS_FILE, GOLD_FILE, read_records
from statemedia.labeling.gold import post_label_columns
from statemedia.labeling.records import Annotation, GoldLabel, Origin
from statemedia.labeling.scheme import Scheme


def read_label_files(labels_dir: Path) -> tuple[list[GoldLabel], list[Annotation], list[Path]]:
    """(gold labels, annotations, files read) from a labels folder; empty when it has none."""
    gold_path, annotations_path = labels_dir / GOLD_FILE, labels_dir / ANNOTATIONS_FILE
    read = [path for path in (gold_path, annotations_path) if path.is_file()]
    gold = read_records(gold_path, GoldLabel.from_dict) if gold_path in read else []
    rows = read_records(annotations_path, Annotation.from_dict) if annotations_path in read else []
    return gold, rows, read


def gold_by_post(
    gold: Sequence[GoldLabel], post_ids: Sequence[str], scheme: Scheme
) -> dict[str, dict[str, Any]]:
    """post_id -> its label columns (schema/post.schema.json `label_*`), `unlabeled` by default."""
    by_post = {label.post_id: label for label in gold}
    return {post_id: post_label_columns(by_post.get(post_id), scheme) for post_id in post_ids}


def published_annotations(
    rows: Sequence[Annotation], scheme: Scheme, post_ids: set[str]
) -> list[dict[str, Any]]:
    """Human annotation rows of released posts, stances in long form (schema/annotation.schema.json)."""
    return [
        row.published_row(scheme)
        for row in rows
        if row.origin is Origin.HUMAN and row.post_id in post_ids
    ]
