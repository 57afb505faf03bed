"""The Arrow schema and the Hugging Face `features`, both derived from `schema/post.schema.json`.

The JSON Schema is the only place the row layout is written; this module translates it, and
`validate_rows` checks rows against it (with closed vocabularies expanded into enums).
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pyarrow as pa

from statemedia.vocab import post_schema


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        name = ref.removeprefix("#/$defs/")
        return root["$defs"][name]
    return node


def _arrow_type(node: dict[str, Any], root: dict[str, Any]) -> pa.DataType:
    node = _resolve(node, root)
    kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
    kind = next(k for k in kinds if k != "null")
    if kind == "string":
        return pa.date32() if node.get("format") == "date" else pa.string()
    if kind == "integer":
        return pa.int64()
    if kind == "number":
        return pa.float64()
    if kind == "boolean":
        return pa.bool_()
    if kind == "array":
        return pa.list_(_arrow_type(node["items"], root))
    if kind == "object":
        return pa.struct(
            [
                pa.field(name, _arrow_type(child, root), nullable=_nullable(child, root))
                for name, child in node["properties"].items()
            ]
        )
    raise ValueError(f"unsupported JSON Schema type {kind!r}")


def _nullable(node: dict[str, Any], root: dict[str, Any]) -> bool:
    node = _resolve(node, root)
    return isinstance(node["type"], list) and "null" in node["type"]


def arrow_schema(schema: dict[str, Any] | None = None) -> pa.Schema:
    """The Arrow schema of a release split, columns in the JSON Schema's property order."""
    schema = schema or post_schema()
    return pa.schema(
        [
            pa.field(name, _arrow_type(node, schema), nullable=_nullable(node, schema))
            for name, node in schema["properties"].items()
        ]
    )


def _feature(node: dict[str, Any], root: dict[str, Any]) -> Any:
    node = _resolve(node, root)
    kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
    kind = next(k for k in kinds if k != "null")
    scalar = {"string": "string", "integer": "int64", "number": "float64", "boolean": "bool"}
    if kind == "string" and node.get("format") == "date":
        return {"dtype": "date32"}
    if kind in scalar:
        return {"dtype": scalar[kind]}
    if kind == "array":
        return {"list": _feature(node["items"], root)}
    return {"struct": [{"name": n, **_feature(c, root)} for n, c in node["properties"].items()]}


def card_features(schema: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The `dataset_info.features` list for the dataset card YAML."""
    schema = schema or post_schema()
    return [{"name": name, **_feature(node, schema)} for name, node in schema["properties"].items()]


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
