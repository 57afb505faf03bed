"""Gold labels from several annotators (pure): strict majority per field, ties never auto-resolved.

Rule (aggregation "majority@1"): a field's gold value is the value chosen by MORE than half of the
post's annotators. Exactly half for the top value(s) is a `tie`; a plurality below half is
`no_majority` (low agreement). Either sends the field to the adjudication list and leaves it
unset; an adjudicator's written decision (`apply_adjudications`) is the only way such a field
gets a value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from statemedia.errors import BadInputError
from statemedia.labeling.records import (
    NO,
    YES,
    Annotation,
    Decision,
    Disagreement,
    FieldKind,
    GoldLabel,
    Labels,
    Origin,
    Unresolved,
    field_id,
    parse_field_id,
)
from statemedia.labeling.scheme import Scheme
from statemedia.vocab import LabelStatus, post_schema

AGGREGATION = "majority@1"


def majority(votes: Sequence[str]) -> tuple[str | None, Unresolved | None]:
    """(winner, None) if a value has over half the votes, else (None, 'tie' | 'no_majority')."""
    if not votes:
        return None, Unresolved.NO_MAJORITY
    ranked = Counter(votes).most_common()
    top_value, top_count = ranked[0]
    if 2 * top_count > len(votes):
        return top_value, None
    tied = len(ranked) > 1 and ranked[1][1] == top_count
    return None, Unresolved.TIE if tied or 2 * top_count == len(votes) else Unresolved.NO_MAJORITY


def aggregate(
    rows: Sequence[Annotation], scheme: Scheme, min_annotators: int = 1
) -> tuple[list[GoldLabel], list[Disagreement]]:
    """Human annotations → (gold labels by post_id, adjudication list). Posts coded by fewer than
    `min_annotators` people get no gold label."""
    by_post: dict[str, list[Annotation]] = {}
    for row in rows:
        if row.origin is Origin.HUMAN:
            by_post.setdefault(row.post_id, []).append(row)

    gold: list[GoldLabel] = []
    queue: list[Disagreement] = []
    for post_id in sorted(by_post):
        post_rows = sorted(by_post[post_id], key=lambda r: r.annotator)
        if len(post_rows) < min_annotators:
            continue
        unresolved: list[str] = []

        def vote(
            field: str,
            by_annotator: dict[str, str],
            post_id: str = post_id,
            unresolved: list[str] = unresolved,
        ) -> str | None:
            # Defaults bind this post's id and list: the helper is redefined for every post.
            winner, reason = majority(list(by_annotator.values()))
            if reason is not None:
                unresolved.append(field)
                queue.append(
                    Disagreement(post_id, field, reason, dict(sorted(by_annotator.items())))
                )
            return winner

        primary = vote(
            field_id(FieldKind.TOPIC_PRIMARY),
            {r.annotator: r.labels.topic_primary for r in post_rows if r.labels.topic_primary},
        )
        secondary = []
        for topic in scheme.topic_names:
            picked = {
                r.annotator: YES if topic in r.labels.topics_secondary else NO for r in post_rows
            }
            field = field_id(FieldKind.TOPICS_SECONDARY, topic)
            if YES in picked.values() and vote(field, picked) == YES:
                secondary.append(topic)
        targets: list[str] = []
        stances: dict[str, str | None] = {}
        for target in scheme.target_names:
            ticked = {r.annotator: YES if target in r.labels.targets else NO for r in post_rows}
            field = field_id(FieldKind.ADDRESSED, target)
            addressed = vote(field, ticked) if YES in ticked.values() else NO
            stances[target] = None
            if addressed == YES:
                targets.append(target)
                stance_votes = {
                    r.annotator: stance.stance
                    for r in post_rows
                    for stance in r.labels.addressed(scheme)
                    if stance.target == target
                }
                stances[target] = vote(field_id(FieldKind.STANCE, target), stance_votes)
        gold.append(
            GoldLabel(
                post_id=post_id,
                annotators=tuple(r.annotator for r in post_rows),
                labels=Labels(primary, tuple(secondary), tuple(targets), stances),
                status=LabelStatus.NEEDS_ADJUDICATION if unresolved else LabelStatus.RESOLVED,
                unresolved_fields=tuple(unresolved),
                adjudicated_fields=(),
                aggregation=AGGREGATION,
                scheme_version=scheme.version,
            )
        )
    return gold, queue


def allowed_values(scheme: Scheme) -> dict[str, set[str]]:
    """Every field an adjudicator may decide, and the values it may take."""
    allowed = {field_id(FieldKind.TOPIC_PRIMARY): set(scheme.topic_names)}
    for topic in scheme.topic_names:
        allowed[field_id(FieldKind.TOPICS_SECONDARY, topic)] = {YES, NO}
    for target in scheme.target_names:
        allowed[field_id(FieldKind.ADDRESSED, target)] = {YES, NO}
        allowed[field_id(FieldKind.STANCE, target)] = set(scheme.stance_names)
    return allowed


def decide(labels: Labels, decision: Decision, scheme: Scheme) -> Labels:
    """The labels with one adjudicated field set (a "no" leaves them as they are)."""
    kind, name = parse_field_id(decision.field)
    value = decision.value
    if kind is FieldKind.TOPIC_PRIMARY:
        return replace(labels, topic_primary=value)
    if kind is FieldKind.TOPICS_SECONDARY and value == YES:
        chosen = {*labels.topics_secondary, name}
        return replace(labels, topics_secondary=tuple(t for t in scheme.topic_names if t in chosen))
    if kind is FieldKind.ADDRESSED and value == YES:
        ticked = {*labels.targets, name}
        return replace(labels, targets=tuple(t for t in scheme.target_names if t in ticked))
    if kind is FieldKind.STANCE:
        return replace(labels, stances={**labels.stances, name: value})
    return labels


def apply_adjudications(
    gold: Sequence[GoldLabel], decisions: Sequence[Decision], scheme: Scheme
) -> list[GoldLabel]:
    """Fill unresolved fields from adjudicators' decisions (post_id, field, value).

    A decision for a field that was not unresolved is an error: adjudication never overrides a
    majority.
    """
    allowed = allowed_values(scheme)
    by_post = {row.post_id: row for row in gold}
    for number, decision in enumerate(decisions, start=1):
        post_id, field, value = decision.post_id, decision.field, decision.value
        if post_id not in by_post:
            raise BadInputError(f"adjudication {number}: post_id {post_id!r} has no gold row")
        row = by_post[post_id]
        if field not in allowed or value not in allowed[field]:
            raise BadInputError(f"adjudication {number}: {field}={value!r} is not in the scheme")
        if field not in row.unresolved_fields:
            raise BadInputError(
                f"adjudication {number}: {post_id} {field} was not awaiting adjudication"
            )
        by_post[post_id] = replace(
            row,
            labels=decide(row.labels, decision, scheme),
            unresolved_fields=tuple(f for f in row.unresolved_fields if f != field),
            adjudicated_fields=(*row.adjudicated_fields, field),
        )
    settled = []
    for post_id in sorted(by_post):
        row = by_post[post_id]
        # A target adjudicated as addressed still needs a stance before the row is resolved.
        missing = tuple(
            field_id(FieldKind.STANCE, target)
            for target in row.labels.targets
            if row.labels.stance(target) is None
            and field_id(FieldKind.STANCE, target) not in row.unresolved_fields
        )
        unresolved = (*row.unresolved_fields, *missing)
        status = LabelStatus.NEEDS_ADJUDICATION if unresolved else LabelStatus.RESOLVED
        settled.append(replace(row, unresolved_fields=unresolved, status=status))
    return settled


def label_column_names() -> list[str]:
    """The release's gold-label columns, as declared in schema/post.schema.json (`label_*`)."""
    return [name for name in post_schema()["properties"] if name.startswith("label_")]


def post_label_columns(gold: GoldLabel | None, scheme: Scheme) -> dict[str, Any]:
    """One post's `label_*` release columns; only a resolved post carries label values.

    label_stances lists {target, stance} for addressed targets in scheme order: a list, not one
    column per target, so appending a target to the scheme does not change the release schema.
    """
    if gold is None:
        status, n_annotators, version = LabelStatus.UNLABELED, 0, None
    else:
        status, n_annotators, version = gold.status, gold.n_annotators, gold.scheme_version
    decided = gold.labels if gold is not None and status is LabelStatus.RESOLVED else None
    return {
        "label_status": status.value,
        "label_n_annotators": n_annotators,
        "label_topic_primary": decided.topic_primary if decided else None,
        "label_topics_secondary": list(decided.topics_secondary) if decided else [],
        "label_stances": [s.to_dict() for s in decided.addressed(scheme)] if decided else [],
        "label_scheme_version": version,
    }


def gold_columns(
    gold: Sequence[GoldLabel], post_ids: Sequence[str], scheme: Scheme
) -> dict[str, list[Any]]:
    """Gold labels as release columns aligned with `post_ids` (the `label_*` row-schema columns).

    label_status is 'resolved', 'needs_adjudication' or 'unlabeled'; only resolved posts carry label
    values (others get null / empty lists), so no half-decided label reaches a release.
    """
    by_post: Mapping[str, GoldLabel] = {row.post_id: row for row in gold}
    cols: dict[str, list[Any]] = {name: [] for name in label_column_names()}
    for post_id in post_ids:
        for name, value in post_label_columns(by_post.get(post_id), scheme).items():
            cols[name].append(value)
    return cols
