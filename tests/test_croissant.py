"""Croissant 1.0 metadata of a release, loaded by the real `mlcroissant`: every declared field of
every record set equals the Parquet rows, wrong checksums and column names are caught, and the
JSON-LD validates with no issue other than the known missing `datePublished`."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import mlcroissant as mlc
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from statemedia.cli import main
from statemedia.config import load_config
from statemedia.errors import ReleaseError
from statemedia.release.croissant import CROISSANT_1_0, render_croissant
from statemedia.release.layout import read_manifest
from statemedia.release.schema import arrow_schema
from statemedia.vocab import Table, post_schema

REPO = Path(__file__).resolve().parents[1]
VERSION = "v1.0.0"
PROJECT = load_config(REPO / "statemedia.toml").project

# The manifest has no release date (builds never read the clock), so `datePublished` is absent on
# purpose; mlcroissant reports it as a recommended property. Anything else is a failure.
ACCEPTED_WARNINGS = {"datePublished"}

RAI_KEYS = [
    "rai:dataCollection",
    "rai:dataCollectionType",
    "rai:dataPreprocessingProtocol",
    "rai:dataAnnotationProtocol",
    "rai:dataBiases",
    "rai:dataLimitations",
    "rai:dataUseCases",
    "rai:dataSocialImpact",
    "rai:personalSensitiveInformation",
    "rai:dataReleaseMaintenancePlan",
]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real release of the real seeds, with the croissant.json that `release` wrote into it."""
    root = tmp_path_factory.mktemp("croissant") / "repo"
    shutil.copytree(REPO / "seeds", root / "seeds")
    shutil.copy(REPO / "statemedia.toml", root / "statemedia.toml")
    assert main(["--root", str(root), "release", "--version", "1.0.0"]) == 0
    return root / "dataset" / "data" / VERSION


def load(path: Path) -> mlc.Dataset:
    return mlc.Dataset(jsonld=str(path))


def unexpected_issues(dataset: mlc.Dataset) -> list[str]:
    issues = dataset.metadata.ctx.issues
    warnings = [w for w in issues.warnings if not any(a in w for a in ACCEPTED_WARNINGS)]
    return sorted(issues.errors) + sorted(warnings)


def plain(value: Any) -> Any:
    """mlcroissant's value as the Parquet row has it: sc:Text is bytes, sc:Date a Timestamp."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def declared_value(field: dict[str, Any], record: dict[str, Any]) -> Any:
    """A record's value for a declared field, keyed by schema names like the Parquet row."""
    value = record[field["@id"]]
    subs = field.get("subField")
    if not subs:
        return plain(value)
    if field.get("repeated"):
        return [{s["name"]: plain(item[s["@id"]]) for s in subs} for item in value]
    return {s["name"]: plain(value[s["@id"]]) for s in subs}


def expected_value(field: dict[str, Any], row: dict[str, Any]) -> Any:
    """The Parquet row's value restricted to what the field declares."""
    value = row[field["name"]]
    subs = field.get("subField")
    if not subs:
        return value
    names = [s["name"] for s in subs]
    if value is None:  # a null struct (no translation group): mlcroissant gives null sub-fields
        return {n: None for n in names}
    if field.get("repeated"):
        return [{n: item[n] for n in names} for item in value]
    return {n: value[n] for n in names}


def assert_records_match(jsonld: Path, record_set: str, *parquet: Path) -> int:
    """Every declared field of every record equals the Parquet row with the same post_id, and
    the records come in the files' row order (the files: a table's shards, in order)."""
    document = json.loads(jsonld.read_text(encoding="utf-8"))
    fields = next(rs for rs in document["recordSet"] if rs["name"] == record_set)["field"]
    ordered = [row for path in parquet for row in pq.read_table(path).to_pylist()]
    rows = {row["post_id"]: row for row in ordered}
    records = list(load(jsonld).records(record_set=record_set))
    got = {plain(r[f"{record_set}/post_id"]): r for r in records}
    assert len(records) == len(rows)
    assert [plain(r[f"{record_set}/post_id"]) for r in records] == [r["post_id"] for r in ordered]
    for post_id, row in rows.items():
        for field in fields:
            assert declared_value(field, got[post_id]) == expected_value(field, row), (
                post_id,
                field["name"],
            )
    return len(records)


def test_document_is_deterministic_and_complete(release: Path) -> None:
    manifest = read_manifest(release)
    text = (release / "croissant.json").read_text(encoding="utf-8")
    assert render_croissant(release, manifest, "1.0.0", PROJECT) == text  # 'v' or not, same
    assert text.endswith("}\n")
    assert str(release.parents[3]) not in text  # no absolute paths of the build machine
    doc = json.loads(text)
    assert doc["@type"] == "sc:Dataset"
    assert doc["name"] == "statemedia"
    assert doc["version"] == "1.0.0"
    assert doc["conformsTo"] == CROISSANT_1_0
    assert "MIT" in doc["license"]["description"]
    assert "version = {1.0.0}" in doc["citeAs"]
    for key in RAI_KEYS:
        assert doc.get(key), key
    assert "No human labels yet" in doc["rai:dataAnnotationProtocol"][0]
    protocol = " ".join(doc["rai:dataPreprocessingProtocol"])
    versions = manifest.versions
    for name in [*versions.parsers, versions.clean, versions.dedup, versions.split]:
        assert name in protocol
    split = manifest.stage_counts.split
    assert f"train {split['train']}" in protocol
    assert f"{manifest.stage_counts.parse.records} records" in protocol
    files = {f["contentUrl"]: f["sha256"] for f in doc["distribution"]}
    assert files == {e.path: e.sha256 for e in manifest.files}


def test_fields_follow_the_row_schema(release: Path) -> None:
    doc = json.loads((release / "croissant.json").read_text(encoding="utf-8"))
    schema = post_schema()
    for record_set in doc["recordSet"]:
        fields = {f["name"]: f for f in record_set["field"]}
        assert list(fields) == list(schema["properties"])
        assert fields["published_date"]["dataType"] == "sc:Date"
        assert fields["hashtags"]["repeated"] is True
        assert fields["hashtags"]["dataType"] == "sc:Text"
        provenance = {s["name"]: s["dataType"] for s in fields["provenance"]["subField"]}
        assert list(provenance) == list(schema["$defs"]["provenance"]["properties"])
        assert provenance["line_start"] == "sc:Integer"
        duplicates = {s["name"]: s["dataType"] for s in fields["duplicates"]["subField"]}
        assert duplicates == {
            "post_id": "sc:Text",
            "method": "sc:Text",
            "similarity": "sc:Float",
            "url": "sc:Text",
            "published_at": "sc:DateTime",
        }
        assert fields["published_at"]["dataType"] == "sc:DateTime"
        # What is left out is said so, not silently dropped.
        assert "duplicates[].provenance" in record_set["description"]


def test_validates_without_unexpected_issues(release: Path) -> None:
    assert unexpected_issues(load(release / "croissant.json")) == []


def test_every_record_set_loads_equal_to_parquet(release: Path) -> None:
    manifest = read_manifest(release)
    doc = json.loads((release / "croissant.json").read_text(encoding="utf-8"))
    non_empty = [e for e in manifest.files if e.rows]
    assert [rs["name"] for rs in doc["recordSet"]] == [e.table for e in non_empty]
    for entry in non_empty:
        count = assert_records_match(release / "croissant.json", entry.table, release / entry.path)
        assert count == entry.rows
    assert not [f for f in doc["distribution"] if f["@type"] != "cr:FileObject"]  # one shard each


def test_nested_duplicates_load_when_present(release: Path, tmp_path: Path) -> None:
    """The seeds yield no removed copies, so put some in and check the list of structs loads."""
    folder = tmp_path / VERSION
    folder.mkdir()
    manifest = read_manifest(release)
    (entry,) = manifest.shards(Table.TRAIN)
    rows = pq.read_table(release / entry.path).to_pylist()
    for i, row in enumerate(rows[:3]):
        row["duplicates"] = [
            {
                "post_id": f"{row['post_id']}-copy{k}",
                "method": "exact" if k == 0 else "near",
                "similarity": 1.0 if k == 0 else 0.85,
                "provenance": dict(row["provenance"], line_start=k + 1),
            }
            for k in range(i + 1)
        ]
    path = folder / entry.path
    pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema()), path)
    entry = replace(
        entry, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), bytes=path.stat().st_size
    )
    jsonld = folder / "croissant.json"
    text = render_croissant(folder, replace(manifest, files=(entry,)), VERSION, PROJECT)
    jsonld.write_text(text, encoding="utf-8")
    assert assert_records_match(jsonld, "train", path) == len(rows)
    records = {plain(r["train/post_id"]): r for r in load(jsonld).records(record_set="train")}
    assert len(records[rows[2]["post_id"]]["train/duplicates"]) == 3


def copy_with(release: Path, tmp_path: Path, change: Any) -> Path:
    """A copy of the train file and croissant.json, with `change(document)` applied."""
    (entry,) = read_manifest(release).shards(Table.TRAIN)
    shutil.copy(release / entry.path, tmp_path / entry.path)
    doc = json.loads((release / "croissant.json").read_text(encoding="utf-8"))
    doc["recordSet"] = [rs for rs in doc["recordSet"] if rs["name"] == "train"]
    doc["distribution"] = [f for f in doc["distribution"] if f["contentUrl"] == entry.path]
    change(doc)
    path = tmp_path / "croissant.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def causes(error: BaseException) -> str:
    """The messages of an exception and of everything it was raised from (mlcroissant wraps)."""
    messages = []
    current: BaseException | None = error
    while current is not None:
        messages.append(str(current))
        current = current.__cause__ or current.__context__
    return "\n".join(messages)


def test_wrong_sha256_is_caught_by_mlcroissant(release: Path, tmp_path: Path) -> None:
    # mlcroissant 1.1.1 hashes local files too (Download._check_hash runs after resolving a
    # relative contentUrl), so no separate check is needed here.
    def corrupt(doc: dict[str, Any]) -> None:
        doc["distribution"][0]["sha256"] = "0" * 64

    path = copy_with(release, tmp_path, corrupt)
    with pytest.raises(Exception) as caught:
        list(load(path).records(record_set="train"))
    assert "Hash of downloaded file" in causes(caught.value)


def test_wrong_column_is_caught_when_loading(release: Path, tmp_path: Path) -> None:
    def rename(doc: dict[str, Any]) -> None:
        field = next(f for f in doc["recordSet"][0]["field"] if f["name"] == "title")
        field["source"]["extract"]["column"] = "headline"

    path = copy_with(release, tmp_path, rename)
    with pytest.raises(Exception) as caught:
        list(load(path).records(record_set="train"))
    assert 'Column "headline" does not exist' in causes(caught.value)


def test_empty_table_gets_no_record_set(release: Path) -> None:
    manifest = read_manifest(release)
    files = tuple(replace(e, rows=0) if e.table == Table.VALIDATION else e for e in manifest.files)
    doc = json.loads(render_croissant(release, replace(manifest, files=files), VERSION, PROJECT))
    assert "validation" not in [rs["name"] for rs in doc["recordSet"]]
    assert len(doc["distribution"]) == len(manifest.files)  # the file is still described


def test_refuses_a_manifest_that_does_not_match_the_folder(release: Path) -> None:
    manifest = read_manifest(release)
    with pytest.raises(ReleaseError, match="version"):
        render_croissant(release, manifest, "2.0.0", PROJECT)
    first = manifest.files[0]
    broken = replace(manifest, files=(replace(first, bytes=first.bytes + 1), *manifest.files[1:]))
    with pytest.raises(ReleaseError, match="bytes"):
        render_croissant(release, broken, VERSION, PROJECT)


def test_contact_route_and_url_come_from_the_project_config(release: Path) -> None:
    manifest = read_manifest(release)
    unpublished = json.loads(render_croissant(release, manifest, VERSION, PROJECT))
    assert "url" not in unpublished
    assert "not published a contact" in unpublished["rai:dataReleaseMaintenancePlan"]
    project = replace(
        PROJECT, homepage="https://forge.example/statemedia", contact="mailto:m@example.org"
    )
    published = json.loads(render_croissant(release, manifest, VERSION, project))
    assert published["url"] == "https://forge.example/statemedia"
    assert "mailto:m@example.org" in published["rai:dataReleaseMaintenancePlan"]
