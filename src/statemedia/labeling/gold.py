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
from typing import Any

from statemedia.errors import BadInputError
from statemedia.labeling.scheme import STANCE_TAG_PREFIX, Scheme
from statemedia.vocab import post_schema

AGGREGATION = "majority@1"
TIE = "tie"
NO_MAJORITY = "no_majority"
RESOLVED = "resolved"
NEEDS_ADJUDICATION = "needs_adjudication"
UNLABELED = "unlabeled"


def majority(votes: Sequence[str]) -> tuple[str | None, str | None]:
    """(winner, None) if a value has over half the votes, else (None, 'tie' | 'no_majority')."""
    if not votes:
        return None, NO_MAJORITY
    ranked = Counter(votes).most_common()
    top_value, top_count = ranked[0]
    if 2 * top_count > len(votes):
        return top_value, None
    tied = len(ranked) > 1 and ranked[1][1] == top_count
    return None, TIE if tied or 2 * top_count == len(votes) else NO_MAJORITY


def _adjudication(post_id: str, field: str, reason: str, by_annotator: Mapping[str, str]) -> dict:
    return {
        "post_id": post_id,
        "field": field,
        "reason": reason,
        "votes": dict(sorted(Counter(by_annotator.values()).items())),
        "by_annotator": dict(sorted(by_annotator.items())),
        "n_annotators": len(by_annotator),
    }


def aggregate(
    rows: Sequence[Mapping[str, Any]], scheme: Scheme, min_annotators: int = 1
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Human annotation rows → (gold rows keyed by post_id, adjudication list). Posts coded by fewer
    than `min_annotators` people get no gold row."""
    by_post: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        if row.get("origin", "human") == "human":
            by_post.setdefault(str(row["post_id"]), []).append(row)

    gold: list[dict[str, Any]] = []
    queue: list[dict[str, Any]] = []
    for post_id in sorted(by_post):
        post_rows = sorted(by_post[post_id], key=lambda r: str(r["annotator"]))
        if len(post_rows) < min_annotators:
            continue
        n = len(post_rows)
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
                queue.append(_adjudication(post_id, field, reason, by_annotator))
            return winner

        primary = vote("topic_primary", {r["annotator"]: r["topic_primary"] for r in post_rows})
        secondary = []
        for topic in scheme.topic_names:
            picked = {
                r["annotator"]: "yes" if topic in (r.get("topics_secondary") or []) else "no"
                for r in post_rows
            }
            if "yes" in picked.values() and vote(f"topics_secondary:{topic}", picked) == "yes":
                secondary.append(topic)
        targets: list[str] = []
        stances: dict[str, str | None] = {}
        for target in scheme.target_names:
            ticked = {
                r["annotator"]: "yes" if target in (r.get("targets") or []) else "no"
                for r in post_rows
            }
            addressed = vote(f"addressed:{target}", ticked) if "yes" in ticked.values() else "no"
            stances[target] = None
            if addressed == "yes":
                targets.append(target)
                stance_votes = {
                    r["annotator"]: r[f"{STANCE_TAG_PREFIX}{target}"]
                    for r in post_rows
                    if target in (r.get("targets") or []) and r.get(f"{STANCE_TAG_PREFIX}{target}")
                }
                stances[target] = vote(f"stance:{target}", stance_votes)
        gold.append(
            {
                "post_id": post_id,
                "n_annotators": n,
                "annotators": [r["annotator"] for r in post_rows],
                "topic_primary": primary,
                "topics_secondary": secondary,
                "targets": targets,
                **{f"{STANCE_TAG_PREFIX}{t}": stances[t] for t in scheme.target_names},
                "status": NEEDS_ADJUDICATION if unresolved else RESOLVED,
                "unresolved_fields": unresolved,
                "adjudicated_fields": [],
                "aggregation": AGGREGATION,
                "scheme_version": scheme.version,
            }
        )
    return gold, queue


def apply_adjudications(
    gold: Sequence[Mapping[str, Any]], decisions: Sequence[Mapping[str, Any]], scheme: Scheme
) -> list[dict[str, Any]]:
    """Fill unresolved fields from adjudicators' decisions (rows: post_id, field, value).

    A decision for a field that was not unresolved is an error: adjudication never overrides a
    majority.
    """
    allowed = {"topic_primary": set(scheme.topic_names)}
    for topic in scheme.topic_names:
        allowed[f"topics_secondary:{topic}"] = {"yes", "no"}
    for target in scheme.target_names:
        allowed[f"addressed:{target}"] = {"yes", "no"}
        allowed[f"stance:{target}"] = set(scheme.stance_names)
    by_post = {row["post_id"]: dict(row) for row in gold}
    for number, decision in enumerate(decisions, start=1):
        post_id, field, value = (
            decision.get("post_id"),
            decision.get("field"),
            decision.get("value"),
        )
        if post_id not in by_post:
            raise BadInputError(f"adjudication {number}: post_id {post_id!r} has no gold row")
        row = by_post[post_id]
        if field not in allowed or value not in allowed[field]:
            raise BadInputError(f"adjudication {number}: {field}={value!r} is not in the scheme")
        if field not in row["unresolved_fields"]:
            raise BadInputError(
                f"adjudication {number}: {post_id} {field} was not awaiting adjudication"
            )
        kind, _, name = field.partition(":")
        if kind == "topic_primary":
            row["topic_primary"] = value
        elif kind == "topics_secondary" and value == "yes":
            row["topics_secondary"] = [
                t for t in scheme.topic_names if t in {*row["topics_secondary"], name}
            ]
        elif kind == "addressed" and value == "yes":
            row["targets"] = [t for t in scheme.target_names if t in {*row["targets"], name}]
        elif kind == "stance":
            row[f"{STANCE_TAG_PREFIX}{name}"] = value
        row["unresolved_fields"] = [f for f in row["unresolved_fields"] if f != field]
        row["adjudicated_fields"] = [*row["adjudicated_fields"], field]
    for row in by_post.values():
        # A target adjudicated as addressed still needs a stance before the row is resolved.
        for target in row["targets"]:
            stance_field = f"stance:{target}"
            if (
                row.get(f"{STANCE_TAG_PREFIX}{target}") is None
                and stance_field not in row["unresolved_fields"]
            ):
                row["unresolved_fields"] = [*row["unresolved_fields"], stance_field]
        row["status"] = NEEDS_ADJUDICATION if row["unresolved_fields"] else RESOLVED
    return [by_post[k] for k in sorted(by_post)]


def label_column_names() -> list[str]:
    """The release's gold-label columns, as declared in schema/post.schema.json (`label_*`)."""
    return [name for name in post_schema()["properties"] if name.startswith("label_")]


def gold_columns(
    gold: Sequence[Mapping[str, Any]], post_ids: Sequence[str], scheme: Scheme
) -> dict[str, list[Any]]:
    """Gold labels as release columns aligned with `post_ids` (the `label_*` row-schema columns).

    label_status is 'resolved', 'needs_adjudication' or 'unlabeled'; only resolved posts carry label
    values (others get null / empty lists), so no half-decided label reaches a release.
    label_stances lists {target, stance} for addressed targets in scheme order: a list, not one
    column per target, so appending a target to the scheme does not change the release schema.
    """
    by_post = {str(row["post_id"]): row for row in gold}
    cols: dict[str, list[Any]] = {name: [] for name in label_column_names()}
    for post_id in post_ids:
        row = by_post.get(str(post_id))
        status = row["status"] if row else UNLABELED
        cols["label_status"].append(status)
        cols["label_n_annotators"].append(int(row["n_annotators"]) if row else 0)
        resolved = status == RESOLVED
        cols["label_topic_primary"].append(row["topic_primary"] if resolved else None)
        cols["label_topics_secondary"].append(list(row["topics_secondary"]) if resolved else [])
        cols["label_stances"].append(
            [
                {"target": t, "stance": row[f"{STANCE_TAG_PREFIX}{t}"]}
                for t in scheme.target_names
                if t in row["targets"]
            ]
            if resolved
            else []
        )
        cols["label_scheme_version"].append(row["scheme_version"] if row else None)
    return cols
