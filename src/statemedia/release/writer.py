"""Rows, deterministic Parquet bytes, and writing a release folder's tables and manifest.

Rows are sorted by post_id and written with the schema derived from `schema/post.schema.json`, so
the same inputs and code (and the pinned pyarrow) give byte-identical files. Each table is cut into
shards of at most `[release] max_rows_per_shard` rows (`layout.shard_layout`); each shard is
encoded once, and its bytes are hashed and written atomically: readers never see half a file.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from statemedia.config import ReleaseConfig
from statemedia.fileio import write_atomic
from statemedia.records import DuplicateLink, Post, Provenance
from statemedia.release.layout import MANIFEST, shard_layout
from statemedia.release.manifest import FileEntry, Manifest
from statemedia.release.schema import arrow_schema, hf_features
from statemedia.translations import TranslationGroup, translation_column
from statemedia.vocab import Table


def post_row(
    post: Post,
    duplicates: Iterable[DuplicateLink],
    translation: TranslationGroup | None,
    labels: dict[str, Any],
) -> dict[str, Any]:
    """The release row of a kept post: its removed copies, its translation group (if any) and its
    gold-label columns."""
    return {
        "post_id": post.post_id,
        "record_kind": post.record_kind,
        "source": post.source,
        "platform": post.platform,
        "channel": post.channel,
        "native_id": post.native_id,
        "title": post.title,
        "title_source": post.title_source,
        "subtitle": post.subtitle,
        "text": post.text,
        "published_date": post.published_date,
        "published_at": post.published_at,
        "edited_at": post.edited_at,
        "date_confidence": post.date_confidence,
        "date_evidence": post.date_evidence,
        "date_note": post.date_note,
        "event_dates": [
            {"date": event.date, "kind": event.kind, "evidence": event.evidence}
            for event in post.event_dates
        ],
        "forwarded_from": post.forwarded_from,
        "reply_to_native_id": post.reply_to_native_id,
        "hashtags": list(post.hashtags),
        "mentions": list(post.mentions),
        "links": list(post.links),
        "media": list(post.media),
        "views": post.views,
        "forwards": post.forwards,
        "replies": post.replies,
        "reactions": [{"emoji": r.emoji, "count": r.count} for r in post.reactions],
        "metrics_observed_at": post.metrics_observed_at,
        "language": post.language,
        "language_confidence": post.language_confidence,
        "declared_language": post.declared_language,
        "url": post.url,
        "provenance": provenance_dict(post.provenance),
        "duplicates": [
            {
                "post_id": link.removed_post_id,
                "method": link.method,
                "similarity": round(link.similarity, 6),
                "provenance": provenance_dict(link.removed_provenance),
                "url": link.removed_url,
                "published_at": link.removed_published_at,
            }
            for link in sorted(duplicates, key=lambda link: link.removed_post_id)
        ],
        "translation_group": translation_column(translation),
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
    ordered = sorted(rows, key=lambda row: tuple(str(row[k]) for k in key))
    return pa.Table.from_pylist(ordered, schema=table_schema(row_schema))


def table_schema(row_schema: dict[str, Any] | None = None) -> pa.Schema:
    """The Arrow schema of a release table (default: the post row), with its HF features."""
    if row_schema is None:
        return _post_table_schema()
    return _table_schema(row_schema)


@cache
def _post_table_schema() -> pa.Schema:
    return _table_schema(None)


def _table_schema(row_schema: dict[str, Any] | None) -> pa.Schema:
    features = {"info": {"features": hf_features(row_schema)}}
    return arrow_schema(row_schema).with_metadata(
        {b"huggingface": json.dumps(features, sort_keys=True).encode()}
    )


ROW_GROUP_ROWS = 50_000  # rows per Parquet row group of a release file


def parquet_bytes(table: pa.Table) -> bytes:
    """The exact Parquet bytes of a release table (zstd, row groups of `ROW_GROUP_ROWS` rows).

    An empty table is written with no row group at all: `datasets` cannot read a zero-row group.
    """
    return parquet_bytes_of(table.schema, [table] if table.num_rows else [])


def parquet_bytes_of(schema: pa.Schema, groups: Iterable[pa.Table]) -> bytes:
    """`parquet_bytes` of the concatenation of `groups`, taken one at a time: every group but the
    last must have exactly `ROW_GROUP_ROWS` rows, so the file is the same as if written whole."""
    sink = io.BytesIO()
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for group in groups:
            writer.write_table(group, row_group_size=ROW_GROUP_ROWS)
    return sink.getvalue()


def encoded_shards(
    tables: Mapping[Table, pa.Table], layout: ReleaseConfig
) -> Iterator[tuple[FileEntry, bytes]]:
    """Every shard of every table, in `Table` then shard order: its manifest entry and its exact
    Parquet bytes, each shard encoded once (one at a time, so only one shard's bytes are held)."""
    for table in Table:
        yield from table_shards(table, tables[table], layout)


def table_shards(
    table: Table, whole: pa.Table, layout: ReleaseConfig
) -> Iterator[tuple[FileEntry, bytes]]:
    """The shards of one table held in memory: entry and exact Parquet bytes of each, in order."""
    for shard in shard_layout(table, whole.num_rows, layout.max_rows_per_shard):
        # A one-shard table is written whole, exactly as before tables had shards.
        part = whole if shard.rows == whole.num_rows else whole.slice(shard.offset, shard.rows)
        data = parquet_bytes(part)
        entry = FileEntry(
            path=shard.path,
            table=table,
            sha256=hashlib.sha256(data).hexdigest(),
            rows=shard.rows,
            bytes=len(data),
            arrow_bytes=part.nbytes,
        )
        yield entry, data


def file_entries(tables: Mapping[Table, pa.Table], layout: ReleaseConfig) -> tuple[FileEntry, ...]:
    """The manifest entries of every shard of every table (what `write_tables` would record)."""
    return tuple(entry for entry, _ in encoded_shards(tables, layout))


def write_tables(
    folder: Path,
    tables: Mapping[Table, pa.Table],
    manifest: Manifest,
    layout: ReleaseConfig,
    version: str | None,
    date_released: str | None = None,
) -> Manifest:
    """Write every shard of every table and `manifest.json` into `folder`; return the manifest
    as written."""
    entries = []
    for entry, data in encoded_shards(tables, layout):
        write_atomic(folder / entry.path, data)
        entries.append(entry)
    written = replace(manifest, version=version, date_released=date_released, files=tuple(entries))
    write_atomic(folder / MANIFEST, written.to_json())
    return written


def write_manifest(
    folder: Path, manifest: Manifest, version: str | None, date_released: str | None = None
) -> Manifest:
    """Write `manifest.json` (files already set) into `folder`; return the manifest as written."""
    written = replace(manifest, version=version, date_released=date_released)
    write_atomic(folder / MANIFEST, written.to_json())
    return written


def read_tables(folder: Path, files: Iterable[FileEntry]) -> dict[Table, pa.Table]:
    """The tables of a written build or release, each its shards concatenated in order."""
    pieces: dict[Table, list[pa.Table]] = {}
    for entry in files:
        pieces.setdefault(Table(entry.table), []).append(pq.read_table(folder / entry.path))
    return {table: pa.concat_tables(parts) for table, parts in pieces.items()}
