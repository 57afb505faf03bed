"""Gold labels from several annotators (pure): strict majority per field, ties never auto-resolved.

Rule (aggregation "majority@1"): a field's gold value is the value chosen by MORE than half of the
post's annotators who voted on it, and by at least `min_annotators` of them. Exactly half for the
top value(s) is a `tie`; a plurality below half is `no_majority` (low agreement); a majority of
fewer votes than the minimum is `too_few_coders`. Each sends the field to the adjudication list
and leaves it unset; when a target's `addressed` field is listed, its `stance` field is listed
too (`awaits_addressed`), so that one set of decisions settles the target. An adjudicator's
written decision (`apply_adjudications`) is the only way a listed field gets a value, and a post
whose every listed field is decided (or has lapsed) is resolved: adjudication always terminates.
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


class _PostVotes:
    """The votes of one post's annotators, field by field: winners, counts and the listed fields."""

    def __init__(self, post_id: str, min_annotators: int) -> None:
        self.post_id, self.min_annotators = post_id, min_annotators
        self.counts: dict[str, int] = {}
        self.queue: list[Disagreement] = []

    def list_field(self, field: str, reason: Unresolved, by_annotator: Mapping[str, str]) -> None:
        """Put a field on the adjudication list."""
        self.queue.append(
            Disagreement(self.post_id, field, reason, dict(sorted(by_annotator.items())))
        )

    def vote(self, field: str, by_annotator: Mapping[str, str]) -> str | None:
        """The field's majority value, or None after listing it for adjudication."""
        self.counts[field] = len(by_annotator)
        winner, reason = majority(list(by_annotator.values()))
        if reason is None and len(by_annotator) < self.min_annotators:
            winner, reason = None, Unresolved.TOO_FEW_CODERS
        if reason is not None:
            self.list_field(field, reason, by_annotator)
        return winner


def aggregate(
    rows: Sequence[Annotation], scheme: Scheme, *, min_annotators: int
) -> tuple[list[GoldLabel], list[Disagreement]]:
    """Human annotations → (gold labels by post_id, adjudication list). Posts coded by fewer than
    `min_annotators` people get no gold row; `min_annotators` is `[labeling] min_annotators`
    (statemedia.toml, 2) unless lowered deliberately, and every gold row records it."""
    if min_annotators < 1:
        raise BadInputError(f"min_annotators must be at least 1, got {min_annotators}")
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
        votes = _PostVotes(post_id, min_annotators)
        primary = votes.vote(
            field_id(FieldKind.TOPIC_PRIMARY),
            {r.annotator: r.labels.topic_primary for r in post_rows if r.labels.topic_primary},
        )
        secondary = []
        for topic in scheme.topic_names:
            picked = {
                r.annotator: YES if topic in r.labels.topics_secondary else NO for r in post_rows
            }
            field = field_id(FieldKind.TOPICS_SECONDARY, topic)
            if YES in picked.values() and votes.vote(field, picked) == YES:
                secondary.append(topic)
        targets: list[str] = []
        stances: dict[str, str | None] = {}
        for target in scheme.target_names:
            ticked = {r.annotator: YES if target in r.labels.targets else NO for r in post_rows}
            field = field_id(FieldKind.ADDRESSED, target)
            addressed = votes.vote(field, ticked) if YES in ticked.values() else NO
            stances[target] = None
            stance_votes = {
                r.annotator: stance.stance
                for r in post_rows
                for stance in r.labels.addressed(scheme)
                if stance.target == target
            }
            stance_field = field_id(FieldKind.STANCE, target)
            if addressed == YES:
                targets.append(target)
                stances[target] = votes.vote(stance_field, stance_votes)
            elif addressed is None:
                votes.counts[stance_field] = len(stance_votes)
                votes.list_field(stance_field, Unresolved.AWAITS_ADDRESSED, stance_votes)
        unresolved = tuple(q.field for q in votes.queue)
        queue.extend(votes.queue)
        gold.append(
            GoldLabel(
                post_id=post_id,
                annotators=tuple(r.annotator for r in post_rows),
                labels=Labels(primary, tuple(secondary), tuple(targets), stances),
                status=LabelStatus.NEEDS_ADJUDICATION if unresolved else LabelStatus.RESOLVED,
                unresolved_fields=unresolved,
                adjudications=(),
                field_n_annotators=votes.counts,
                min_annotators=min_annotators,
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


def _lapsed(field: str, decided: Mapping[str, Decision]) -> bool:
    """A listed stance whose target an adjudicator decided is not addressed: nothing to decide."""
    kind, name = parse_field_id(field)
    addressed = decided.get(field_id(FieldKind.ADDRESSED, name))
    return kind is FieldKind.STANCE and addressed is not None and addressed.value == NO


def apply_adjudications(
    gold: Sequence[GoldLabel], decisions: Sequence[Decision], scheme: Scheme
) -> list[GoldLabel]:
    """Fill listed fields from adjudicators' decisions; a post whose every listed field is decided
    (or lapsed: a stance whose target was decided "no") is resolved.

    Refused, naming the decision's line: a post without a gold row, a value outside the scheme, a
    field that was not listed for adjudication (adjudication never overrides a majority), a second
    decision for one field, and a stance for a target decided as not addressed.
    """
    allowed = allowed_values(scheme)
    by_post = {row.post_id: row for row in gold}
    decided: dict[str, dict[str, tuple[int, Decision]]] = {}
    for number, decision in enumerate(decisions, start=1):
        post_id, field, value = decision.post_id, decision.field, decision.value
        where = f"adjudication {number}: {post_id} {field}"
        if post_id not in by_post:
            raise BadInputError(f"adjudication {number}: post_id {post_id!r} has no gold row")
        row = by_post[post_id]
        if field not in allowed or value not in allowed[field]:
            raise BadInputError(f"adjudication {number}: {field}={value!r} is not in the scheme")
        earlier = decided.setdefault(post_id, {}).get(field)
        if earlier is not None:
            raise BadInputError(f"{where} was already decided by adjudication {earlier[0]}")
        if field not in row.unresolved_fields:
            listed = ", ".join(row.unresolved_fields) or "none"
            raise BadInputError(
                f"{where} was not awaiting adjudication (listed for {post_id}: {listed})"
            )
        decided[post_id][field] = (number, decision)
    settled = []
    for post_id in sorted(by_post):
        row = by_post[post_id]
        mine = {f: d for f, (_, d) in decided.get(post_id, {}).items()}
        for field, (number, _) in decided.get(post_id, {}).items():
            if _lapsed(field, mine):
                raise BadInputError(
                    f"adjudication {number}: {post_id} {field}: a stance for a target that an "
                    f"adjudicator decided is not addressed ({field.replace('stance', 'addressed')}"
                    "=no)"
                )
        ordered = [d for _, d in sorted(decided.get(post_id, {}).values(), key=lambda nd: nd[0])]
        labels = row.labels
        for decision in ordered:
            labels = decide(labels, decision, scheme)
        unresolved = tuple(
            f for f in row.unresolved_fields if f not in mine and not _lapsed(f, mine)
        )
        settled.append(
            replace(
                row,
                labels=labels,
                unresolved_fields=unresolved,
                adjudications=(*row.adjudications, *(d.published() for d in ordered)),
                status=LabelStatus.NEEDS_ADJUDICATION if unresolved else LabelStatus.RESOLVED,
            )
        )
    return settled


def label_column_names() -> list[str]:
    """The release's gold-label columns, as declared in schema/post.schema.json (`label_*`)."""
    return [name for name in post_schema()["properties"] if name.startswith("label_")]


def post_label_columns(gold: GoldLabel | None, scheme: Scheme) -> dict[str, Any]:
    """One post's `label_*` release columns: every decided field, also while others await
    adjudication (a field awaiting it is null or left out of its list).

    label_stances lists {target, stance} for addressed targets in scheme order: a list, not one
    column per target, so appending a target to the scheme does not change the release schema.
    """
    if gold is None:
        status, n_annotators, version = LabelStatus.UNLABELED, 0, None
    else:
        status, n_annotators, version = gold.status, gold.n_annotators, gold.scheme_version
    decided = gold.labels if gold is not None else None
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

    label_status is 'resolved', 'needs_adjudication' or 'unlabeled'. A needs_adjudication post
    carries the fields its coders agreed on (and those already adjudicated); a field still awaiting
    adjudication is null or absent from its list, never a guess. Unlabeled posts carry nothing.
    """
    by_post: Mapping[str, GoldLabel] = {row.post_id: row for row in gold}
    cols: dict[str, list[Any]] = {name: [] for name in label_column_names()}
    for post_id in post_ids:
        for name, value in post_label_columns(by_post.get(post_id), scheme).items():
            cols[name].append(value)
    return cols
