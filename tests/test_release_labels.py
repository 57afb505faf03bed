"""Gold labels and raw annotations reach a release: gold joined on post_id (null where unlabelled),
the pseudonymous per-annotator rows as the `<version>-annotations` config, machine rows never."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import yaml

from statemedia.cli import main
from statemedia.labeling.gold import aggregate
from statemedia.labeling.records import Annotation
from statemedia.labeling.scheme import load_scheme
from statemedia.release.cards import write_generated
from statemedia.release.layout import table_file
from statemedia.release.schema import validate_rows
from statemedia.vocab import annotation_schema

REPO = Path(__file__).resolve().parents[1]


def annotation(post_id: str, annotator: str, topic: str, stances: dict[str, str], origin="human"):
    scheme = load_scheme()
    row = {
        "post_id": post_id,
        "annotator": annotator,
        "origin": origin,
        "topic_primary": topic,
        "topics_secondary": [],
        "targets": list(stances),
        "lead_time": 12.5,
        "created_at": "2026-11-01T10:00:00Z",
        "updated_at": "2026-11-01T10:00:00Z",
        "prefilled_from_prediction": False,
        "scheme_version": scheme.version,
        "ls_task_id": 1,
        "ls_annotation_id": 1,
        "ls_project_id": 1,
    }
    row.update({scheme.stance_tag(t): stances.get(t) for t in scheme.target_names})
    return row


def test_gold_labels_and_annotations_are_published(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(REPO / "seeds", root / "seeds")
    shutil.copy(REPO / "statemedia.toml", root / "statemedia.toml")
    assert main(["--root", str(root), "build", "--quiet"]) == 0
    built = pq.read_table(root / "dataset" / "build" / table_file("train")).to_pylist()
    first, second = built[0]["post_id"], built[1]["post_id"]
    scheme = load_scheme()
    target = scheme.target_names[0]
    topic_a, topic_b = scheme.topic_names[:2]
    rows = [
        annotation(first, "annotator_01", topic_a, {target: "against"}),
        annotation(first, "annotator_02", topic_a, {target: "against"}),
        annotation(second, "annotator_01", topic_a, {}),
        annotation(second, "annotator_02", topic_b, {}),  # a tie: must not become gold
        annotation(first, "model", topic_b, {}, origin="machine"),
    ]
    gold, queue = aggregate([Annotation.from_dict(r) for r in rows], scheme, min_annotators=2)
    assert {q.post_id for q in queue} == {second}
    labels = root / "annotation" / "labels"
    labels.mkdir(parents=True)
    (labels / "gold.jsonl").write_text("".join(json.dumps(g.to_dict()) + "\n" for g in gold))
    (labels / "annotations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["--root", str(root), "release", "--version", "1.0.0", "--date", "2026-11-22"]) == 0

    folder = root / "dataset" / "data" / "v1.0.0"
    posts = {
        r["post_id"]: r
        for split in ("train", "validation", "test")
        for r in pq.read_table(folder / table_file(split)).to_pylist()
    }
    assert posts[first]["label_status"] == "resolved"
    assert posts[first]["label_topic_primary"] == topic_a
    assert posts[first]["label_stances"] == [{"target": target, "stance": "against"}]
    assert posts[first]["label_n_annotators"] == 2
    assert posts[second]["label_status"] == "needs_adjudication"
    assert posts[second]["label_topic_primary"] is None
    unlabeled = [r for r in posts.values() if r["post_id"] not in (first, second)]
    assert {r["label_status"] for r in unlabeled} == {"unlabeled"}
    assert {r["label_n_annotators"] for r in unlabeled} == {0}

    published = pq.read_table(folder / table_file("annotations")).to_pylist()
    assert len(published) == 4  # the machine row is never published
    assert {r["annotator"] for r in published} == {"annotator_01", "annotator_02"}
    assert validate_rows(published, annotation_schema()) == []
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [i["path"] for i in manifest["label_inputs"]] == [
        "annotation/labels/gold.jsonl",
        "annotation/labels/annotations.jsonl",
    ]

    shutil.copy(REPO / "DATACARD.md", root / "DATACARD.md")
    write_generated(root)
    card = (root / "DATACARD.md").read_text()
    assert "4 human annotations of 2 posts by 2 pseudonymous annotators" in card
    assert "resolved: 1, needs_adjudication: 1, unlabeled:" in card
    assert (root / "docs" / "figures" / "gold_primary_topics.png").is_file()

    # Every card says the release has labels: Croissant (written with the release), the HF card.
    croissant = json.loads((folder / "croissant.json").read_text())
    assert "includes 4 human annotations" in croissant["rai:dataAnnotationProtocol"][0]
    assert "annotations" in [record_set["name"] for record_set in croissant["recordSet"]]
    hf_card = (root / "dataset" / "README.md").read_text()
    meta = yaml.safe_load(hf_card.split("---\n")[1])
    assert meta["annotations_creators"] == ["expert-generated"]
    assert meta["task_categories"] == ["text-classification"]
    assert "human topic and stance labels" in hf_card and "annotation-ready" not in hf_card

    ds = datasets.load_dataset(
        str(root / "dataset"), "v1.0.0-annotations", cache_dir=str(tmp_path / "cache")
    )
    assert ds["train"].num_rows == 4
    assert ds["train"].features["stances"].feature["target"].dtype == "string"
