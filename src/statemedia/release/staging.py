"""Folders that appear whole or not at all: staging next to the target, then one rename.

`staged` gives a fresh hidden folder beside the final one and removes it if the block fails;
`promote` moves it to a new release name (never replacing one); `replace_build` swaps a build
folder so that a kill at any moment leaves either the old build or the new one (`swap_folder` does
the same for any folder its caller has checked, e.g. the published labels).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from statemedia.errors import ReleaseError
from statemedia.release.layout import MANIFEST


def remove_stale(parent: Path, name: str) -> list[Path]:
    """Remove what killed runs left next to `name`: staging (`.<name>.*.partial`) and set-aside
    (`.<name>.*.old`) folders. Call only under the dataset lock: then no other run owns them."""
    stale = sorted([*parent.glob(f".{name}.*.partial"), *parent.glob(f".{name}.*.old")])
    for folder in stale:
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
    return stale


@contextmanager
def staged(parent: Path, name: str) -> Iterator[Path]:
    """A fresh hidden folder next to the final one (so the final rename is atomic), removed if the
    block fails: a failed build or release leaves nothing half-written. Under the dataset lock."""
    missing = [p for p in (parent, *parent.parents) if not p.exists()]
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale(parent, name)
    folder = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=parent))
    folder.chmod(0o755)
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        for created in missing:  # the folders made for it, innermost first, if still empty
            with contextlib.suppress(OSError):
                created.rmdir()
        raise


def promote(staging: Path, final: Path) -> None:
    """Move a fully written staging folder to its final name; refuse to replace anything."""
    if final.exists():
        raise ReleaseError(f"{final} already exists: released versions are never modified")
    os.rename(staging, final)


def check_build_target(out: Path) -> None:
    """Refuse an output folder that exists and is not an earlier build (a release, seeds/, `.`):
    a build replaces only what a build wrote."""
    if not out.exists():
        return
    manifest = out / MANIFEST
    try:
        is_build = json.loads(manifest.read_text(encoding="utf-8")).get("version", "") is None
    except (OSError, ValueError, AttributeError):
        is_build = False
    if not out.is_dir() or not is_build:
        raise ReleaseError(
            f'{out}: exists and is not an earlier build (no {MANIFEST} with "version": null); '
            "a build replaces only its own output: choose a new or empty --out folder"
        )


def replace_build(staging: Path, out: Path) -> None:
    """Put a fully written build at `out`: the old one is renamed aside, the new one renamed in,
    then the old one removed, so no moment shows half a build."""
    check_build_target(out)
    swap_folder(staging, out)


def swap_folder(staging: Path, out: Path) -> None:
    """Put a fully written folder at `out`, replacing the one there (checked by the caller): the
    old one is renamed aside, the new one renamed in, then the old one removed."""
    if not out.exists():
        os.rename(staging, out)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rename(out, aside / out.name)
    os.rename(staging, out)
    shutil.rmtree(aside, ignore_errors=True)
