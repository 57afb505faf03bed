"""The commands behind `statemedia build | release | verify | card`.

Each `run_*` function prints a human summary and returns an exit code; errors are raised as
`StatemediaError` for the CLI to report. Output folders are written by staging and renaming.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

from statemedia.account import format_accounts
from statemedia.build import build_into
from statemedia.config import CONFIG_FILE, Config, load_config
from statemedia.engines import open_engine
from statemedia.errors import ReleaseError
from statemedia.fileio import write_atomic
from statemedia.release.checksums import (
    commit_release,
    recover_pending,
    stage_release,
    verify_everything,
)
from statemedia.release.layout import (
    CROISSANT,
    newest_version,
    parse_version,
    read_manifest,
    release_versions,
    released_splits,
    version_key,
)
from statemedia.release.lock import dataset_lock
from statemedia.release.manifest import FileEntry, Manifest
from statemedia.release.semver import bump_against_folder, bump_of, next_version
from statemedia.release.staging import check_build_target, promote, replace_build, staged
from statemedia.release.writer import write_manifest


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
    if counts.language is not None:
        language = counts.language
        lines.insert(
            2,
            f"language: {dict(language.identified)}, undetermined {language.undetermined}, "
            f"differs from the declared language {language.differs_from_declared}"
            + (f" {dict(language.differs_by_pair)}" if language.differs_by_pair else ""),
        )
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


def _refuse_corrupted_releases(dataset_dir: Path) -> None:
    """Builds compare with, and releases build on, the committed releases: they must verify.
    Under the dataset lock."""
    recover_pending(dataset_dir / "data")  # a release killed after its rename is recorded now
    if not release_versions(dataset_dir):
        return
    problems = verify_everything(dataset_dir)
    if problems:
        raise ReleaseError(
            f"the releases in {dataset_dir / 'data'} do not verify ({len(problems)} problem(s), "
            f"first: {problems[0]}); restore them from version control (`statemedia verify` lists "
            "every problem), then run again"
        )


def _refuse_protected_output(root: Path, config: Config, out: Path) -> None:
    """A build never writes inside seeds/ or the release folders."""
    target = out.resolve()
    for protected in (root / config.build.seeds_dir, root / config.build.dataset_dir / "data"):
        if target.is_relative_to(protected.resolve()):
            raise ReleaseError(
                f"{out}: inside {protected}, which a build never writes to; choose another --out"
            )


def run_build(
    root: Path,
    out: Path | None = None,
    quiet: bool = False,
    workers: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
) -> int:
    """Rebuild from seeds/ into dataset/build (or `out`) and compare with the newest release.

    The parse stage runs on `engine` (statemedia.engines): local processes, or Dask (a local
    cluster of `workers` processes, or the scheduler at `scheduler`); the output is the same.
    """
    config = _config(root)
    dataset_dir = root / config.build.dataset_dir
    out = out or dataset_dir / "build"
    _refuse_protected_output(root, config, out)
    with dataset_lock(dataset_dir, "statemedia build"):
        check_build_target(out)  # before the work, and again before the swap
        _refuse_corrupted_releases(dataset_dir)
        with staged(out.parent, out.name) as staging:
            with open_engine(engine, workers, scheduler) as runner:
                build = build_into(root, config, staging, released_splits(dataset_dir), runner)
            manifest = write_manifest(staging, build.manifest, version=None)
            accounts = format_accounts(build.accounts)
            write_atomic(staging / "line_account.txt", accounts + "\n")
            write_atomic(staging / "seconds.json", json.dumps(build.seconds, indent=2) + "\n")
            write_atomic(staging / "peak_mib.json", json.dumps(build.peak_mib, indent=2) + "\n")
        replace_build(staging, out)
        version, differing = compare_with_release(dataset_dir, manifest.files)
    if not quiet:
        print("Line account (every line of every raw file, by category):")
        print(format_accounts(build.accounts))
        print()
    print(_summary(manifest))
    for channel, report in manifest.completeness.items():
        gaps = [list(gap) for gap in report.gaps]
        print(
            f"completeness {channel}: ids {report.first_id}–{report.last_id}, "
            f"{report.present} present, {report.missing} missing, gaps {gaps}"
        )
    print("seconds: " + ", ".join(f"{stage} {sec:.2f}" for stage, sec in build.seconds.items()))
    print(
        "peak memory of this process (MiB, after each stage; workers not counted): "
        + ", ".join(f"{stage} {mib}" for stage, mib in build.peak_mib.items())
    )
    print(f"wrote {out}")
    if version is None:
        print("no release yet: cut one with `statemedia release --version 1.0.0`")
    elif differing:
        print(f"differs from release {version} in: {', '.join(differing)}")
        found = bump_against_folder(dataset_dir, out)
        assert found is not None
        newest, bump = found
        for reason in bump.reasons:
            print(f"  {reason}")
        print(
            f"to publish it, cut a {bump.required.word} release: "
            f"`statemedia release --version {next_version(newest, bump.required)}`"
        )
    else:
        print(f"byte-identical to release {version} (which verifies)")
    return 0


def run_release(root: Path, version_text: str, date_released: str | None = None) -> int:
    """Build from seeds/ and write an immutable release folder; refuse an existing version."""
    from statemedia.release.cards import write_generated
    from statemedia.release.croissant import render_croissant

    version = parse_version(version_text)
    try:  # the only clock reading in a release: its date, in the manifest, never in rows
        when = (date.fromisoformat(date_released) if date_released else date.today()).isoformat()
    except ValueError as err:
        raise ReleaseError(f"--date {date_released!r} is not YYYY-MM-DD") from err
    config = _config(root)
    dataset_dir = root / config.build.dataset_dir
    final = dataset_dir / "data" / version
    # Under the lock, so that "newer than the newest" cannot race with another release.
    with dataset_lock(dataset_dir, f"statemedia release {version}"):
        if final.exists():
            raise ReleaseError(
                f"{final} already exists: released versions are never modified; "
                "choose a new version number"
            )
        newest = newest_version(dataset_dir)
        if newest is not None and version_key(version) <= version_key(newest):
            raise ReleaseError(f"version {version} is not newer than the newest release {newest}")
        _refuse_corrupted_releases(dataset_dir)
        with staged(final.parent, version) as staging:
            build = build_into(root, config, staging, released_splits(dataset_dir))
            manifest = write_manifest(staging, build.manifest, version, date_released=when)
            _refuse_too_small_bump(dataset_dir, version, staging)
            # Written before promotion: croissant.json is part of the release, as immutable.
            croissant = render_croissant(staging, manifest, version, config.project)
            write_atomic(staging / CROISSANT, croissant)
            stage_release(dataset_dir / "data", version, staging)
            promote(staging, final)
        commit_release(dataset_dir / "data", version)
        write_generated(root)
    print(_summary(manifest))
    print(f"released {final}")
    return 0


def _refuse_too_small_bump(dataset_dir: Path, version: str, built: Path) -> None:
    """Refuse a version whose bump over the newest release (from the build written in `built`)
    is smaller than the changes need."""
    found = bump_against_folder(dataset_dir, built)
    if found is None:
        return
    newest, report = found
    if bump_of(newest, version) < report.required:
        raise ReleaseError(
            f"version {version} is a {bump_of(newest, version).word} release over {newest}, but "
            f"the build needs at least a {report.required.word} release: "
            + "; ".join(report.reasons)
            + f"; choose {next_version(newest, report.required)} or later (DATACARD.md §11)"
        )
    print(f"{report.required.word} changes over {newest}: " + ("; ".join(report.reasons) or "none"))


def run_verify(root: Path, reproduce: bool = False) -> int:
    """Re-hash every file of every release; with `reproduce`, also rebuild and compare."""
    config = _config(root)
    dataset_dir = root / config.build.dataset_dir
    problems = verify_everything(dataset_dir)
    if not release_versions(dataset_dir):
        problems = [f"{dataset_dir / 'data'}: no releases found"]
    if reproduce and not problems:
        version = newest_version(dataset_dir)
        assert version is not None
        previous = released_splits(dataset_dir)
        with tempfile.TemporaryDirectory(prefix="statemedia-reproduce-") as scratch:
            build = build_into(root, config, Path(scratch), previous)
        _, differing = compare_with_release(dataset_dir, build.manifest.files)
        problems += [f"rebuild from seeds/ differs from {version}: {name}" for name in differing]
    for problem in problems:
        print(f"MISMATCH {problem}")
    if problems:
        print(f"verify: {len(problems)} problem(s)")
        return 1
    print(
        "verify: every file of every release matches its manifest and checksum file"
        + (", and the rebuild matches the newest" if reproduce else "")
    )
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
