"""The commands behind `statemedia build | release | verify | card`.

Each `run_*` function prints a human summary and returns an exit code; errors are raised as
`StatemediaError` for the CLI to report. Output folders are written by staging and renaming.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from statemedia.account import format_accounts
from statemedia.build import build_tables
from statemedia.config import CONFIG_FILE, Config, load_config
from statemedia.errors import ReleaseError
from statemedia.fileio import write_atomic
from statemedia.release.layout import (
    CROISSANT,
    newest_version,
    parse_version,
    read_manifest,
    released_splits,
    verify_releases,
    version_key,
)
from statemedia.release.manifest import FileEntry, Manifest
from statemedia.release.staging import check_build_target, promote, replace_build, staged
from statemedia.release.writer import encode_tables, file_entries, write_tables


def _config(root: Path) -> Config:
    return load_config(root / CONFIG_FILE)


def _summary(manifest: Manifest) -> str:
    counts = manifest.stage_counts
    lines = [
        f"parse: {counts.parse.records} records from {counts.parse.files} files",
        f"clean: kept {counts.clean.kept} {dict(counts.clean.kept_by_kind)}, "
        f"dropped {dict(counts.clean.dropped) or 0}",
        f"dedup: kept {counts.dedup.kept} of {counts.dedup.seen}, removed "
        f"{dict(counts.dedup.removed) or 0}",
        f"split: {dict(counts.split)}",
    ]
    return "\n".join(lines)


def compare_with_release(
    dataset_dir: Path, entries: Sequence[FileEntry]
) -> tuple[str | None, list[str]]:
    """Names of the files that differ between a build and the newest release."""
    version = newest_version(dataset_dir)
    if version is None:
        return None, []
    released = {e.path: e.sha256 for e in read_manifest(dataset_dir / "data" / version).files}
    built = {e.path: e.sha256 for e in entries}
    return version, sorted(
        p for p in released.keys() | built.keys() if released.get(p) != built.get(p)
    )


def run_build(root: Path, out: Path | None = None, quiet: bool = False) -> int:
    """Rebuild from seeds/ into dataset/build (or `out`) and compare with the newest release."""
    config = _config(root)
    dataset_dir = root / config.build.dataset_dir
    build = build_tables(root, config, released_splits(dataset_dir))
    out = out or dataset_dir / "build"
    check_build_target(out)  # before the work, and again before the swap
    with staged(out.parent, out.name) as staging:
        manifest = write_tables(staging, build.tables, build.manifest, version=None)
        write_atomic(staging / "line_account.txt", format_accounts(build.outcome.accounts) + "\n")
        write_atomic(staging / "seconds.json", json.dumps(build.seconds, indent=2) + "\n")
    replace_build(staging, out)
    if not quiet:
        print("Line account (every line of every raw file, by category):")
        print(format_accounts(build.outcome.accounts))
        print()
    print(_summary(manifest))
    for channel, report in manifest.completeness.items():
        gaps = [list(gap) for gap in report.gaps]
        print(
            f"completeness {channel}: ids {report.first_id}–{report.last_id}, "
            f"{report.present} present, {report.missing} missing, gaps {gaps}"
        )
    print("seconds: " + ", ".join(f"{stage} {sec:.2f}" for stage, sec in build.seconds.items()))
    print(f"wrote {out}")
    version, differing = compare_with_release(dataset_dir, manifest.files)
    if version is None:
        print("no release yet: cut one with `statemedia release --version 1.0.0`")
    elif differing:
        print(f"differs from release {version} in: {', '.join(differing)}")
        print("to publish it, cut a new release: `statemedia release --version X.Y.Z`")
    else:
        print(f"byte-identical to release {version}")
    return 0


def run_release(root: Path, version_text: str, date_released: str | None = None) -> int:
    """Build from seeds/ and write an immutable release folder; refuse an existing version."""
    from statemedia.release.cards import write_generated
    from statemedia.release.croissant import render_croissant

    version = parse_version(version_text)
    config = _config(root)
    dataset_dir = root / config.build.dataset_dir
    final = dataset_dir / "data" / version
    if final.exists():
        raise ReleaseError(
            f"{final} already exists: released versions are never modified; "
            "choose a new version number"
        )
    newest = newest_version(dataset_dir)
    if newest is not None and version_key(version) <= version_key(newest):
        raise ReleaseError(f"version {version} is not newer than the newest release {newest}")
    build = build_tables(root, config, released_splits(dataset_dir))
    try:  # the only clock reading in a release: its date, in the manifest, never in rows
        when = (date.fromisoformat(date_released) if date_released else date.today()).isoformat()
    except ValueError as err:
        raise ReleaseError(f"--date {date_released!r} is not YYYY-MM-DD") from err
    with staged(final.parent, version) as staging:
        manifest = write_tables(
            staging, build.tables, build.manifest, version=version, date_released=when
        )
        # Written before promotion: croissant.json is part of the release, as immutable as it.
        croissant = render_croissant(staging, manifest, version, config.project)
        write_atomic(staging / CROISSANT, croissant)
        promote(staging, final)
    print(_summary(manifest))
    print(f"released {final}")
    write_generated(root)
    return 0


def run_verify(root: Path, reproduce: bool = False) -> int:
    """Re-hash every release; with `reproduce`, rebuild and compare with the newest release."""
    config = _config(root)
    dataset_dir = root / config.build.dataset_dir
    problems = verify_releases(dataset_dir)
    if reproduce and not problems:
        version = newest_version(dataset_dir)
        assert version is not None
        previous = released_splits(dataset_dir)
        build = build_tables(root, config, previous)
        entries = file_entries(build.tables, encode_tables(build.tables))
        _, differing = compare_with_release(dataset_dir, entries)
        problems += [f"rebuild from seeds/ differs from {version}: {name}" for name in differing]
    for problem in problems:
        print(f"MISMATCH {problem}")
    if problems:
        print(f"verify: {len(problems)} problem(s)")
        return 1
    print("verify: every release matches its manifest" + (" and the rebuild" if reproduce else ""))
    return 0


def run_card(root: Path, check: bool = False) -> int:
    """Regenerate the generated documents, or with `check` list the stale ones."""
    from statemedia.release.cards import stale_generated, write_generated

    if check:
        stale = stale_generated(root)
        for name in stale:
            print(f"STALE {name}: run `statemedia card`")
        return 1 if stale else 0
    for name in write_generated(root):
        print(f"wrote {name}")
    return 0
