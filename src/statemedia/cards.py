"""Generated documents: `dataset/README.md` (HF card) and, per release, `croissant.json`; the
numbers between markers in `DATACARD.md`. `stale_generated` lists those that disagree with the data.
"""

from __future__ import annotations

from pathlib import Path

from statemedia.release.hfcard import render_card
from statemedia.release.writer import write_text_atomic


def expected_documents(root: Path) -> dict[Path, str]:
    """Every generated file and its expected content."""
    dataset_dir = root / "dataset"
    return {dataset_dir / "README.md": render_card(dataset_dir)}


def stale_generated(root: Path) -> list[str]:
    """Repo-relative names of generated files whose content is out of date."""
    stale = []
    for path, text in expected_documents(root).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(str(path.relative_to(root)))
    return stale


def write_generated(root: Path) -> list[str]:
    """Write every generated file that changed; return their names."""
    written = []
    for path, text in expected_documents(root).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_text_atomic(path, text)
            written.append(str(path.relative_to(root)))
    return written
