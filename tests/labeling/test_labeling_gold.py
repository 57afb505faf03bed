"""Majority aggregation, the tie rule, adjudication and the release columns (offline)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from labeling_helpers import row

from statemedia.config import CONFIG_FILE, load_config
from statemedia.errors import BadInputError
from statemedia.labeling.gold import (
    aggregate,
    allowed_values,
    apply_adjudications,
    gold_columns,
    majority,
)
from statemedia.labeling.records import (
    NO,
    YES,
    Annotation,
    Decision,
    FieldKind,
    Labels,
    Origin,
    parse_field_id,
)
from statemedia.labeling.scheme import load_scheme
from statemedia.release.schema import arrow_schema
from statemedia.vocab import LabelStatus

REPO = Path(__file__).resolve().parents[2]


def decision(post_id: str, field: str, value: str, who: str = "adj@example.org") -> Decision:
    return Decision(post_id, field, value, reason="read the post again", adjudicator=who)


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
    records, disagreements = aggregate(rows, scheme, min_annotators=2)
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


def test_min_annotators_drops_thin_posts_and_marks_single_coder_gold(scheme) -> None:
    assert load_config(REPO / CONFIG_FILE).labeling.min_annotators == 2  # the configured default
    gold, _ = aggregate([row("p1", "a1", "armed_conflict")], scheme, min_annotators=2)
    assert gold == []
    lowered, queue = aggregate([row("p1", "a1", "armed_conflict")], scheme, min_annotators=1)
    assert queue == [] and lowered[0].status == "resolved"  # deliberately lowered
    raw = lowered[0].to_dict()
    assert (raw["n_annotators"], raw["min_annotators"]) == (1, 1)
    assert raw["field_n_annotators"] == {"topic_primary": 1}


def test_a_majority_of_too_few_valid_votes_is_listed(scheme) -> None:
    rows = [row("p1", "a1", "armed_conflict"), row("p1", "a2", "")]  # a2 gave no primary topic
    gold, queue = aggregate(rows, scheme, min_annotators=2)
    assert [(q.field, q.reason) for q in queue] == [("topic_primary", "too_few_coders")]
    assert gold[0].labels.topic_primary is None
    assert gold[0].field_n_annotators["topic_primary"] == 1


def test_a_tied_target_is_adjudicated_with_its_stance(scheme) -> None:
    rows = [
        row("p3", "a1", "multilateral_order", {"the_west": "against"}),
        row("p3", "a2", "sanctions_trade_finance"),
    ]
    gold, queue = aggregate(rows, scheme, min_annotators=2)
    # The tied addressed field lists the target's stance too, with the votes of those who ticked.
    assert [(q.field, q.reason) for q in queue] == [
        ("topic_primary", "tie"),
        ("addressed:the_west", "tie"),
        ("stance:the_west", "awaits_addressed"),
    ]
    assert queue[2].by_annotator == {"a1": "against"}
    assert gold[0].unresolved_fields == tuple(q.field for q in queue)
    decisions = [
        decision("p3", "topic_primary", "multilateral_order"),
        decision("p3", "addressed:the_west", "yes"),
        decision("p3", "stance:the_west", "against", who="adjudicator_01"),
    ]
    partial = apply_adjudications(gold, decisions[:2], scheme)
    assert partial[0].status == "needs_adjudication"
    assert partial[0].unresolved_fields == ("stance:the_west",)
    done = apply_adjudications(gold, decisions, scheme)[0].to_dict()
    assert (done["status"], done["unresolved_fields"]) == ("resolved", [])
    assert (done["topic_primary"], done["targets"], done["stance_the_west"]) == (
        "multilateral_order",
        ["the_west"],
        "against",
    )
    assert done["adjudicated_fields"] == ["topic_primary", "addressed:the_west", "stance:the_west"]
    assert done["adjudications"][2] == {
        "field": "stance:the_west",
        "value": "against",
        "reason": "read the post again",
        "adjudicator": "adjudicator_01",
    }


def test_a_target_decided_not_addressed_drops_its_stance(scheme) -> None:
    rows = [row("p3", "a1", "armed_conflict", {"nato": "favor"}), row("p3", "a2", "armed_conflict")]
    gold, _ = aggregate(rows, scheme, min_annotators=2)
    no = decision("p3", "addressed:nato", "no")
    settled = apply_adjudications(gold, [no], scheme)[0]
    assert (settled.status, settled.unresolved_fields, settled.labels.targets) == (
        "resolved",
        (),
        (),
    )
    stance = decision("p3", "stance:nato", "favor")
    with pytest.raises(
        BadInputError, match=r"adjudication 2: p3 stance:nato: a stance for a target"
    ):
        apply_adjudications(gold, [no, stance], scheme)
    with pytest.raises(BadInputError, match="already decided by adjudication 1"):
        apply_adjudications(gold, [no, no], scheme)


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (decision("zz", "topic_primary", "armed_conflict"), "no gold row"),
        (decision("p1", "topic_primary", "propaganda"), "not in the scheme"),
        (decision("p1", "addressed:atlantis", "yes"), "not in the scheme"),
        (
            decision("p1", "topic_primary", "energy_resources"),
            r"p1 topic_primary was not awaiting adjudication \(listed for p1: none\)",
        ),
    ],
)
def test_bad_adjudications_are_rejected(scheme, decision, message) -> None:
    gold, _ = aggregate(
        [row("p1", "a1", "armed_conflict"), row("p1", "a2", "armed_conflict")],
        scheme,
        min_annotators=2,
    )
    with pytest.raises(BadInputError, match=message):
        apply_adjudications(gold, [decision], scheme)


def test_gold_columns_publish_agreed_fields_and_hide_undecided_ones(scheme) -> None:
    rows = [
        row("p1", "a1", "armed_conflict", {"nato": "against", "china": "neutral"}),
        row("p1", "a2", "armed_conflict", {"nato": "against", "china": "neutral"}),
        # p3: the topic is tied; NATO's stance is agreed; China's addressed field is tied.
        row("p3", "a1", "multilateral_order", {"nato": "favor", "china": "favor"}),
        row("p3", "a2", "sanctions_trade_finance", {"nato": "favor"}),
    ]
    gold, _ = aggregate(rows, scheme, min_annotators=2)
    cols = gold_columns(gold, ["p0", "p1", "p3"], scheme)
    assert cols["label_status"] == ["unlabeled", "resolved", "needs_adjudication"]
    assert cols["label_n_annotators"] == [0, 2, 2]
    assert cols["label_topic_primary"] == [None, "armed_conflict", None]
    assert cols["label_stances"] == [
        [],
        [{"target": "nato", "stance": "against"}, {"target": "china", "stance": "neutral"}],
        [{"target": "nato", "stance": "favor"}],  # agreed, published while China awaits a decision
    ]
    # The columns fit the release's Arrow schema, derived from schema/post.schema.json.
    fields = [f for f in arrow_schema() if f.name.startswith("label_")]
    table = pa.Table.from_pydict(cols, schema=pa.schema(fields))
    assert table.num_rows == 3


# -- property: adjudication always terminates ---------------------------------------------------

SCHEME = load_scheme()
TOPICS, TARGETS = SCHEME.topic_names[:4], SCHEME.target_names[:3]  # few names: many ties


@st.composite
def coded_posts(draw: st.DrawFn) -> list[Annotation]:
    """Random human votes on 1-3 posts by 2-4 coders each (topics, ticked targets, stances)."""
    rows = []
    for post in range(draw(st.integers(1, 3))):
        for coder in range(draw(st.integers(2, 4))):
            primary = draw(st.sampled_from(TOPICS))
            secondary = draw(st.sets(st.sampled_from(TOPICS)))
            ticked = draw(st.sets(st.sampled_from(TARGETS)))
            stances = {t: draw(st.sampled_from(SCHEME.stance_names)) for t in ticked}
            labels = Labels(
                primary,
                tuple(t for t in SCHEME.topic_names if t in secondary),
                tuple(t for t in SCHEME.target_names if t in ticked),
                {t: stances.get(t) for t in SCHEME.target_names},
            )
            rows.append(
                Annotation.from_dict(
                    {
                        "post_id": f"p{post}",
                        "annotator": f"annotator_{coder + 1:02d}",
                        "origin": Origin.HUMAN.value,
                        **labels.to_columns(),
                    }
                )
            )
    return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=coded_posts(), data=st.data())
def test_deciding_every_listed_field_leaves_no_post_awaiting_adjudication(rows, data) -> None:
    gold, queue = aggregate(rows, SCHEME, min_annotators=2)
    assert {(q.post_id, q.field) for q in queue} == {
        (g.post_id, f) for g in gold for f in g.unresolved_fields
    }
    allowed = allowed_values(SCHEME)
    decisions, addressed_no = [], set()
    for q in queue:  # addressed before stance in the list; a stance lapses with addressed "no"
        kind, name = parse_field_id(q.field)
        if kind is FieldKind.STANCE and (q.post_id, name) in addressed_no:
            continue
        value = data.draw(st.sampled_from(sorted(allowed[q.field])))
        if kind is FieldKind.ADDRESSED and value == NO:
            addressed_no.add((q.post_id, name))
        decisions.append(decision(q.post_id, q.field, value))
    order = data.draw(st.permutations(decisions))  # the file's order does not matter
    settled = apply_adjudications(gold, order, SCHEME)
    assert all(g.status is LabelStatus.RESOLVED and not g.unresolved_fields for g in settled)
    for g in settled:  # every addressed target has a stance, every listed field a value
        assert all(g.labels.stance(t) for t in g.labels.targets)
        assert len(g.adjudications) == sum(1 for d in decisions if d.post_id == g.post_id)

    # A decision for a field that was not listed is refused, naming it.
    listed = {(q.post_id, q.field) for q in queue}
    post_id = gold[0].post_id
    unlisted = [f for f in allowed if (post_id, f) not in listed]
    field = data.draw(st.sampled_from(unlisted))
    value = sorted(allowed[field])[0]
    if parse_field_id(field)[0] is FieldKind.ADDRESSED:
        value = YES
    with pytest.raises(BadInputError, match=f"{post_id} {field} was not awaiting adjudication"):
        apply_adjudications(gold, [decision(post_id, field, value)], SCHEME)
