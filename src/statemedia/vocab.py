"""Closed vocabularies and the row schema, read from the repository's `schema/` folder.

`schema/` is the single source of truth: code, the Label Studio config and the data card all read it
from here, so no list of sources, categories or reasons is ever written twice.
"""

from __future__ import annotations

import json
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
    for prop in schema["properties"].values():
        if "x-vocabulary" in prop:
            prop["enum"] = list(vocabulary(prop["x-vocabulary"]))
    return schema


def schema_version() -> str:
    """Return the row schema's version string."""
    return load_json("post.schema.json")["x-schema-version"]
