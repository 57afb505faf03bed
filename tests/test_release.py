"""Releases end to end: deterministic Parquet, immutability, verification, and the real
`datasets.load_dataset` on a fresh cache, both the newest release and a pinned one."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest

from statemedia.cli import main
from statemedia.commands import run_release
from statemedia.config import load_config
from statemedia.errors import ReleaseError
from statemedia.release.layout import (
    newest_version,
    read_manifest,
    release_versions,
    table_file,
    verify_releases,
)
from statemedia.release.manifest import Manifest
from statemedia.release.schema import validate_rows
from statemedia.release.writer import file_entries
from statemedia.vocab import SPLITS, Table

REPO = Path(__file__).resolve().parents[1]


def scratch_repo(tmp_path: Path) -> Path:
    """A repository with the real seeds and config but no releases."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "seeds", root / "seeds")
    shutil.copy(REPO / "statemedia.toml", root / "statemedia.toml")
    return root


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    root = scratch_repo(tmp_path_factory.mktemp("rel"))
    assert main(["--root", str(root), "release", "--version", "1.0.0"]) == 0
    # A second release from a seeds folder with one more raw file.
    extra = root / "seeds" / "900_extra.txt"
    extra.write_text("New title\n\nMonday, 2 May, 2022 - 10:00\n\nA brand new article body.\n")
    manifest = root / "seeds" / "manifest.toml"
    import hashlib

    digest = hashlib.sha256(extra.read_bytes()).hexdigest()
    manifest.write_text(
        manifest.read_text()
        + f'\n[[files]]\npath = "900_extra.txt"\nsha256 = "{digest}"\nsource = "sputnik"\n'
        'platform = "web"\nformat = "sputnik_article"\nlanguage = "en"\ncollection = "test"\n'
    )
    assert main(["--root", str(root), "release", "--version", "1.1.0"]) == 0
    return root


def test_same_inputs_give_byte_identical_parquet(tmp_path):
    from statemedia.build import build_tables

    config = load_config(REPO / "statemedia.toml")
    first = build_tables(REPO, config).tables
    second = build_tables(REPO, config).tables
    assert file_entries(first, config.release) == file_entries(second, config.release)


def test_load_dataset_gives_newest_and_pinned_releases(released, tmp_path):
    newest = datasets.load_dataset(str(released / "dataset"), cache_dir=str(tmp_path / "c1"))
    assert set(newest) == {"train", "validation", "test"}
    pinned = datasets.load_dataset(
        str(released / "dataset"), "v1.0.0", cache_dir=str(tmp_path / "c2")
    )
    total = lambda ds: sum(ds[s].num_rows for s in ds)  # noqa: E731
    assert total(newest) == total(pinned) + 1
    features = newest["train"].features
    assert features["published_date"].dtype == "date32"
    assert features["published_at"].dtype == "timestamp[ms, tz=UTC]"  # a UTC instant, whole seconds
    assert features["provenance"]["byte_start"].dtype == "int64"
    assert features["event_dates"].feature["date"].dtype == "date32"
    assert features["provenance"]["line_start"].dtype == "int64"
    row = newest["train"][0]
    assert row["provenance"]["source_file"].startswith("seeds/")
    assert set(row) >= {
        "post_id",
        "source",
        "platform",
        "title",
        "text",
        "published_date",
        "date_confidence",
        "date_evidence",
        "forwarded_from",
        "hashtags",
        "language",
        "url",
        "provenance",
        "duplicates",
    }


def test_adding_posts_never_moves_a_released_post(released):
    def splits(version):
        found = {}
        for split in ("train", "validation", "test"):
            path = released / "dataset" / "data" / version / table_file(split)
            for post_id in pq.read_table(path, columns=["post_id"]).column(0).to_pylist():
                found[post_id] = split
        return found

    old, new = splits("v1.0.0"), splits("v1.1.0")
    assert {k: new[k] for k in old} == old
    assert len(new) == len(old) + 1


def test_release_refuses_to_overwrite_and_changes_nothing(released):
    before = (released / "dataset" / "data" / "v1.0.0" / "manifest.json").read_bytes()
    with pytest.raises(ReleaseError, match="already exists"):
        run_release(released, "1.0.0")
    assert main(["--root", str(released), "release", "--version", "v1.0.0"]) != 0
    assert (released / "dataset" / "data" / "v1.0.0" / "manifest.json").read_bytes() == before
    assert not list((released / "dataset" / "data").glob(".*partial"))


def test_verify_names_the_file_when_one_byte_changes(released, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(released, copy)
    assert main(["--root", str(copy), "verify"]) == 0
    target = copy / "dataset" / "data" / "v1.0.0" / table_file("test")
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["--root", str(copy), "verify"]) == 1
    out = capsys.readouterr().out
    assert f"v1.0.0/{table_file('test')}: sha256" in out
    assert len(verify_releases(copy / "dataset")) == 1


def test_committed_releases_verify_and_the_newest_is_reproduced_from_seeds(capsys):
    assert release_versions(REPO / "dataset"), "no committed release"
    assert main(["--root", str(REPO), "verify", "--reproduce"]) == 0, capsys.readouterr().out


def test_every_committed_row_validates_against_the_schema():
    version = newest_version(REPO / "dataset")
    folder = REPO / "dataset" / "data" / version
    for name in (*SPLITS, Table.LINK_TEASERS):
        rows = [as_json(row) for row in pq.read_table(folder / table_file(name)).to_pylist()]
        assert validate_rows(rows) == []


def as_json(value):
    """A row as JSON has it: dates and UTC times as ISO 8601 strings, at every depth."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def test_schema_validation_catches_a_bad_row():
    row = {"post_id": "x", "record_kind": "tweet"}
    errors = validate_rows([row])
    assert any("record_kind" in e and "tweet" in e for e in errors)
    assert any("required property" in e for e in errors)


def test_every_committed_manifest_reads_as_a_record_and_serialises_to_its_own_bytes():
    for version in release_versions(REPO / "dataset"):
        folder = REPO / "dataset" / "data" / version
        manifest = read_manifest(folder)
        assert manifest.version == version
        assert manifest.to_json() == (folder / "manifest.json").read_text(encoding="utf-8")


def test_a_manifest_with_an_unknown_or_missing_key_is_refused():
    text = (REPO / "dataset" / "data" / "v1.0.0" / "manifest.json").read_text(encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"stage_counts: unknown key\(s\) extra"):
        Manifest.from_json(
            text.replace('"stage_counts": {', '"stage_counts": {"extra": 1, ', 1), "m.json"
        )
    with pytest.raises(ReleaseError, match=r"m.json: missing key\(s\) code_version"):
        Manifest.from_json(text.replace('"code_version"', '"code_versio"', 1), "m.json")


def test_a_release_writes_its_croissant_before_it_is_promoted(released):
    for version in ("v1.0.0", "v1.1.0"):
        folder = released / "dataset" / "data" / version
        assert (folder / "croissant.json").is_file()
        assert f'"version": "{version[1:]}"' in (folder / "croissant.json").read_text()


def test_build_replaces_its_previous_output_whole(tmp_path, capsys):
    root = scratch_repo(tmp_path)
    out = root / "dataset" / "build"
    assert main(["--root", str(root), "build", "--quiet"]) == 0
    first = (out / "manifest.json").read_bytes()
    (out / "stale.txt").write_text("from an earlier build")
    assert main(["--root", str(root), "build", "--quiet"]) == 0
    assert (out / "manifest.json").read_bytes() == first
    assert not (out / "stale.txt").exists()
    leftovers = [p.name for p in out.parent.iterdir() if p.name != "build"]
    assert leftovers == [], "staging or set-aside folders were left behind"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("seeds", "which a build never writes to"),
        ("seeds/new", "which a build never writes to"),
        ("dataset/data/v1.0.0", "which a build never writes to"),
        ("dataset/data/v9.9.9", "which a build never writes to"),
        (".", "is not an earlier build"),
        ("dataset", "is not an earlier build"),
    ],
)
def test_build_refuses_an_output_folder_it_does_not_own(released, target, message, capsys):
    def files() -> dict[Path, bytes]:  # all but the lock file, which names its last holder
        return {
            p: p.read_bytes() for p in released.rglob("*") if p.is_file() and p.suffix != ".lock"
        }

    before, existed = files(), (released / target).exists()
    assert main(["--root", str(released), "build", "--out", str(released / target)]) == 4
    assert message in capsys.readouterr().err
    assert files() == before
    assert (released / target).exists() == existed
