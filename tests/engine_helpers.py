"""Functions the Dask workers of tests/test_engines.py import by name (the tests folder is on their
PYTHONPATH): a parse that kills its own worker process once, to test that Dask retries the task."""

from __future__ import annotations

import os
from pathlib import Path

from statemedia.inputs import RawFile
from statemedia.stages import FileOutcome, parse_file


def parse_or_die(item: tuple[RawFile, str, str]) -> FileOutcome:
    """Parse `raw`; but the first time a file whose path ends with `victim` is parsed, create the
    `marker` file and kill this worker process without a word (as the OOM killer would)."""
    raw, victim, marker = item
    if raw.repo_path.endswith(victim) and not Path(marker).exists():
        Path(marker).touch()
        os._exit(1)
    return parse_file(raw)
