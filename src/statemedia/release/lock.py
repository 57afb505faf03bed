"""One build or release at a time per dataset folder: an advisory lock on `.<dataset>.lock`, a file
beside the dataset folder (so that a refused first build creates no dataset folder).

The lock is an `flock` on an open file, so the kernel releases it when the holder exits, even when
killed with SIGKILL: a stale lock cannot outlive its process. A second run fails at once with
`BusyError` naming the holder.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from statemedia.errors import BusyError


def lock_path(dataset_dir: Path) -> Path:
    """The lock file of a dataset folder, e.g. `<repo>/.dataset.lock`."""
    return dataset_dir.parent / f".{dataset_dir.name}.lock"


@contextmanager
def dataset_lock(
    dataset_dir: Path, purpose: str, activity: str = "build or release"
) -> Iterator[None]:
    """Hold the folder's lock for the block; fail at once if another run holds it. (Also the
    labels folder's lock, for `annotate publish`, with `activity` naming what runs there.)"""
    path = lock_path(dataset_dir)
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BusyError(
                f"{dataset_dir}: another {activity} is running ({holder}); wait for it to "
                "finish and run again"
            ) from err
        handle.seek(0)
        handle.truncate()
        handle.write(f"{purpose}, pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing the file releases the lock
