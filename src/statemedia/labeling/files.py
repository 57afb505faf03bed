"""The labeling files: their names, JSON Lines in and out, and atomic writes.

Every output of `annotate agreement | gold | config` goes through `write_atomic`, so a failed
command never leaves a half-written file behind (temp file in the same directory, then os.replace);
`annotate pull` and `annotate publish` write whole folders (`labeling.publication.write_folder`).
Rows are parsed into records once, by `read_records`, and written from records once, by
`dumps_records`; the dicts in between live only here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

from statemedia.errors import BadInputError
from statemedia.fileio import read_text, write_atomic
from statemedia.labeling.records import parse_row

__all__ = [
    "ADJUDICATION_FILE",
    "AGREEMENT_FILE",
    "AGREEMENT_TABLE_FILE",
    "ANNOTATIONS_FILE",
    "ASSIGNMENT_FILE",
    "CODER_EXPORT",
    "EXPORT_FILE",
    "GOLD_FILE",
    "PREDICTIONS_FILE",
    "PREDICTIONS_RAW_FILE",
    "PROBLEMS_FILE",
    "PSEUDONYM_FILE",
    "PUBLICATION_FILE",
    "PULL_FILE",
    "coder_export_file",
    "dumps_json",
    "dumps_jsonl",
    "dumps_records",
    "read_jsonl",
    "read_records",
    "write_atomic",
]

# What `annotate pull` writes into its output folder.
EXPORT_FILE = "export.json"  # the Label Studio export, verbatim
PREDICTIONS_RAW_FILE = "predictions_raw.json"  # the predictions API's answer, verbatim
ANNOTATIONS_FILE = "annotations.jsonl"  # records.Annotation, one per line
PROBLEMS_FILE = "problems.jsonl"  # records.Problem
PREDICTIONS_FILE = "predictions.jsonl"  # records.Prediction
PULL_FILE = "pull.json"  # where from, when, the export's hash and the counts
# Blind coding (labeling.coders): one verbatim export per coder's server instead of export.json,
# and the design (labeling.assignment), copied from the state folder where `push` writes it.
CODER_EXPORT = re.compile(r"export\.annotator_\d+\.json")
ASSIGNMENT_FILE = "assignment.json"
# What `annotate agreement` and `annotate gold` write next to annotations.jsonl.
AGREEMENT_FILE = "agreement.json"
AGREEMENT_TABLE_FILE = "agreement.md"
GOLD_FILE = "gold.jsonl"  # records.GoldLabel
ADJUDICATION_FILE = "adjudication.jsonl"  # records.Disagreement
# What `annotate publish` writes into `[build] labels_dir` beside the published copies.
PUBLICATION_FILE = "publication.json"  # the pull it came from and the sha256 of each file
# In the Label Studio state folder: the private pseudonym map (records.AnnotatorMap).
PSEUDONYM_FILE = "annotators.json"

R = TypeVar("R")


def coder_export_file(pseudonym: str) -> str:
    """The pull folder's name for one coder's verbatim export (matches CODER_EXPORT)."""
    return f"export.{pseudonym}.json"


class Row(Protocol):
    """A record that is one line of a JSON Lines file."""

    def to_dict(self) -> Mapping[str, Any]: ...


def dumps_jsonl(rows: Iterable[Mapping[str, Any]]) -> str:
    """Serialise rows as JSON Lines with sorted keys (stable, diffable)."""
    return "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)


def dumps_records(records: Iterable[Row]) -> str:
    """Serialise records as JSON Lines, one `to_dict()` per line."""
    return dumps_jsonl(record.to_dict() for record in records)


def dumps_json(obj: Any) -> str:
    """Serialise an object as indented JSON with sorted keys and a final newline."""
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON Lines file as dicts; raise BadInputError naming a line that is not an object."""
    return read_records(path, dict)


def read_records(path: Path, parse: Callable[[dict[str, Any]], R]) -> list[R]:
    """Read a JSON Lines file into records; BadInputError names the file and line of a bad row."""
    records: list[R] = []
    for number, line in enumerate(read_text(path, BadInputError).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise BadInputError(f"{path}:{number}: not valid JSON ({err.msg})") from err
        records.append(parse_row(row, parse, f"{path}:{number}"))
    return records
