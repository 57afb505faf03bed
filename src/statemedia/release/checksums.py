"""The sha256 of every file of every release, the manifests included, in `dataset/data/`.

Each release has its own checksum file beside its folder, `SHA256SUMS.<version>`, written once
when the release is cut and never changed, like the release itself; `SHA256SUMS` holds the
releases recorded before per-release files existed (v1.0.0) and is never written again. All are
in `sha256sum` format with paths relative to `dataset/data/`, so `sha256sum -c SHA256SUMS*` there
checks every release without this package. The lines are hashed from the staging folder and kept
in a pending file until the folder is renamed into place, so a release killed at any moment is
either absent or complete and recorded at the next run (`recover_pending`).
"""

from __future__ import annotations

import re
from pathlib import Path

from statemedia.errors import ReleaseError
from statemedia.fileio import read_text, write_atomic
from statemedia.release.layout import release_versions, sha256_file, verify_releases

SUMS = "SHA256SUMS"  # the releases recorded before per-release files (v1.0.0); never written


def sums_file(data_dir: Path, version: str) -> Path:
    """The checksum file of one release: `SHA256SUMS.<version>`, beside its folder."""
    return data_dir / f"{SUMS}.{version}"


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


def stage_release(data_dir: Path, version: str, staging: Path) -> None:
    """Before promotion: hash the fully written staging folder into the release's pending file."""
    if any(name.startswith(f"{version}/") for name in read_sums(data_dir)):
        raise ReleaseError(f"{data_dir}: {version} is recorded already in its checksum files")
    lines = release_files(staging, version)
    write_atomic(_pending(data_dir, version), "".join(f"{lines[n]}  {n}\n" for n in lines))


def commit_release(data_dir: Path, version: str) -> None:
    """After promotion: the release's pending lines become its own `SHA256SUMS.<version>`."""
    pending, final = _pending(data_dir, version), sums_file(data_dir, version)
    if final.exists():
        raise ReleaseError(f"{final} exists already: checksum files are never rewritten")
    write_atomic(final, read_text(pending, ReleaseError))
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
    """The recorded `<version>/<name>` -> sha256 of every checksum file (none: nothing recorded).

    A per-release file may hold lines of its own version only, and a file is recorded once.
    """
    paths = [data_dir / SUMS, *sorted(data_dir.glob(f"{SUMS}.v*"))]
    sums: dict[str, str] = {}
    for path in paths:
        if not path.exists():
            continue
        own = path.name.removeprefix(f"{SUMS}.") if path.name != SUMS else None
        for number, line in enumerate(read_text(path, ReleaseError).splitlines(), start=1):
            match = _LINE.fullmatch(line)
            if (
                match is None
                or match[2] in sums
                or (own is not None and not match[2].startswith(f"{own}/"))
            ):
                raise ReleaseError(
                    f"{path}:{number}: not a '<sha256>  {own or '<version>'}/<file>' line, or a "
                    "file recorded twice; restore the checksum files from version control"
                )
            sums[match[2]] = match[1]
    return sums


def verify_sums(data_dir: Path) -> list[str]:
    """Every difference between the release folders and the checksum files (empty if none)."""
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
            where = sums_file(data_dir, version).name
            problems.append(f"{data_dir / version}: not recorded (no {where}){hint}")
            continue
        for name, digest in found.items():
            if name not in sums:
                problems.append(f"{data_dir / name}: not part of the release (checksum files)")
            elif sums[name] != digest:
                problems.append(f"{data_dir / name}: sha256 {digest} != recorded {sums[name]}")
    for name in sorted(sums.keys() - actual.keys()):
        version = name.split("/", 1)[0]
        if version in versions:
            problems.append(f"{data_dir / name}: missing (recorded in the checksum files)")
        else:
            problems.append(f"{data_dir / version}: recorded in the checksum files but missing")
    return problems


def verify_everything(dataset_dir: Path) -> list[str]:
    """Every problem with the releases: each against its manifest, and every file against the
    checksum files (manifests and croissant files included)."""
    problems = verify_releases(dataset_dir)
    if release_versions(dataset_dir):
        problems += verify_sums(dataset_dir / "data")
    return problems
