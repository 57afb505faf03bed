"""The row layout, read once from a JSON Schema in `schema/`, and everything derived from it.

`columns` is the one walker over a row JSON Schema: it gives a typed `Column` tree (with `$ref`s
resolved and closed vocabularies expanded). The Arrow schema, the Hugging Face `features` and the
Croissant fields are translations of that tree; `validate_rows` checks rows against the JSON Schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import jsonschema
import pyarrow as pa

from statemedia.vocab import post_schema

ColumnKind = Literal[
    "string", "date", "timestamp", "integer", "number", "boolean", "list", "struct"
]
# JSON Schema string formats that are their own column kinds: a calendar date, a UTC instant.
_STRING_FORMATS: dict[str, ColumnKind] = {"date": "date", "date-time": "timestamp"}


@dataclass(frozen=True, slots=True)
class Column:
    """One column (or list item, or struct member) of a row schema."""

    name: str
    kind: ColumnKind
    nullable: bool
    description: str
    enum: tuple[str, ...]
    item: Column | None = None  # the element of a list
    fields: tuple[Column, ...] = ()  # the members of a struct


def columns(schema: dict[str, Any] | None = None) -> tuple[Column, ...]:
    """The top-level columns of a row schema (default: the post row), in property order."""
    root = schema or post_schema()
    return tuple(_column(name, node, root) for name, node in root["properties"].items())


def _column(name: str, node: dict[str, Any], root: dict[str, Any]) -> Column:
    ref = node.get("$ref")
    if ref:
        node = root["$defs"][ref.removeprefix("#/$defs/")]
    kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
    kind = next(k for k in kinds if k != "null")
    common = {
        "name": name,
        "nullable": "null" in kinds,
        "description": node.get("description", ""),
        "enum": tuple(value for value in node.get("enum", ()) if value is not None),
    }
    if kind == "string":
        return Column(kind=_STRING_FORMATS.get(node.get("format", ""), "string"), **common)
    if kind in ("integer", "number", "boolean"):
        return Column(kind=kind, **common)
    if kind == "array":
        return Column(kind="list", item=_column(name, node["items"], root), **common)
    if kind == "object":
        members = tuple(_column(n, child, root) for n, child in node["properties"].items())
        return Column(kind="struct", fields=members, **common)
    raise ValueError(f"unsupported JSON Schema type {kind!r} for {name!r}")


_ARROW_SCALARS = {
    "string": pa.string(),
    "date": pa.date32(),
    # Whole seconds, stored in milliseconds: Parquet has no seconds unit, and reads `s` back as `ms`.
    "timestamp": pa.timestamp("ms", tz="UTC"),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
}


def _arrow_type(column: Column) -> pa.DataType:
    if column.kind == "list":
        assert column.item is not None
        return pa.list_(_arrow_type(column.item))
    if column.kind == "struct":
        return pa.struct([_arrow_field(member) for member in column.fields])
    return _ARROW_SCALARS[column.kind]


def _arrow_field(column: Column) -> pa.Field:
    return pa.field(column.name, _arrow_type(column), nullable=column.nullable)


def arrow_schema(schema: dict[str, Any] | None = None) -> pa.Schema:
    """The Arrow schema of a release table, columns in the JSON Schema's property order."""
    return pa.schema([_arrow_field(column) for column in columns(schema)])


_HF_DTYPES = {
    "string": "string",
    "date": "date32",
    "timestamp": "timestamp[ms, tz=UTC]",
    "integer": "int64",
    "number": "float64",
    "boolean": "bool",
}


def _card_feature(column: Column) -> dict[str, Any]:
    """A column as the card YAML writes it: `dtype`, `list` (of a dtype or fields) or `struct`."""
    if column.kind == "list":
        assert column.item is not None
        item = _card_feature(column.item)
        return {"list": item.get("dtype", item.get("struct"))}
    if column.kind == "struct":
        return {"struct": [{"name": m.name, **_card_feature(m)} for m in column.fields]}
    return {"dtype": _HF_DTYPES[column.kind]}


def card_features(schema: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The `dataset_info.features` list for the dataset card YAML."""
    return [{"name": column.name, **_card_feature(column)} for column in columns(schema)]


def hf_features(schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """`datasets` Features in its own JSON form (stored in each Parquet file's metadata)."""

    def convert(column: Column) -> Any:
        if column.kind == "list":
            assert column.item is not None
            return {"feature": convert(column.item), "_type": "List"}
        if column.kind == "struct":
            return {member.name: convert(member) for member in column.fields}
        return {"dtype": _HF_DTYPES[column.kind], "_type": "Value"}

    return {column.name: convert(column) for column in columns(schema)}


def validate_rows(rows: list[dict[str, Any]], schema: dict[str, Any] | None = None) -> list[str]:
    """Validate JSON-like rows (dates as ISO strings) against a row schema; return error messages."""
    validator = jsonschema.Draft202012Validator(
        schema or post_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = []
    for row in rows:
        for error in validator.iter_errors(row):
            path = "/".join(str(p) for p in error.absolute_path)
            errors.append(f"{row.get('post_id', '?')}: {path}: {error.message}")
    return errors
