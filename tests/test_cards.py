"""Generated documents agree with the data: the HF card YAML, croissant.json, figures and every
number between markers in DATACARD.md; CITATION.cff validates against the CFF 1.2.0 schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from statemedia.config import load_config
from statemedia.release.cards import render_datacard, stale_generated
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
    kept = read_manifest(REPO / "dataset" / "data" / version).stage_counts.clean.kept
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
    rows = {e.table: e.rows for e in manifest.files}
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


def hf_card_metadata() -> tuple[str, dict]:
    text = (REPO / "dataset" / "README.md").read_text(encoding="utf-8")
    return text, yaml.safe_load(text.split("---\n")[1])


def test_hf_card_claims_labels_only_when_the_newest_release_has_them():
    text, meta = hf_card_metadata()
    manifest = read_manifest(REPO / "dataset" / "data" / newest_version(REPO / "dataset"))
    if manifest.has_labels:
        assert meta["annotations_creators"] == ["expert-generated"]
        assert meta["task_categories"] == ["text-classification"]
    else:
        assert meta["annotations_creators"] == ["no-annotation"]
        assert "task_categories" not in meta and "task_ids" not in meta
        assert "annotation-ready" in text and "annotated" not in text.lower()
    for path in ("README.md", "CITATION.cff", "pyproject.toml"):
        assert "annotated" not in (REPO / path).read_text(encoding="utf-8").lower() or (
            manifest.has_labels
        ), f"{path} says 'annotated' but no release has labels"


def test_hf_card_stands_alone_inside_dataset_and_passes_the_hub_metadata_rules():
    from huggingface_hub import DatasetCard, DatasetCardData

    text, meta = hf_card_metadata()
    body = text.split("---\n", 2)[2]
    links = re.findall(r"\]\(([^)]+)\)", body) + re.findall(r"<([a-z]+:[^>]+)>", body)
    relative = [link for link in links if "://" not in link and not link.startswith("mailto:")]
    assert relative, "the card links to the release files inside dataset/"
    for link in relative:
        target = (REPO / "dataset" / link).resolve()
        assert target.is_relative_to((REPO / "dataset").resolve()), f"{link} leaves dataset/"
        assert target.is_file(), f"{link} is a broken link"
    absolute = [link for link in links if link not in relative]
    project = load_config(REPO / "statemedia.toml").project
    assert all(link in (project.homepage, project.contact) for link in absolute)
    # The Hub's card metadata: DatasetCard parses the YAML, DatasetCardData refuses bad types.
    card = DatasetCard(text)
    assert card.data.to_dict() == DatasetCardData(**meta).to_dict()
    assert {"pretty_name", "license", "language", "size_categories", "configs"} <= set(meta)
    assert meta["license"] == "other" and meta["license_name"]
    assert "section 10 'Distribution, legal and ethical notes'" in meta["license_details"]
    assert "## 10. Distribution, legal and ethical notes" in (REPO / "DATACARD.md").read_text()
