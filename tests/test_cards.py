"""Generated documents agree with the data: the HF card YAML, croissant.json, figures and every
number between markers in DATACARD.md; CITATION.cff validates against the CFF 1.2.0 schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from statemedia.cards import render_datacard, stale_generated
from statemedia.release.layout import newest_version, read_manifest

REPO = Path(__file__).resolve().parents[1]


def test_generated_documents_are_current():
    assert stale_generated(REPO) == [], "run `statemedia card` (make card) and commit the result"


def test_a_changed_number_in_the_datacard_is_detected(tmp_path):
    import shutil

    copy = tmp_path / "repo"
    shutil.copytree(REPO / "dataset", copy / "dataset")
    shutil.copytree(REPO / "docs", copy / "docs")
    shutil.copy(REPO / "statemedia.toml", copy / "statemedia.toml")
    text = (REPO / "DATACARD.md").read_text()
    version = newest_version(REPO / "dataset")
    kept = read_manifest(REPO / "dataset" / "data" / version)["stage_counts"]["clean"]["kept"]
    assert f"kept: {kept};" in text
    (copy / "DATACARD.md").write_text(text.replace(f"kept: {kept};", f"kept: {kept + 1};"))
    assert stale_generated(copy) == ["DATACARD.md"]


def test_hf_card_yaml_declares_every_release_and_the_newest_is_default():
    text = (REPO / "dataset" / "README.md").read_text()
    meta = yaml.safe_load(text.split("---\n")[1])
    for key in (
        "pretty_name",
        "license",
        "language",
        "task_categories",
        "size_categories",
        "annotations_creators",
        "source_datasets",
        "configs",
        "dataset_info",
    ):
        assert key in meta
    version = newest_version(REPO / "dataset")
    defaults = [c["config_name"] for c in meta["configs"] if c.get("default")]
    assert defaults == [version]
    manifest = read_manifest(REPO / "dataset" / "data" / version)
    rows = {e["table"]: e["rows"] for e in manifest["files"]}
    info = next(i for i in meta["dataset_info"] if i["config_name"] == version)
    assert {s["name"]: s["num_examples"] for s in info["splits"]} == {
        k: v for k, v in rows.items() if k != "link_teasers" and v
    }


def test_render_datacard_refuses_missing_blocks():
    with pytest.raises(ValueError, match="generated blocks"):
        render_datacard("<!-- BEGIN GENERATED: a -->\n<!-- END GENERATED: a -->\n", {"b": "x"})


def test_citation_cff_validates():
    schema = json.loads((REPO / "schema" / "vendor" / "citation-cff-1.2.0.schema.json").read_text())
    data = yaml.safe_load((REPO / "CITATION.cff").read_text())
    data["date-released"] = str(data["date-released"])
    jsonschema.validate(
        data,
        schema,
        cls=jsonschema.Draft7Validator,
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )
    assert data["version"] == newest_version(REPO / "dataset").lstrip("v")
