"""Export parsing, validation against the scheme, pseudonyms and machine rows (offline)."""

from __future__ import annotations

import json

import pytest
from labeling_helpers import choices, result

from statemedia.errors import BadInputError
from statemedia.labeling.export import (
    annotator_keys,
    assign_pseudonyms,
    convert_export,
    foreign_annotators,
    parse_export,
    parse_predictions,
    parse_result,
)


def task(task_id: int, post_id: str | None, *annotations: dict) -> dict:
    data = {"text": "t"} if post_id is None else {"text": "t", "post_id": post_id}
    return {"id": task_id, "project": 7, "data": data, "annotations": list(annotations)}


def ann(ann_id: int, user: int, res: list, updated: str = "2025-01-01T00:00:00Z", **extra) -> dict:
    return {
        "id": ann_id,
        "completed_by": user,
        "result": res,
        "was_cancelled": False,
        "lead_time": 12.5,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": updated,
        "parent_prediction": None,
        **extra,
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not a valid Label Studio JSON export"),
        (b'{"id": 1}', "expected a JSON list of tasks, got dict"),
        (b'[{"id": 1, "data": {}}]', "x.json: item 0: task lacks ['annotations']"),
        (b'[{"id": 1, "data": [], "annotations": []}]', "item 0: data must be an object"),
        (b'[{"id": 1, "data": {}, "annotations": {}}]', "annotations must be a list of objects"),
        (b"\xff\xfe", "not a valid"),
        (b"[[]]", "item 0: expected a JSON object"),
        (b'[{"id": "one", "data": {}, "annotations": []}]', "item 0: id must be int, got 'one'"),
        (b'[{"id": 1, "data": {}, "annotations": [{"lead_time": "slow"}]}]', "lead_time must be"),
        (b'[{"id": 1, "data": {}, "annotations": [{"result": {}}]}]', "result must be a list"),
        (b'[{"id": 1, "data": {}, "annotations": [7]}]', "list of objects"),
        (b'[{"id": 1, "data": {}, "annotations": [{"completed_by": "me"}]}]', "completed_by"),
    ],
)
def test_invalid_export_is_bad_input(raw: bytes, message: str) -> None:
    with pytest.raises(BadInputError) as err:
        parse_export(raw, source="x.json")
    assert str(err.value).startswith("x.json: ") and message in str(err.value)


# Rule table: a result and the exact problems expected (empty = valid).
RULES = [
    ("valid", result("armed_conflict", ["information_media"], {"nato": "against"}), []),
    ("no labels at all", [], ["missing_primary_topic"]),
    ("no primary", result(None, ["information_media"]), ["missing_primary_topic"]),
    (
        "two primaries",
        [choices("topic_primary", "armed_conflict", "energy_resources")],
        ["multiple_primary_topics"],
    ),
    (
        "primary repeated",
        result("armed_conflict", ["armed_conflict"]),
        ["primary_repeated_in_secondary"],
    ),
    (
        "unknown topic",
        result("propaganda"),
        ["unknown_label:topic_primary=propaganda"],
    ),
    (
        "unknown stance value",
        result("armed_conflict", stances={"nato": "hostile"}),
        ["unknown_label:stance_nato=hostile", "ticked_target_without_stance:nato"],
    ),
    (
        "stance for unticked target",
        result("armed_conflict", stances={"nato": "against"}, targets=[]),
        ["stance_for_unticked_target:nato"],
    ),
    (
        "ticked target without stance",
        result("armed_conflict", stances={"nato": "against"}, targets=["nato", "china"]),
        ["ticked_target_without_stance:china"],
    ),
    (
        "two stances for one target",
        [
            choices("topic_primary", "armed_conflict"),
            choices("targets", "nato"),
            choices("stance_nato", "favor", "against"),
        ],
        ["multiple_stances_for_target:nato"],
    ),
    (
        "unknown control",
        [choices("topic_primary", "armed_conflict"), choices("sentiment", "positive")],
        ["unknown_field:sentiment"],
    ),
]


@pytest.mark.parametrize(("case", "res", "expected"), RULES, ids=[r[0] for r in RULES])
def test_validation_rules(scheme, case, res, expected) -> None:
    _, problems = parse_result(res, scheme)
    assert problems == expected


def test_labels_are_normalised_to_scheme_order(scheme) -> None:
    labels, problems = parse_result(
        result(
            "armed_conflict",
            ["information_media", "energy_resources"],
            {"china": "favor", "nato": "against"},
        ),
        scheme,
    )
    assert problems == []
    assert labels.topics_secondary == ("energy_resources", "information_media")
    assert labels.targets == ("nato", "china")
    assert (labels.stance("nato"), labels.stance("china"), labels.stance("russia")) == (
        "against",
        "favor",
        None,
    )
    assert set(labels.stances) == set(scheme.target_names)  # one stance column per target
    assert [(s.target, s.stance) for s in labels.addressed(scheme)] == [
        ("nato", "against"),
        ("china", "favor"),
    ]


def test_pseudonyms_are_sequential_and_stable() -> None:
    first = assign_pseudonyms(["email:b@x", "email:a@x"], {})
    assert first == {"email:b@x": "annotator_01", "email:a@x": "annotator_02"}
    second = assign_pseudonyms(["email:c@x", "email:a@x"], first)
    assert second == {**first, "email:c@x": "annotator_03"}


def test_convert_keeps_valid_rows_and_reports_the_rest(scheme) -> None:
    tasks = [
        task(
            1,
            "p1",
            ann(11, 5, result("armed_conflict", stances={"ukraine_government": "against"})),
            ann(12, 6, result("armed_conflict", stances={"nato": "favor"}, targets=[])),
        ),
        task(2, "p2", ann(21, 5, [], was_cancelled=True)),
        task(3, None, ann(31, 6, result("energy_resources"))),
        task(
            4,
            "p4",
            ann(41, 5, result("energy_resources"), updated="2025-01-02T00:00:00Z"),
            ann(42, 5, result("sanctions_trade_finance"), updated="2025-01-03T00:00:00Z"),
        ),
    ]
    emails = {5: "Ann@Example.org", 6: "bob@example.org"}
    pseudonyms = {"email:ann@example.org": "annotator_01", "email:bob@example.org": "annotator_02"}
    predictions = [
        {
            "id": 900,
            "task": 1,
            "result": result("other_policy"),
            "model_version": "zero-shot@1",
            "score": 0.4,
            "created_at": "2025-01-01T00:00:00Z",
        }
    ]
    out = convert_export(
        parse_export(json.dumps(tasks)), scheme, pseudonyms, emails, parse_predictions(predictions)
    )
    annotations = [r.to_dict() for r in out.annotations]
    problems = [p.to_dict() for p in out.problems]
    machine_rows = [m.to_dict() for m in out.predictions]

    assert [(r["post_id"], r["annotator"], r["ls_annotation_id"]) for r in annotations] == [
        ("p1", "annotator_01", 11),
        ("p4", "annotator_01", 42),  # the later of two annotations by the same person
    ]
    row = annotations[0]
    assert row["origin"] == "human"
    assert row["topic_primary"] == "armed_conflict"
    assert row["targets"] == ["ukraine_government"]
    assert row["stance_ukraine_government"] == "against"
    assert row["stance_nato"] is None
    assert (row["ls_task_id"], row["ls_project_id"], row["lead_time"]) == (1, 7, 12.5)
    assert row["created_at"] == "2025-01-01T00:00:00Z"
    assert row["scheme_version"] == scheme.version

    reasons = {p["ls_annotation_id"]: p["reasons"] for p in problems}
    assert reasons == {
        12: ["stance_for_unticked_target:nato"],
        21: ["skipped_by_annotator"],
        31: ["task_without_post_id"],
        41: ["superseded_by_later_annotation"],
    }
    assert out.counts["annotations_seen"] == 6
    assert out.counts["kept"] == 2 and out.counts["problems"] == 4

    assert len(machine_rows) == 1
    machine = machine_rows[0]
    assert machine["origin"] == "machine" and machine["post_id"] == "p1"
    assert machine["topic_primary"] == "other_policy" and machine["model_version"] == "zero-shot@1"
    # Never counted as a human annotation.
    assert all(r["origin"] == "human" for r in annotations)
    json.dumps([annotations, problems, machine_rows])  # rows are JSON-serialisable


def test_completed_by_as_id_or_user_object_is_the_same_annotator() -> None:
    tasks = parse_export(
        json.dumps(
            [
                task(1, "p1", ann(11, 5, []), ann(12, 6, [])),
                task(2, "p2", {**ann(21, 5, []), "completed_by": {"id": 5, "email": "x"}}),
                task(3, "p3", {**ann(31, 5, []), "completed_by": None}),
            ]
        )
    )
    assert [a.user_id for t in tasks for a in t.annotations] == [5, 6, 5, None]
    keys = annotator_keys(tasks, {6: "Bob@Example.org"})
    assert keys == ["ls-user:5", "email:bob@example.org", "ls-user:None"]


def test_foreign_annotators_are_everyone_but_the_servers_coder() -> None:
    """A coder's own server must hold only their annotations (blind `pull` refuses otherwise)."""
    raw = json.dumps(
        [
            {
                "id": 1,
                "data": {"post_id": "p1"},
                "annotations": [
                    {"id": 1, "completed_by": 1, "result": result("other_policy")},
                    {"id": 2, "completed_by": {"id": 7}, "result": result("other_policy")},
                ],
            },
            {
                "id": 2,
                "data": {"post_id": "p2"},
                "annotations": [
                    {"id": 3, "completed_by": 1, "result": result("other_policy")},
                ],
            },
        ]
    )
    tasks = parse_export(raw)
    assert foreign_annotators(tasks, 1) == [7]
    assert foreign_annotators(tasks, 7) == [1]
    assert foreign_annotators(tasks[1:], 1) == []
