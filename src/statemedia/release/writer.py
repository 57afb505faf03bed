"""Rows and atomic, deterministic Parquet files.

Rows are sorted by post_id and written with the schema derived from `schema/post.schema.json`, so
the same inputs and code (and the pinned pyarrow) give byte-identical files. A file is written to a
temporary name and renamed: readers never see half a file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from statemedia.records import DuplicateLink, Post, Provenance
from statemedia.release.schema import arrow_schema, card_features


def post_row(
    post: Post, duplicates: Iterable[DuplicateLink], labels: dict[str, Any]
) -> dict[str, Any]:
    """The release row of a kept post, with its removed copies and its gold-label columns."""
    return {
        "post_id": post.post_id,
        "record_kind": post.record_kind,
        "source": post.source,
        "platform": post.platform,
        "title": post.title,
        "subtitle": post.subtitle,
        "text": post.text,
        "published_date": post.published_date,
        "date_confidence": post.date_confidence,
        "date_evidence": post.date_evidence,
        "forwarded_from": post.forwarded_from,
        "hashtags": list(post.hashtags),
        "language": post.language,
        "url": post.url,
        "provenance": provenance_dict(post.provenance),
        "duplicates": [
            {
                "post_id": link.removed_post_id,
                "method": link.method,
                "similarity": round(link.similarity, 6),
                "provenance": provenance_dict(link.removed_provenance),
            }
            for link in sorted(duplicates, key=lambda link: link.removed_post_id)
        ],
        **labels,
    }


def provenance_dict(provenance: Provenance) -> dict[str, Any]:
    """A provenance record as a row struct (faster than dataclasses.asdict, called once per row)."""
    return {name: getattr(provenance, name) for name in Provenance.__slots__}


def rows_table(
    rows: list[dict[str, Any]],
    row_schema: dict[str, Any] | None = None,
    key: tuple[str, ...] = ("post_id",),
) -> pa.Table:
    """An Arrow table in canonical order (by `key`) with the declared schema and HF features."""
    schema = arrow_schema(row_schema)
    features = {"info": {"features": _hf_features(row_schema)}}
    schema = schema.with_metadata({b"huggingface": json.dumps(features, sort_keys=True).encode()})
    ordered = sorted(rows, key=lambda row: tuple(str(row[k]) for k in key))
    return pa.Table.from_pylist(ordered, schema=schema)


def _hf_features(row_schema: dict[str, Any] | None) -> dict[str, Any]:
    """`datasets` Features in its own JSON form, derived from the same schema as the card."""

    def convert(feature: dict[str, Any]) -> Any:
        if "dtype" in feature:
            return {"dtype": feature["dtype"], "_type": "Value"}
        if "list" in feature:
            return {"feature": convert(feature["list"]), "_type": "List"}
        return {item["name"]: convert(item) for item in feature["struct"]}

    return {item["name"]: convert(item) for item in card_features(row_schema)}


def parquet_bytes(table: pa.Table) -> bytes:
    """The exact Parquet bytes of a release table (zstd, row groups of at most 50,000 rows).

    An empty table is written with no row group at all: `datasets` cannot read a zero-row group.
    """
    sink = io.BytesIO()
    with pq.ParquetWriter(sink, table.schema, compression="zstd") as writer:
        if table.num_rows:
            writer.write_table(table, row_group_size=50_000)
    return sink.getvalue()
