"""Label Studio JSON export → tidy annotation rows (pure).

One row per (post, human annotation), keyed by post_id, with the annotator as a pseudonym. Every
annotation is checked against the scheme; one that breaks a rule goes to the problems list with
named reasons and is not kept. Machine predictions become separate rows marked origin="machine".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from statemedia.errors import BadInputError
from statemedia.labeling.scheme import (
    PRIMARY_TAG,
    SECONDARY_TAG,
    STANCE_TAG_PREFIX,
    TARGETS_TAG,
    Scheme,
)

# Named reasons an annotation is not kept (counted in the pull summary, listed in problems.jsonl).
MISSING_PRIMARY = "missing_primary_topic"
MULTIPLE_PRIMARY = "multiple_primary_topics"
PRIMARY_IN_SECONDARY = "primary_repeated_in_secondary"
UNKNOWN_LABEL = "unknown_label"
UNKNOWN_FIELD = "unknown_field"
STANCE_UNTICKED = "stance_for_unticked_target"
TICKED_NO_STANCE = "ticked_target_without_stance"
MULTIPLE_STANCES = "multiple_stances_for_target"
SKIPPED = "skipped_by_annotator"
NO_POST_ID = "task_without_post_id"
SUPERSEDED = "superseded_by_later_annotation"

PSEUDONYM_PREFIX = "annotator_"


@dataclass(frozen=True, slots=True)
class Labels:
    """The labels of one annotation or prediction, parsed from its Label Studio result."""

    topic_primary: str | None
    topics_secondary: tuple[str, ...]
    targets: tuple[str, ...]
    stances: dict[str, str] = field(default_factory=dict)


def parse_export(raw: bytes | str, source: str = "export") -> list[dict[str, Any]]:
    """Parse a Label Studio JSON export; raise BadInputError if it is not a list of tasks."""
    try:
        tasks = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BadInputError(f"{source}: not a valid Label Studio JSON export ({err})") from err
    if not isinstance(tasks, list):
        raise BadInputError(f"{source}: expected a JSON list of tasks, got {type(tasks).__name__}")
    for index, task in enumerate(tasks):
        if not isinstance(task, dict) or not {"id", "data", "annotations"} <= task.keys():
            raise BadInputError(
                f"{source}: item {index} is not a task (needs 'id', 'data', 'annotations')"
            )
        if not isinstance(task["annotations"], list) or not isinstance(task["data"], dict):
            raise BadInputError(f"{source}: task {task['id']} has malformed data or annotations")
    return tasks


def parse_result(result: Sequence[Mapping[str, Any]], scheme: Scheme) -> tuple[Labels, list[str]]:
    """Parse a result list into Labels plus the named rule violations found (empty = valid)."""
    problems: list[str] = []
    values: dict[str, list[str]] = {}
    stance_tags = {scheme.stance_tag(t): t for t in scheme.target_names}
    known = {PRIMARY_TAG, SECONDARY_TAG, TARGETS_TAG, *stance_tags}
    for item in result or []:
        name = item.get("from_name")
        if item.get("type") != "choices" or name not in known:
            problems.append(f"{UNKNOWN_FIELD}:{name}")
            continue
        choices = (item.get("value") or {}).get("choices") or []
        values.setdefault(name, []).extend(str(c) for c in choices)

    def allowed(tag: str, names: Sequence[str]) -> list[str]:
        kept = []
        for value in values.get(tag, []):
            if value in names:
                kept.append(value)
            else:
                problems.append(f"{UNKNOWN_LABEL}:{tag}={value}")
        return kept

    primary = allowed(PRIMARY_TAG, scheme.topic_names)
    secondary = allowed(SECONDARY_TAG, scheme.topic_names)
    targets = allowed(TARGETS_TAG, scheme.target_names)
    stances: dict[str, str] = {}
    for tag, target in stance_tags.items():
        chosen = allowed(tag, scheme.stance_names)
        if len(set(chosen)) > 1:
            problems.append(f"{MULTIPLE_STANCES}:{target}")
        if chosen:
            stances[target] = chosen[0]

    if not primary and not any(p.startswith(f"{UNKNOWN_LABEL}:{PRIMARY_TAG}") for p in problems):
        problems.append(MISSING_PRIMARY)
    if len(set(primary)) > 1:
        problems.append(MULTIPLE_PRIMARY)
    if primary and primary[0] in secondary:
        problems.append(PRIMARY_IN_SECONDARY)
    for target in scheme.target_names:
        if target in stances and target not in targets:
            problems.append(f"{STANCE_UNTICKED}:{target}")
        if target in targets and target not in stances:
            problems.append(f"{TICKED_NO_STANCE}:{target}")

    # Lists in scheme order, whatever order the UI produced: rows compare equal across tools.
    labels = Labels(
        topic_primary=primary[0] if primary else None,
        topics_secondary=tuple(t for t in scheme.topic_names if t in secondary),
        targets=tuple(t for t in scheme.target_names if t in targets),
        stances={t: stances[t] for t in scheme.target_names if t in stances},
    )
    return labels, problems


def label_columns(labels: Labels, scheme: Scheme) -> dict[str, Any]:
    """Label part of a row: primary, secondary, addressed targets, one stance column per target."""
    cols: dict[str, Any] = {
        "topic_primary": labels.topic_primary,
        "topics_secondary": list(labels.topics_secondary),
        "targets": list(labels.targets),
    }
    for target in scheme.target_names:
        cols[f"{STANCE_TAG_PREFIX}{target}"] = labels.stances.get(target)
    return cols


def assign_pseudonyms(keys: Iterable[str], existing: Mapping[str, str]) -> dict[str, str]:
    """Extend a private key → 'annotator_NN' map with sequential pseudonyms for new keys."""
    mapping = dict(existing)
    used = {
        int(v[len(PSEUDONYM_PREFIX) :])
        for v in mapping.values()
        if v.startswith(PSEUDONYM_PREFIX) and v[len(PSEUDONYM_PREFIX) :].isdigit()
    }
    next_number = max(used, default=0) + 1
    for key in keys:
        if key not in mapping:
            mapping[key] = f"{PSEUDONYM_PREFIX}{next_number:02d}"
            next_number += 1
    return mapping


def annotator_key(user_id: Any, emails: Mapping[int, str]) -> str:
    """Stable private key for an annotator: their Label Studio email, else the numeric user id."""
    if isinstance(user_id, dict):  # some exports expand completed_by into a user object
        user_id = user_id.get("id")
    email = emails.get(int(user_id)) if user_id is not None else None
    return f"email:{email.lower()}" if email else f"ls-user:{user_id}"


@dataclass(slots=True)
class PullResult:
    """Rows made from one export: kept human rows, problem records and machine rows."""

    annotations: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    predictions: list[dict[str, Any]]
    counts: dict[str, int]


def _user_id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def convert_export(
    tasks: Sequence[Mapping[str, Any]],
    scheme: Scheme,
    pseudonyms: Mapping[str, str],
    emails: Mapping[int, str] | None = None,
    predictions: Sequence[Mapping[str, Any]] = (),
) -> PullResult:
    """Turn parsed export tasks (and raw predictions) into tidy rows, problems and machine rows.

    `pseudonyms` must already cover every annotator key (see `assign_pseudonyms`).
    """
    emails = emails or {}
    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    counts = {"tasks": len(tasks), "annotations_seen": 0, "kept": 0, "problems": 0}
    post_by_task: dict[int, str | None] = {}
    candidates: list[tuple[dict[str, Any], Mapping[str, Any]]] = []

    for task in tasks:
        post_id = task["data"].get("post_id")
        post_by_task[int(task["id"])] = post_id
        for ann in task["annotations"]:
            counts["annotations_seen"] += 1
            annotator = pseudonyms[annotator_key(_user_id(ann.get("completed_by")), emails)]
            audit = {
                "post_id": post_id,
                "annotator": annotator,
                "ls_project_id": task.get("project") or ann.get("project"),
                "ls_task_id": task["id"],
                "ls_annotation_id": ann.get("id"),
                "created_at": ann.get("created_at"),
                "updated_at": ann.get("updated_at"),
            }
            labels, reasons = parse_result(ann.get("result") or [], scheme)
            if ann.get("was_cancelled"):
                reasons = [SKIPPED]
            if not post_id:
                reasons = [NO_POST_ID, *reasons]
            if reasons:
                problems.append({**audit, "reasons": reasons, "result": ann.get("result")})
                continue
            row = {
                **audit,
                "origin": "human",
                **label_columns(labels, scheme),
                "lead_time": ann.get("lead_time"),
                # Accepted pre-annotations are still human decisions, but flagged for audit.
                "prefilled_from_prediction": bool(ann.get("parent_prediction")),
                "scheme_version": scheme.version,
            }
            candidates.append((row, ann))

    # One annotator, one vote per post: keep the latest annotation, report the earlier ones.
    latest: dict[tuple[str, str], tuple[dict[str, Any], Mapping[str, Any]]] = {}
    for row, ann in candidates:
        key = (row["post_id"], row["annotator"])
        if key in latest:
            older, newer = sorted(
                (latest[key], (row, ann)),
                key=lambda pair: (str(pair[0]["updated_at"]), pair[0]["ls_annotation_id"] or 0),
            )
            problems.append(
                {
                    **{k: older[0][k] for k in _AUDIT_KEYS},
                    "reasons": [SUPERSEDED],
                    "result": older[1].get("result"),
                }
            )
            latest[key] = newer
        else:
            latest[key] = (row, ann)
    rows = [pair[0] for pair in latest.values()]
    rows.sort(key=lambda r: (str(r["post_id"]), r["annotator"], r["ls_annotation_id"] or 0))
    problems.sort(key=lambda p: (str(p["post_id"]), p["ls_annotation_id"] or 0))
    counts["kept"] = len(rows)
    counts["problems"] = len(problems)
    for problem in problems:
        for reason in problem["reasons"]:
            name = f"problem:{reason.split(':')[0]}"
            counts[name] = counts.get(name, 0) + 1

    machine = prediction_rows(predictions, post_by_task, scheme)
    counts["predictions"] = len(machine)
    return PullResult(annotations=rows, problems=problems, predictions=machine, counts=counts)


_AUDIT_KEYS = (
    "post_id",
    "annotator",
    "ls_project_id",
    "ls_task_id",
    "ls_annotation_id",
    "created_at",
    "updated_at",
)


def prediction_rows(
    predictions: Sequence[Mapping[str, Any]],
    post_by_task: Mapping[int, str | None],
    scheme: Scheme,
) -> list[dict[str, Any]]:
    """Machine pre-annotations as rows marked origin='machine'; never mixed with human rows."""
    rows = []
    for pred in predictions:
        task_id = pred.get("task")
        labels, reasons = parse_result(pred.get("result") or [], scheme)
        rows.append(
            {
                "post_id": post_by_task.get(int(task_id)) if task_id is not None else None,
                "origin": "machine",
                "model_version": pred.get("model_version"),
                "score": pred.get("score"),
                **label_columns(labels, scheme),
                "problems": reasons,
                "ls_task_id": task_id,
                "ls_prediction_id": pred.get("id"),
                "created_at": pred.get("created_at"),
                "scheme_version": scheme.version,
            }
        )
    rows.sort(key=lambda r: (str(r["post_id"]), r["ls_prediction_id"] or 0))
    return rows
