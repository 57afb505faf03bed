"""Small file helpers shared by the labeling modules: atomic writes and JSON Lines.

Every output of `annotate pull | agreement | gold | config` goes through `write_atomic`, so a failed
command never leaves a half-written file behind (temp file in the same directory, then os.replace).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from statemedia.errors import BadInputError
from statemedia.fileio import write_atomic

__all__ = ["dumps_json", "dumps_jsonl", "read_jsonl", "write_atomic"]


def dumps_jsonl(rows: Iterable[Mapping[str, Any]]) -> str:
    """Serialise rows as JSON Lines with sorted keys (stable, diffable)."""
    return "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)


def dumps_json(obj: Any) -> str:
    """Serialise an object as indented JSON with sorted keys and a final newline."""
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON Lines file; raise BadInputError naming the line that is not a JSON object."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise BadInputError(f"{path}: file not found") from err
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise BadInputError(f"{path}:{number}: not valid JSON ({err.msg})") from err
        if not isinstance(row, dict):
            raise BadInputError(f"{path}:{number}: expected a JSON object per line")
        rows.append(row)
    return rows
