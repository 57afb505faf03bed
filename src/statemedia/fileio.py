"""Atomic file writes, the one way this project writes an output file.

Readers see the old file or the whole new one, never a part: the data goes to a temporary file in
the same folder, is flushed to disk, and replaces the target with `os.replace`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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
