"""Majority aggregation, the tie rule, adjudication and the release columns (offline)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from labeling_helpers import row

from statemedia.errors import BadInputError
from statemedia.labeling.gold import (
    aggregate,
    apply_adjudications,
    gold_columns,
    majority,
)
from statemedia.labeling.records import Decision
from statemedia.release.schema import arrow_schema


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        (["a"], ("a", None)),
        (["a", "a"], ("a", None)),
        (["a", "b"], (None, "tie")),
        (["a", "a", "b"], ("a", None)),
        (["a", "b", "c"], (None, "tie")),
        (["a", "a", "b", "b"], (None, "tie")),
        (["a", "a", "b", "c"], (None, "tie")),  # exactly half is not a majority
        (["a", "a", "b", "c", "d"], (None, "no_majority")),  # plurality below half: low agreement
        ([], (None, "no_majority")),
    ],
)
def test_majority_rule(votes, expected) -> None:
    assert majority(votes) == expected


def test_aggregate_resolves_majorities_and_queues_ties(scheme) -> None:
    rows = [
        # p1: all agree.
        row("p1", "a1", "armed_conflict", {"ukraine_government": "against"}),
        row("p1", "a2", "armed_conflict", {"ukraine_government": "against"}),
        # p2: 2 of 3 on topic and on NATO's stance; the third did not tick NATO.
        row("p2", "a1", "security_arms_control", {"nato": "against"}),
        row("p2", "a2", "security_arms_control", {"nato": "against"}),
        row("p2", "a3", "energy_resources"),
        # p3: topic tie, and a stance split between the two who ticked the West.
        row("p3", "a1", "multilateral_order", {"the_west": "against"}),
        row("p3", "a2", "sanctions_trade_finance", {"the_west": "neutral"}),
        row("p3", "m", "other_policy", {"china": "favor"}, origin="machine"),
    ]
    records, disagreements = aggregate(rows, scheme)
    gold = [g.to_dict() for g in records]  # the gold.jsonl rows
    queue = [q.to_dict() for q in disagreements]  # the adjudication.jsonl rows
    by_post = {g["post_id"]: g for g in gold}
    assert set(by_post) == {"p1", "p2", "p3"}

    assert by_post["p1"]["status"] == "resolved"
    assert by_post["p1"]["stance_ukraine_government"] == "against"
    assert by_post["p1"]["n_annotators"] == 2

    p2 = by_post["p2"]
    assert (p2["status"], p2["topic_primary"], p2["targets"]) == (
        "resolved",
        "security_arms_control",
        ["nato"],
    )
    assert p2["stance_nato"] == "against" and p2["n_annotators"] == 3

    p3 = by_post["p3"]
    assert p3["status"] == "needs_adjudication"
    assert p3["topic_primary"] is None and p3["stance_the_west"] is None
    assert p3["unresolved_fields"] == ["topic_primary", "stance:the_west"]
    assert p3["n_annotators"] == 2  # the machine row is not an annotator
    assert [(q["post_id"], q["field"], q["reason"]) for q in queue] == [
        ("p3", "topic_primary", "tie"),
        ("p3", "stance:the_west", "tie"),
    ]
    assert queue[0]["by_annotator"] == {"a1": "multilateral_order", "a2": "sanctions_trade_finance"}
    assert queue[0]["votes"] == {"multilateral_order": 1, "sanctions_trade_finance": 1}
    assert queue[0]["n_annotators"] == 2
    assert p3["annotators"] == ["a1", "a2"] and p3["adjudicated_fields"] == []
    assert (p3["aggregation"], p3["scheme_version"]) == ("majority@1", scheme.version)


def test_min_annotators_drops_thin_posts(scheme) -> None:
    gold, _ = aggregate([row("p1", "a1", "armed_conflict")], scheme, min_annotators=2)
    assert gold == []


def test_adjudication_fills_only_unresolved_fields(scheme) -> None:
    rows = [
        row("p3", "a1", "multilateral_order", {"the_west": "against"}),
        row("p3", "a2", "sanctions_trade_finance"),
    ]
    gold, queue = aggregate(rows, scheme)
    assert [q.field for q in queue] == ["topic_primary", "addressed:the_west"]
    # The West adjudicated as addressed: its stance must be decided too before the row resolves.
    partial = apply_adjudications(
        gold,
        [
            Decision("p3", "topic_primary", "multilateral_order"),
            Decision("p3", "addressed:the_west", "yes"),
        ],
        scheme,
    )
    assert partial[0].status == "needs_adjudication"
    assert partial[0].unresolved_fields == ("stance:the_west",)
    done = apply_adjudications(partial, [Decision("p3", "stance:the_west", "against")], scheme)
    decided = done[0].to_dict()
    assert decided["status"] == "resolved"
    assert (decided["topic_primary"], decided["targets"], decided["stance_the_west"]) == (
        "multilateral_order",
        ["the_west"],
        "against",
    )
    assert decided["adjudicated_fields"] == [
        "topic_primary",
        "addressed:the_west",
        "stance:the_west",
    ]
    assert decided["unresolved_fields"] == []


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (Decision("zz", "topic_primary", "armed_conflict"), "no gold row"),
        (Decision("p1", "topic_primary", "propaganda"), "not in the scheme"),
        (Decision("p1", "addressed:atlantis", "yes"), "not in the scheme"),
        (Decision("p1", "topic_primary", "energy_resources"), "not awaiting"),
    ],
)
def test_bad_adjudications_are_rejected(scheme, decision, message) -> None:
    gold, _ = aggregate(
        [row("p1", "a1", "armed_conflict"), row("p1", "a2", "armed_conflict")], scheme
    )
    with pytest.raises(BadInputError, match=message):
        apply_adjudications(gold, [decision], scheme)


def test_gold_columns_align_with_release_and_hide_undecided_labels(scheme) -> None:
    rows = [
        row("p1", "a1", "armed_conflict", {"nato": "against", "china": "neutral"}),
        row("p1", "a2", "armed_conflict", {"nato": "against", "china": "neutral"}),
        row("p3", "a1", "multilateral_order"),
        row("p3", "a2", "sanctions_trade_finance"),
    ]
    gold, _ = aggregate(rows, scheme)
    cols = gold_columns(gold, ["p0", "p1", "p3"], scheme)
    assert cols["label_status"] == ["unlabeled", "resolved", "needs_adjudication"]
    assert cols["label_n_annotators"] == [0, 2, 2]
    assert cols["label_topic_primary"] == [None, "armed_conflict", None]
    assert cols["label_stances"] == [
        [],
        [{"target": "nato", "stance": "against"}, {"target": "china", "stance": "neutral"}],
        [],
    ]
    # The columns fit the release's Arrow schema, derived from schema/post.schema.json.
    fields = [f for f in arrow_schema() if f.name.startswith("label_")]
    table = pa.Table.from_pydict(cols, schema=pa.schema(fields))
    assert table.num_rows == 3
