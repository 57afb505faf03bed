"""The labeling files, byte for byte: a saved export through pull, gold and adjudication, and the
release's label columns, compared with golden files written by the code before the records refactor.

The inputs cover every path: three annotators, a `completed_by` user object and a missing one, a
skipped task, a task without post_id, a superseded annotation, rule violations, machine predictions,
ties on a topic, a stance and an addressed target (whose stance is listed with it), and
adjudicator decisions with reasons, pseudonymised. A changed golden file
is a changed file format: it needs a reason (and, for published rows, a schema version). Appending
a stance target to the scheme adds a `stance_<target>` column to these rows, so regenerate then.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from statemedia.cli import main
from statemedia.labeling.export import convert_export, parse_export, parse_predictions
from statemedia.labeling.files import dumps_jsonl, dumps_records, read_records
from statemedia.labeling.publish import gold_by_post, published_annotations, read_label_files
from statemedia.labeling.records import Annotation, GoldLabel
from statemedia.labeling.scheme import Scheme

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> str:
    return (GOLDEN / name).read_text(encoding="utf-8")


@pytest.fixture
def pulled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "pull"
    argv = ["annotate", "pull", "--export", str(GOLDEN / "export.json"), "--out", str(out)]
    assert main([*argv, "--state-dir", str(tmp_path / "state")]) == 0
    capsys.readouterr()
    return out


def test_pull_writes_the_golden_rows(pulled: Path) -> None:
    for name in ("annotations.jsonl", "problems.jsonl"):
        assert (pulled / name).read_text(encoding="utf-8") == golden(name), name
    assert (pulled / "export.json").read_bytes() == (GOLDEN / "export.json").read_bytes()
    assert (pulled / "predictions.jsonl").read_text(encoding="utf-8") == ""  # none in a file
    private = pulled.parent / "state" / "annotators.json"
    assert private.read_text(encoding="utf-8") == golden("annotators.json")
    counts = json.loads((pulled / "pull.json").read_text(encoding="utf-8"))["counts"]
    assert (counts["tasks"], counts["annotations_seen"], counts["kept"]) == (5, 14, 9)
    assert counts["problems"] == 5 and counts["problem:superseded_by_later_annotation"] == 1


def test_gold_and_adjudication_write_the_golden_rows(pulled: Path, capsys) -> None:
    state = ["--state-dir", str(pulled.parent / "state")]
    assert main(["annotate", "gold", "--in", str(pulled), *state]) == 0
    assert (pulled / "gold.jsonl").read_text(encoding="utf-8") == golden("gold.jsonl")
    assert (pulled / "adjudication.jsonl").read_text(encoding="utf-8") == golden(
        "adjudication.jsonl"
    )
    # Every listed field is decided (p5's tied addressed:the_west with its stance, together),
    # so no post is left awaiting adjudication; adjudicators get pseudonyms of their own series.
    decisions = str(GOLDEN / "decisions.jsonl")
    argv = ["annotate", "gold", "--in", str(pulled), "--adjudicated", decisions, *state]
    assert main(argv) == 0
    assert (pulled / "gold.jsonl").read_text(encoding="utf-8") == golden("gold_adjudicated.jsonl")
    assert (pulled / "adjudication.jsonl").read_text(encoding="utf-8") == ""  # all decided
    private = pulled.parent / "state" / "annotators.json"
    assert private.read_text(encoding="utf-8") == golden("annotators_adjudicated.json")
    assert "adjudicator.one@example.org" not in golden("gold_adjudicated.jsonl")
    capsys.readouterr()


def test_predictions_become_the_golden_machine_rows(scheme: Scheme) -> None:
    tasks = parse_export((GOLDEN / "export.json").read_bytes())
    pseudonyms = json.loads(golden("annotators.json"))["pseudonyms"]
    raw = json.loads(golden("predictions_raw.json"))
    result = convert_export(tasks, scheme, pseudonyms, {}, parse_predictions(raw))
    assert dumps_records(result.predictions) == golden("predictions.jsonl")


def test_release_label_columns_and_published_rows_are_golden(tmp_path: Path, scheme) -> None:
    shutil.copy(GOLDEN / "annotations.jsonl", tmp_path / "annotations.jsonl")
    shutil.copy(GOLDEN / "gold_adjudicated.jsonl", tmp_path / "gold.jsonl")
    gold, annotations, read = read_label_files(tmp_path)
    assert read == [tmp_path / "gold.jsonl", tmp_path / "annotations.jsonl"]
    post_ids = ["p0", "p1", "p2", "p4", "p5"]
    columns = gold_by_post(gold, post_ids, scheme)
    assert json.dumps(columns, indent=1, sort_keys=True) + "\n" == golden("gold_by_post.json")
    # Before adjudication: p2 and p5 await it, yet carry the fields their coders agreed on.
    pending = gold_by_post(
        read_records(GOLDEN / "gold.jsonl", GoldLabel.from_dict), post_ids, scheme
    )
    text = json.dumps(pending, indent=1, sort_keys=True) + "\n"
    assert text == golden("gold_by_post_pending.json")
    published = published_annotations(annotations, scheme, set(post_ids))
    assert dumps_jsonl(published) == golden("published_annotations.jsonl")


@pytest.mark.parametrize(
    ("name", "parse"),
    [
        ("annotations.jsonl", Annotation.from_dict),
        ("gold.jsonl", GoldLabel.from_dict),
        ("gold_adjudicated.jsonl", GoldLabel.from_dict),
    ],
)
def test_files_round_trip_through_records(name: str, parse) -> None:
    records = read_records(GOLDEN / name, parse)
    assert dumps_records(records) == golden(name)


def test_an_adjudicator_who_coded_the_post_is_refused(pulled: Path, tmp_path: Path, capsys) -> None:
    state = pulled.parent / "state"
    private = json.loads((state / "annotators.json").read_text(encoding="utf-8"))
    private["pseudonyms"]["email:coder@example.org"] = private["pseudonyms"].pop("ls-user:3")
    (state / "annotators.json").write_text(json.dumps(private), encoding="utf-8")
    decision = {"post_id": "p2", "field": "topic_primary", "value": "energy_resources"}
    decisions = tmp_path / "decisions.jsonl"
    row = decision | {"reason": "r", "adjudicator": "Coder@example.org"}
    decisions.write_text(json.dumps(row) + "\n", encoding="utf-8")
    argv = ["annotate", "gold", "--in", str(pulled), "--adjudicated", str(decisions)]
    assert main([*argv, "--state-dir", str(state)]) != 0
    assert "decision 1: p2 was coded by its adjudicator (annotator_01)" in capsys.readouterr().err
    assert not (pulled / "gold.jsonl").exists()  # nothing written
