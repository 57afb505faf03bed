"""The labeling records: each file row parses into its record and serialises back unchanged, and a
malformed row is a BadInputError naming the file, the line and what is wrong (offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from labeling_helpers import row

from statemedia.errors import BadInputError
from statemedia.labeling.files import read_records
from statemedia.labeling.gold import aggregate
from statemedia.labeling.records import (
    Annotation,
    AnnotatorMap,
    Decision,
    FieldKind,
    GoldLabel,
    Labels,
    Origin,
    RowError,
    field_id,
    parse_field_id,
)
from statemedia.labeling.scheme import Scheme
from statemedia.vocab import LabelStatus


def stance_columns(scheme: Scheme, **given: str) -> dict[str, str | None]:
    return {scheme.stance_tag(t): given.get(t) for t in scheme.target_names}


def annotation_row(scheme: Scheme) -> dict:
    """A row exactly as `annotate pull` writes it."""
    return {
        "post_id": "p1",
        "annotator": "annotator_01",
        "ls_project_id": 7,
        "ls_task_id": 3,
        "ls_annotation_id": 11,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-02T00:00:00Z",
        "origin": "human",
        "topic_primary": "armed_conflict",
        "topics_secondary": ["information_media"],
        "targets": ["nato"],
        **stance_columns(scheme, nato="against"),
        "lead_time": 30,
        "prefilled_from_prediction": False,
        "scheme_version": scheme.version,
    }


def test_annotation_round_trip(scheme: Scheme) -> None:
    raw = annotation_row(scheme)
    record = Annotation.from_dict(raw)
    assert record.to_dict() == raw
    assert list(record.to_dict()) == list(raw)  # same columns in the same order
    assert (record.origin, record.audit.annotation_id, record.lead_time) == (Origin.HUMAN, 11, 30)
    assert isinstance(record.to_dict()["lead_time"], int)  # 30 stays 30, not 30.0
    assert record.labels.stance("nato") == "against" and record.labels.stance("china") is None


def test_published_row_has_stances_in_long_form(scheme: Scheme) -> None:
    raw = annotation_row(scheme)
    raw |= {"targets": ["nato", "china"], **stance_columns(scheme, china="favor", nato="neutral")}
    published = Annotation.from_dict(raw).published_row(scheme)
    assert published["stances"] == [
        {"target": "nato", "stance": "neutral"},  # scheme order, not the row's
        {"target": "china", "stance": "favor"},
    ]
    assert set(published) == {
        *("post_id", "annotator", "topic_primary", "topics_secondary", "lead_time", "created_at"),
        *("updated_at", "prefilled_from_prediction", "scheme_version", "stances"),
    }


def test_gold_label_round_trip(scheme: Scheme) -> None:
    gold, _ = aggregate(
        [row("p1", "a1", "armed_conflict", {"nato": "against"}), row("p1", "a2", "other_policy")],
        scheme,
        min_annotators=2,
    )
    raw = gold[0].to_dict()
    assert raw["status"] == "needs_adjudication" and raw["n_annotators"] == 2
    parsed = GoldLabel.from_dict(raw)
    assert parsed == gold[0]
    assert parsed.to_dict() == raw
    assert parsed.status is LabelStatus.NEEDS_ADJUDICATION


def test_decision_and_private_map_round_trip() -> None:
    raw = {"post_id": "p3", "field": "stance:nato", "value": "favor", "reason": "E4: scare quotes"}
    raw["adjudicator"] = "adj@example.org"
    assert Decision.from_dict(raw).to_dict() == raw
    with pytest.raises(RowError, match="reason must not be blank"):
        Decision.from_dict(raw | {"reason": " "})
    private = {"pseudonyms": {"ls-user:3": "annotator_01"}, "ls_users": {"3": "a@example.org"}}
    parsed = AnnotatorMap.from_dict(private)
    assert parsed.to_dict() == private
    assert parsed.emails() == {3: "a@example.org"}
    assert AnnotatorMap.from_dict({}).to_dict() == {"pseudonyms": {}, "ls_users": {}}
    with_adjudicator = private | {"adjudicators": {"email:adj@example.org": "adjudicator_01"}}
    assert AnnotatorMap.from_dict(with_adjudicator).to_dict() == with_adjudicator


def test_labels_columns_round_trip(scheme: Scheme) -> None:
    columns = {
        "topic_primary": None,
        "topics_secondary": [],
        "targets": ["the_west"],
        **stance_columns(scheme, the_west="favor"),
    }
    labels = Labels.from_columns(columns)
    assert labels.to_columns() == columns
    assert [s.to_dict() for s in labels.addressed(scheme)] == [
        {"target": "the_west", "stance": "favor"}
    ]


def test_field_ids() -> None:
    assert field_id(FieldKind.TOPIC_PRIMARY) == "topic_primary"
    assert field_id(FieldKind.STANCE, "nato") == "stance:nato"
    assert parse_field_id("addressed:the_west") == (FieldKind.ADDRESSED, "the_west")
    with pytest.raises(ValueError):
        parse_field_id("sentiment:x")


# Bad rows as data: (file content, reader, the expected message after "<file>:<line>: ").
BAD_ROWS = [
    ('{"post_id": "p1"}', Annotation.from_dict, "annotation row lacks ['annotator',"),
    (
        '{"post_id": 1, "annotator": "a", "topic_primary": null, "topics_secondary": [], '
        '"targets": []}',
        Annotation.from_dict,
        "post_id must be str, got 1",
    ),
    (
        '{"post_id": "p", "annotator": "a", "topic_primary": null, "topics_secondary": "x", '
        '"targets": []}',
        Annotation.from_dict,
        "topics_secondary must be a list of strings",
    ),
    (
        '{"post_id": "p", "annotator": "a", "topic_primary": null, "topics_secondary": [], '
        '"targets": [], "origin": "robot"}',
        Annotation.from_dict,
        "origin must be one of ['human', 'machine'], got 'robot'",
    ),
    (
        '{"post_id": "p", "annotator": "a", "topic_primary": null, "topics_secondary": [], '
        '"targets": [], "ls_task_id": true}',
        Annotation.from_dict,
        "ls_task_id must be int or null, got True",
    ),
    ('{"post_id": "p1", "status": "resolved"}', GoldLabel.from_dict, "gold row lacks"),
    (
        '{"post_id": "p1", "field": "topic_primary"}',
        Decision.from_dict,
        "decision lacks ['value', 'reason', 'adjudicator']",
    ),
    (
        '{"post_id": "p1", "field": "topic_primary", "value": 3, "reason": "r", "adjudicator": "a"}',
        Decision.from_dict,
        "value must be str",
    ),
]


@pytest.mark.parametrize(("content", "parse", "message"), BAD_ROWS)
def test_bad_rows_name_file_line_and_problem(tmp_path: Path, content, parse, message) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n" + content + "\n", encoding="utf-8")  # line 2: blank lines are skipped
    with pytest.raises(BadInputError) as err:
        read_records(path, parse)
    assert str(err.value).startswith(f"{path}:2: {message}")


def test_gold_row_with_wrong_count_or_status_is_rejected(tmp_path: Path, scheme: Scheme) -> None:
    gold, _ = aggregate([row("p1", "a1", "armed_conflict")], scheme, min_annotators=1)
    path = tmp_path / "gold.jsonl"
    for change, message in (
        ({"n_annotators": 3}, "n_annotators is 3 for 1 names"),
        ({"status": "unlabeled"}, "status 'unlabeled'"),
        ({"status": "done"}, r"status must be one of \['resolved', 'needs_adjudication', "),
    ):
        path.write_text(json.dumps(gold[0].to_dict() | change) + "\n", encoding="utf-8")
        with pytest.raises(BadInputError, match=message):
            read_records(path, GoldLabel.from_dict)
