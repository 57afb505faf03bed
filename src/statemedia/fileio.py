"""Reading the project's own text files, and atomic writes: the one way this project writes a file.

`read_text` / `read_json` / `read_toml` turn a missing, undecodable or malformed file into the
caller's `StatemediaError` subclass, naming the file. Writes go to a temporary file in the same
folder, are flushed, and replace the target with `os.replace`: readers never see a part.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from statemedia.errors import ConfigError, StatemediaError


def read_text(path: Path, error: type[StatemediaError] = ConfigError) -> str:
    """The UTF-8 text of `path`; an unreadable or undecodable file raises `error` naming it."""
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as err:
        raise error(f"{path}: cannot read: {err.strerror or err}") from err
    except UnicodeDecodeError as err:
        raise error(f"{path}: not UTF-8 at byte {err.start}; save it as UTF-8") from err


def read_json(path: Path, error: type[StatemediaError] = ConfigError) -> Any:
    """The parsed JSON of `path`; bad JSON raises `error` with the line and column."""
    text = read_text(path, error)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise error(f"{path}:{err.lineno}:{err.colno}: not valid JSON: {err.msg}") from err


def read_toml(path: Path, error: type[StatemediaError] = ConfigError) -> dict[str, Any]:
    """The parsed TOML of `path`; bad TOML raises `error` with tomllib's position."""
    text = read_text(path, error)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{path}: not valid TOML: {err}") from err


def write_atomic(path: Path, data: str | bytes, mode: int | None = 0o644) -> None:
    """Write `data` to `path`: readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        # Why BaseException: a Ctrl-C mid-write must not leave the temp file behind either.
        Path(tmp).unlink(missing_ok=True)
        raise
