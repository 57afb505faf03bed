"""Writing a repository of test inputs: `seeds/manifest.toml` entries in the real layout."""

from __future__ import annotations

import shutil
from pathlib import Path

from statemedia.ids import sha256_bytes

REPO = Path(__file__).resolve().parents[1]


def seeds_entry(
    seeds: Path,
    path: str,
    source: str,
    platform: str,
    fmt: str,
    language: str,
    collection: str,
    channel: str | None = None,
) -> str:
    """The `[[files]]` entry declaring `seeds/<path>` (which must exist: its sha256 is taken)."""
    options = f'options = {{ channel = "{channel}" }}\n' if channel else ""
    return (
        f'[[files]]\npath = "{path}"\n'
        f'sha256 = "{sha256_bytes((seeds / path).read_bytes())}"\n'
        f'source = "{source}"\nplatform = "{platform}"\nformat = "{fmt}"\n'
        f'language = "{language}"\ncollection = "{collection}"\n{options}'
    )


def finish_repo(root: Path, entries: list[str]) -> Path:
    """Write the seeds manifest from `entries` and the repository's statemedia.toml; `root`."""
    (root / "seeds" / "manifest.toml").write_text("\n".join(entries), encoding="utf-8")
    shutil.copy(REPO / "statemedia.toml", root / "statemedia.toml")
    return root
