"""Sharded release files: a table of more than `[release] max_rows_per_shard` rows is written as
`<table>-<k>-of-<n>.parquet`, in post_id order across shards, and everything that reads releases
(manifest, verify, the HF card and `datasets.load_dataset`, Croissant and mlcroissant, the cards,
the semver check and `statemedia build`'s comparison) reads all the shards."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
from pathlib import Path
from typing import Any

import datasets
import pyarrow.parquet as pq
import pytest
import yaml
from test_croissant import assert_records_match, unexpected_issues
from test_croissant import load as load_croissant

from statemedia.build import build_tables
from statemedia.cli import main
from statemedia.config import load_config
from statemedia.errors import ReleaseError
from statemedia.labeling.tasks import split_paths
from statemedia.release.layout import (
    Shard,
    read_manifest,
    released_splits,
    shard_layout,
    shard_pattern,
    table_file,
    verify_release,
)
from statemedia.release.semver import Bump, bump_against_newest, release_tables
from statemedia.vocab import SPLITS, Table

REPO = Path(__file__).resolve().parents[1]
MAX_ROWS = 10  # the seeds have 28 train rows and 51 link teasers: 3 and 6 shards
SHARDS = {
    Table.TRAIN: 3,
    Table.VALIDATION: 1,
    Table.TEST: 1,
    Table.LINK_TEASERS: 6,
    Table.ANNOTATIONS: 1,  # empty: one file with no row group
}


def with_shard_size(root: Path, rows: int) -> None:
    """Set `[release] max_rows_per_shard` in the statemedia.toml of `root`."""
    path = root / "statemedia.toml"
    text, count = re.subn(
        r"(?m)^max_rows_per_shard = \d+$", f"max_rows_per_shard = {rows}", path.read_text()
    )
    assert count == 1
    path.write_text(text)


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with the real seeds, shards of 10 rows, and release v1.0.0 cut from them."""
    root = tmp_path_factory.mktemp("shards") / "repo"
    shutil.copytree(REPO / "seeds", root / "seeds")
    shutil.copy(REPO / "statemedia.toml", root / "statemedia.toml")
    shutil.copy(REPO / "DATACARD.md", root / "DATACARD.md")  # so that the cards are rendered
    with_shard_size(root, MAX_ROWS)
    assert main(["--root", str(root), "release", "--version", "1.0.0"]) == 0
    return root


def release_dir(root: Path) -> Path:
    return root / "dataset" / "data" / "v1.0.0"


def shard_rows(folder: Path, table: Table) -> list[dict[str, Any]]:
    """A table's rows, its shards read in manifest order."""
    return [
        row
        for entry in read_manifest(folder).shards(table)
        for row in pq.read_table(folder / entry.path).to_pylist()
    ]


@pytest.mark.parametrize(
    ("num_rows", "max_rows", "expected"),
    [
        (0, 10, [("train-00000-of-00001.parquet", 0, 0)]),
        (7, 10, [("train-00000-of-00001.parquet", 0, 7)]),
        (10, 10, [("train-00000-of-00001.parquet", 0, 10)]),
        (
            11,
            10,
            [("train-00000-of-00002.parquet", 0, 10), ("train-00001-of-00002.parquet", 10, 1)],
        ),
        (
            28,
            10,
            [
                ("train-00000-of-00003.parquet", 0, 10),
                ("train-00001-of-00003.parquet", 10, 10),
                ("train-00002-of-00003.parquet", 20, 8),
            ],
        ),
        (3, 1, [(f"train-0000{k}-of-00003.parquet", k, 1) for k in range(3)]),
    ],
)
def test_shard_layout_names_and_slices(
    num_rows: int, max_rows: int, expected: list[tuple[str, int, int]]
) -> None:
    shards = shard_layout(Table.TRAIN, num_rows, max_rows)
    assert shards == tuple(
        Shard(Table.TRAIN, path, offset, rows) for path, offset, rows in expected
    )
    assert sum(shard.rows for shard in shards) == num_rows
    pattern = shard_pattern(Table.TRAIN, len(shards))
    assert all(fnmatch.fnmatchcase(shard.path, pattern) for shard in shards)


def test_shard_names_and_patterns_stay_within_their_table() -> None:
    assert table_file("link_teasers") == "link_teasers-00000-of-00001.parquet"  # v1.0.0's name
    assert table_file("train", 41, 500) == "train-00041-of-00500.parquet"
    pattern = shard_pattern("train", 3)
    assert pattern == "train-?????-of-00003.parquet"
    for other in ("train-00000-of-00004.parquet", "train_x-00000-of-00003.parquet"):
        assert not fnmatch.fnmatchcase(other, pattern)
    with pytest.raises(ReleaseError, match="shard 3 of 3"):
        table_file("train", 3, 3)
    with pytest.raises(ReleaseError, match=r"raise \[release\] max_rows_per_shard"):
        shard_layout(Table.TRAIN, 100_000, 1)  # 100,000 shards: five digits cannot name them
    with pytest.raises(ReleaseError, match="max_rows_per_shard"):
        shard_layout(Table.TRAIN, 5, 0)


def test_tables_are_written_as_named_shards_in_post_id_order(sharded: Path) -> None:
    folder = release_dir(sharded)
    manifest = read_manifest(folder)
    expected = [table_file(t, k, n) for t, n in SHARDS.items() for k in range(n)]
    assert [entry.path for entry in manifest.files] == expected
    assert sorted(p.name for p in folder.glob("*.parquet")) == sorted(expected)
    for table, count in SHARDS.items():
        entries = manifest.shards(table)
        assert len(entries) == count
        assert manifest.rows(table) == manifest.stage_counts.split[table]
        for k, entry in enumerate(entries):
            metadata = pq.ParquetFile(folder / entry.path).metadata
            assert metadata.num_rows == entry.rows
            assert entry.rows == (
                MAX_ROWS if k < count - 1 else manifest.rows(table) - k * MAX_ROWS
            )
        ids = [row["post_id"] for row in shard_rows(folder, table)]
        assert ids == sorted(ids)
    empty = pq.ParquetFile(folder / table_file(Table.ANNOTATIONS))
    assert empty.metadata.num_row_groups == 0  # `datasets` cannot read a zero-row group


def test_shard_size_changes_file_names_never_rows(sharded: Path) -> None:
    """The shards hold exactly the rows of the one-file tables that the repository's config gives."""
    whole = build_tables(REPO, load_config(REPO / "statemedia.toml")).tables
    folder = release_dir(sharded)
    released = release_tables(folder)  # the semver check's reader: shards concatenated
    for table in Table:
        assert shard_rows(folder, table) == whole[table].to_pylist()
        assert released[table].to_pylist() == whole[table].to_pylist()
    assert len(released_splits(sharded / "dataset")) == sum(whole[s].num_rows for s in SPLITS)


def test_build_compares_with_a_sharded_release(
    sharded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(sharded, root)
    capsys.readouterr()
    assert main(["--root", str(root), "build", "--quiet", "--out", str(tmp_path / "b1")]) == 0
    assert "byte-identical to release v1.0.0" in capsys.readouterr().out
    assert main(["--root", str(root), "verify", "--reproduce"]) == 0
    # Other shard boundaries: other file names, the same rows, so only a patch release.
    with_shard_size(root, 7)
    capsys.readouterr()
    assert main(["--root", str(root), "build", "--quiet", "--out", str(tmp_path / "b2")]) == 0
    out = capsys.readouterr().out
    assert "differs from release v1.0.0 in: " in out
    assert "train-00000-of-00004.parquet" in out and "train-00000-of-00003.parquet" in out
    assert "cut a patch release" in out
    config = load_config(root / "statemedia.toml")
    found = bump_against_newest(root / "dataset", build_tables(root, config).tables)
    assert found is not None and found[1].required == Bump.PATCH and found[1].reasons == ()


def test_verify_passes_and_names_the_shard_when_one_byte_changes(
    sharded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(sharded, root)
    assert main(["--root", str(root), "verify"]) == 0
    assert verify_release(release_dir(root)) == []
    target = release_dir(root) / "train-00001-of-00003.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["--root", str(root), "verify"]) == 1
    out = capsys.readouterr().out
    assert "v1.0.0/train-00001-of-00003.parquet: sha256" in out
    assert "train-00000-of-00003" not in out and "train-00002-of-00003" not in out
    problems = verify_release(release_dir(root))
    assert len(problems) == 1 and "train-00001-of-00003.parquet: sha256" in problems[0]


def test_verify_refuses_a_manifest_whose_shards_do_not_follow_on(
    sharded: Path, tmp_path: Path
) -> None:
    """A missing or stray shard would lose or add rows for loaders that find shards by name."""
    folder = tmp_path / "v1.0.0"
    shutil.copytree(release_dir(sharded), folder)
    manifest = folder / "manifest.json"
    data = json.loads(manifest.read_text())
    data["files"] = [f for f in data["files"] if f["path"] != "train-00001-of-00003.parquet"]
    manifest.write_text(json.dumps(data))
    problems = verify_release(folder)
    assert problems == [
        f"{manifest}: files of table train are train-00000-of-00003.parquet, "
        "train-00002-of-00003.parquet; expected train-00000-of-00002.parquet, "
        "train-00001-of-00002.parquet",
        f"{folder / 'train-00001-of-00003.parquet'}: not listed in the manifest",
    ]


def test_load_dataset_reads_every_shard_in_order(sharded: Path, tmp_path: Path) -> None:
    card = (sharded / "dataset" / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card.split("---\n")[1])
    config = next(c for c in meta["configs"] if c["config_name"] == "v1.0.0")
    paths = {f["split"]: f["path"] for f in config["data_files"]}
    assert paths["train"] == [f"data/v1.0.0/{table_file('train', k, 3)}" for k in range(3)]
    assert paths["test"] == f"data/v1.0.0/{table_file('test')}"  # one shard: a plain string
    info = next(i for i in meta["dataset_info"] if i["config_name"] == "v1.0.0")
    manifest = read_manifest(release_dir(sharded))
    assert {s["name"]: s["num_examples"] for s in info["splits"]} == {
        str(s): manifest.rows(s) for s in SPLITS
    }
    assert info["download_size"] == sum(e.bytes for s in SPLITS for e in manifest.shards(s))

    folder = release_dir(sharded)
    dataset = str(sharded / "dataset")
    posts = datasets.load_dataset(dataset, cache_dir=str(tmp_path / "c1"))
    assert set(posts) == set(SPLITS)
    for split in SPLITS:
        assert posts[split].to_list() == shard_rows(folder, split)
    teasers = datasets.load_dataset(dataset, "v1.0.0-link_teasers", cache_dir=str(tmp_path / "c2"))
    assert teasers["train"].to_list() == shard_rows(folder, Table.LINK_TEASERS)
    assert teasers["train"].num_rows == 51


def test_croissant_describes_every_shard_and_mlcroissant_loads_every_record_set(
    sharded: Path,
) -> None:
    folder = release_dir(sharded)
    manifest = read_manifest(folder)
    jsonld = folder / "croissant.json"
    doc = json.loads(jsonld.read_text(encoding="utf-8"))
    objects = {f["@id"]: f for f in doc["distribution"] if f["@type"] == "cr:FileObject"}
    assert {path: f["sha256"] for path, f in objects.items()} == {
        e.path: e.sha256 for e in manifest.files
    }
    file_sets = {f["@id"]: f for f in doc["distribution"] if f["@type"] == "cr:FileSet"}
    assert file_sets.keys() == {"train-shards", "link_teasers-shards"}
    assert file_sets["train-shards"]["includes"] == "train-?????-of-00003.parquet"
    record_sets = {rs["name"]: rs for rs in doc["recordSet"]}
    assert list(record_sets) == [str(t) for t in SHARDS if manifest.rows(t)]
    assert record_sets["train"]["field"][0]["source"]["fileSet"] == {"@id": "train-shards"}
    assert record_sets["test"]["field"][0]["source"]["fileObject"] == {"@id": table_file("test")}
    assert "28 rows" in record_sets["train"]["description"]

    assert unexpected_issues(load_croissant(jsonld)) == []
    for name in record_sets:
        table = Table(name)
        paths = [folder / entry.path for entry in manifest.shards(table)]
        assert assert_records_match(jsonld, name, *paths) == manifest.rows(table)


def test_cards_and_labeling_read_every_shard(sharded: Path) -> None:
    datacard = (sharded / "DATACARD.md").read_text(encoding="utf-8")
    assert "34 posts and articles (train / validation / test) and 51 link teasers" in datacard
    assert "| `post_id` |" in datacard  # the columns block read the first train shard's schema
    paths = split_paths(sharded / "dataset", "v1.0.0", "train")
    assert [p.name for p in paths] == [table_file("train", k, 3) for k in range(3)]
    assert split_paths(sharded / "dataset", "v1.0.0", "test") == [
        release_dir(sharded) / table_file("test")
    ]
