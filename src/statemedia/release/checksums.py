"""`dataset/data/SHA256SUMS`: the sha256 of every file of every release, the manifests included.

The file is in `sha256sum` format (`sha256sum -c SHA256SUMS` in `dataset/data/` checks it without
this package) and lives outside the release folders, so it also covers releases cut before it
existed. A release adds its lines when it is cut, under the dataset lock; lines are never changed.
The lines are hashed from the staging folder and kept in a pending file until the folder is
renamed into place, so a release killed at any moment is either absent or complete and recorded
at the next run (`recover_pending`).
"""

from __future__ import annotations

import re
from pathlib import Path

from statemedia.errors import ReleaseError
from statemedia.fileio import read_text, write_atomic
from statemedia.release.layout import release_versions, sha256_file, verify_releases

SUMS = "SHA256SUMS"
_LINE = re.compile(r"([0-9a-f]{64})  (v[0-9]+\.[0-9]+\.[0-9]+/[^/\n]+)", re.ASCII)


def release_files(release_dir: Path, version: str | None = None) -> dict[str, str]:
    """`<version>/<name>` -> sha256 for every file in a release folder (hidden files included)."""
    version = version or release_dir.name
    found: dict[str, str] = {}
    for path in sorted(release_dir.iterdir()):
        if path.is_dir() or path.is_symlink():
            found[f"{version}/{path.name}"] = "(not a regular file)"
        else:
            found[f"{version}/{path.name}"] = sha256_file(path)
    return found


def _pending(data_dir: Path, version: str) -> Path:
    return data_dir / f".{SUMS}.{version}.pending"


def _write_sums(data_dir: Path, sums: dict[str, str]) -> None:
    write_atomic(data_dir / SUMS, "".join(f"{sums[n]}  {n}\n" for n in sorted(sums)))


def stage_release(data_dir: Path, version: str, staging: Path) -> None:
    """Before promotion: hash the fully written staging folder into the release's pending file."""
    if any(name.startswith(f"{version}/") for name in read_sums(data_dir)):
        raise ReleaseError(f"{data_dir / SUMS}: {version} is recorded already")
    lines = release_files(staging, version)
    write_atomic(_pending(data_dir, version), "".join(f"{lines[n]}  {n}\n" for n in lines))


def commit_release(data_dir: Path, version: str) -> None:
    """After promotion: move the release's pending lines into SHA256SUMS."""
    pending = _pending(data_dir, version)
    sums = read_sums(data_dir)
    for line in read_text(pending, ReleaseError).splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    _write_sums(data_dir, sums)
    pending.unlink()


def recover_pending(data_dir: Path) -> list[str]:
    """Finish what a killed release left (call under the dataset lock): record a release whose
    folder was renamed into place, drop the pending lines of one that was not. Returns versions
    recorded."""
    recorded = []
    for pending in sorted(data_dir.glob(f".{SUMS}.v*.pending")):
        version = pending.name.removeprefix(f".{SUMS}.").removesuffix(".pending")
        if (data_dir / version).is_dir():
            commit_release(data_dir, version)
            recorded.append(version)
        else:
            pending.unlink()
    return recorded


def read_sums(data_dir: Path) -> dict[str, str]:
    """The recorded `<version>/<name>` -> sha256; a missing file means nothing is recorded."""
    path = data_dir / SUMS
    if not path.exists():
        return {}
    sums: dict[str, str] = {}
    for number, line in enumerate(read_text(path, ReleaseError).splitlines(), start=1):
        match = _LINE.fullmatch(line)
        if match is None or match[2] in sums:
            raise ReleaseError(
                f"{path}:{number}: not a '<sha256>  <version>/<file>' line, or a repeated file; "
                "restore SHA256SUMS from version control"
            )
        sums[match[2]] = match[1]
    return sums


def verify_sums(data_dir: Path) -> list[str]:
    """Every difference between the release folders and SHA256SUMS (empty if they agree)."""
    sums = read_sums(data_dir)
    problems = []
    versions = release_versions(data_dir.parent)
    actual: dict[str, str] = {}  # every file of every release folder, each hashed once
    for version in versions:
        found = release_files(data_dir / version)
        actual.update(found)
        if not any(name.startswith(f"{version}/") for name in sums):
            pending = " (a release was interrupted: run `statemedia build` to finish it)"
            hint = pending if _pending(data_dir, version).exists() else ""
            problems.append(f"{data_dir / version}: not recorded in {SUMS}{hint}")
            continue
        for name, digest in found.items():
            if name not in sums:
                problems.append(f"{data_dir / name}: not part of the release ({SUMS})")
            elif sums[name] != digest:
                problems.append(f"{data_dir / name}: sha256 {digest} != {SUMS} {sums[name]}")
    for name in sorted(sums.keys() - actual.keys()):
        version = name.split("/", 1)[0]
        if version in versions:
            problems.append(f"{data_dir / name}: missing (recorded in {SUMS})")
        else:
            problems.append(f"{data_dir / version}: recorded in {SUMS} but missing")
    return problems


def verify_everything(dataset_dir: Path) -> list[str]:
    """Every problem with the releases: each against its manifest, and every file against
    SHA256SUMS (manifests and croissant files included)."""
    problems = verify_releases(dataset_dir)
    if release_versions(dataset_dir):
        problems += verify_sums(dataset_dir / "data")
    return problems
