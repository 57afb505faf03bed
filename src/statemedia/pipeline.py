"""What the CLI commands do: build, release, verify and regenerate the cards.

Each `run_*` function prints a human summary and returns an exit code; errors are raised as
`StatemediaError` for the CLI to report. Output folders are written by staging and renaming.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from statemedia.account import format_accounts
from statemedia.build import (
    build_tables,
    file_entries,
    promote,
    staged,
    write_tables,
)
from statemedia.config import Config, load_config
from statemedia.errors import ReleaseError
from statemedia.fileio import write_atomic
from statemedia.release.layout import (
    newest_version,
    parse_version,
    read_manifest,
    released_splits,
    verify_releases,
    version_key,
)

CONFIG_FILE = "statemedia.toml"


def _config(root: Path) -> Config:
    return load_config(root / CONFIG_FILE)


def _summary(manifest: dict) -> str:
    counts = manifest["stage_counts"]
    lines = [
        f"parse: {counts['parse']['records']} records from {counts['parse']['files']} files",
        f"clean: kept {counts['clean']['kept']} {counts['clean']['kept_by_kind']}, "
        f"dropped {counts['clean']['dropped'] or 0}",
        f"dedup: kept {counts['dedup']['kept']} of {counts['dedup']['seen']}, removed "
        f"{counts['dedup']['removed'] or 0}",
        f"split: {counts['split']}",
    ]
    return "\n".join(lines)


def compare_with_release(dataset_dir: Path, entries: list[dict]) -> tuple[str | None, list[str]]:
    """Names of the files that differ between a build and the newest release."""
    version = newest_version(dataset_dir)
    if version is None:
        return None, []
    released = {
        e["path"]: e["sha256"] for e in read_manifest(dataset_dir / "data" / version)["files"]
    }
    built = {e["path"]: e["sha256"] for e in entries}
    return version, sorted(
        p for p in released.keys() | built.keys() if released.get(p) != built.get(p)
    )


def run_build(root: Path, out: Path | None = None, quiet: bool = False) -> int:
    """Rebuild from seeds/ into dataset/build (or `out`) and compare with the newest release."""
    config = _config(root)
    dataset_dir = root / config.build.dataset_dir
    build = build_tables(root, config, released_splits(dataset_dir))
    out = out or dataset_dir / "build"
    with staged(out.parent, out.name) as staging:
        manifest = write_tables(staging, build, version=None)
        write_atomic(staging / "line_account.txt", format_accounts(build.outcome.accounts) + "\n")
        write_atomic(staging / "seconds.json", json.dumps(build.seconds, indent=2) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    if not quiet:
        print("Line account (every line of every raw file, by category):")
        print(format_accounts(build.outcome.accounts))
        print()
    print(_summary(manifest))
    for channel, report in manifest["completeness"].items():
        print(
            f"completeness {channel}: ids {report['first_id']}–{report['last_id']}, "
            f"{report['present']} present, {report['missing']} missing, gaps {report['gaps']}"
        )
    print("seconds: " + ", ".join(f"{stage} {sec:.2f}" for stage, sec in build.seconds.items()))
    print(f"wrote {out}")
    version, differing = compare_with_release(dataset_dir, manifest["files"])
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
    from statemedia.cards import write_generated

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
        manifest = write_tables(staging, build, version=version, date_released=when)
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
        _, differing = compare_with_release(dataset_dir, file_entries(build.tables))
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
    from statemedia.cards import stale_generated, write_generated

    if check:
        stale = stale_generated(root)
        for name in stale:
            print(f"STALE {name}: run `statemedia card`")
        return 1 if stale else 0
    for name in write_generated(root):
        print(f"wrote {name}")
    return 0
