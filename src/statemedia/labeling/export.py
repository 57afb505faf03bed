from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from statemedia.errors import BadInputError
from statemedia.labeling.records import (
    Annotation,
    AuditTrail,
    ExportAnnotation,
    ExportPrediction,
    ExportTask,
    Labels,
    Origin,
    Prediction,
    Problem,
    next_pseudonyms,
    parse_row,
)
from statemedia.labeling.scheme import PRIMARY_TAG, SECONDARY_TAG, TARGETS_TAG, Scheme

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

R = TypeVar("R")


def parse_export(raw: bytes | str, source: str = "export") -> list[ExportTask]:
    """Parse a Label Studio JSON export; raise BadInputError if it is not a list of tasks."""
    try:
        tasks = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BadInputError(f"{source}: not a valid Label Studio JSON export ({err})") from err
    return _parse_list(tasks, ExportTask.from_dict, source, "tasks")


def parse_predictions(raw: Any, source: str = "predictions") -> list[ExportPrediction]:
    """Parse the predictions API's answer (a list of prediction objects) into records."""
    return _parse_list(raw, ExportPrediction.from_dict, source, "predictions")


def _parse_list(
    items: Any, parse: Callable[[dict[str, Any]], R], source: str, what: str
) -> list[R]:
    if not isinstance(items, list):
        raise BadInputError(f"{source}: expected a JSON list of {what}, got {type(items).__name__}")
    return [parse_row(item, parse, f"{source}: item {index}") for index, item in enumerate(items)]


def parse_result(
    result: Sequence[Mapping[str, Any]] | None, scheme: Scheme
) -> tuple[Labels, list[str]]:
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
        stances={t: stances.get(t) for t in scheme.target_names},  # one column per target
    )
    return labels, problems


def assign_pseudonyms(keys: Iterable[str], existing: Mapping[str, str]) -> dict[str, str]:
    """Extend a private key → 'annotator_NN' map with sequential pseudonyms for new keys."""
    return next_pseudonyms(keys, existing, PSEUDONYM_PREFIX)


def annotator_key(user_id: int | None, emails: Mapping[int, str]) -> str:
    """Stable private key for an annotator: their Label Studio email, else the numeric user id."""
    email = emails.get(user_id) if user_id is not None else None
    return f"email:{email.lower()}" if email else f"ls-user:{user_id}"


def annotator_keys(tasks: Sequence[ExportTask], emails: Mapping[int, str]) -> list[str]:
    """The private key of every annotator of an export, by user id (unattributed ones last)."""
    user_ids = {ann.user_id for task in tasks for ann in task.annotations}
    keys = [annotator_key(uid, emails) for uid in sorted(u for u in user_ids if u is not None)]
    if None in user_ids:
        keys.append(annotator_key(None, emails))
    return keys


@dataclass(frozen=True, slots=True)
class PullResult:
    """Rows made from one export: kept human rows, problem records and machine rows."""

    annotations: list[Annotation]
    problems: list[Problem]
    predictions: list[Prediction]
    counts: dict[str, int]


def convert_export(
    tasks: Sequence[ExportTask],
    scheme: Scheme,
    pseudonyms: Mapping[str, str],
    emails: Mapping[int, str] | None = None,
    predictions: Sequence[ExportPrediction] = (),
) -> PullResult:
    """Turn parsed export tasks (and predictions) into tidy rows, problems and machine rows.

    `pseudonyms` must already cover every annotator key (see `annotator_keys`, `assign_pseudonyms`).
    """
    emails = emails or {}
    problems: list[Problem] = []
    counts = {"tasks": len(tasks), "annotations_seen": 0, "kept": 0, "problems": 0}
    post_by_task: dict[int, str | None] = {}
    candidates: list[tuple[Annotation, ExportAnnotation]] = []

    for task in tasks:
        post_by_task[task.id] = task.post_id
        for ann in task.annotations:
            counts["annotations_seen"] += 1
            annotator = pseudonyms[annotator_key(ann.user_id, emails)]
            audit = AuditTrail(
                project_id=task.project or ann.project,
                task_id=task.id,
                annotation_id=ann.id,
                created_at=ann.created_at,
                updated_at=ann.updated_at,
            )
            labels, reasons = parse_result(ann.result, scheme)
            if ann.was_cancelled:
                reasons = [SKIPPED]
            if not task.post_id:
                reasons = [NO_POST_ID, *reasons]
            if reasons or not task.post_id:
                problems.append(Problem(task.post_id, annotator, audit, tuple(reasons), ann.result))
                continue
            row = Annotation(
                post_id=task.post_id,
                annotator=annotator,
                origin=Origin.HUMAN,
                labels=labels,
                lead_time=ann.lead_time,
                # Accepted pre-annotations are still human decisions, but flagged for audit.
                prefilled_from_prediction=ann.from_prediction,
                scheme_version=scheme.version,
                audit=audit,
            )
            candidates.append((row, ann))

    # One annotator, one vote per post: keep the latest annotation, report the earlier ones.
    latest: dict[tuple[str, str], tuple[Annotation, ExportAnnotation]] = {}
    for row, ann in candidates:
        key = (row.post_id, row.annotator)
        if key in latest:
            older, newer = sorted(
                (latest[key], (row, ann)),
                key=lambda pair: (str(pair[0].audit.updated_at), pair[0].audit.annotation_id or 0),
            )
            superseded, raw = older
            problems.append(
                Problem(
                    superseded.post_id,
                    superseded.annotator,
                    superseded.audit,
                    (SUPERSEDED,),
                    raw.result,
                )
            )
            latest[key] = newer
        else:
            latest[key] = (row, ann)
    rows = sorted((pair[0] for pair in latest.values()), key=_row_order)
    problems.sort(key=_problem_order)
    counts["kept"] = len(rows)
    counts["problems"] = len(problems)
    for problem in problems:
        for reason in problem.reasons:
            name = f"problem:{reason.split(':')[0]}"
            counts[name] = counts.get(name, 0) + 1

    machine = prediction_rows(predictions, post_by_task, scheme)
    counts["predictions"] = len(machine)
    return PullResult(annotations=rows, problems=problems, predictions=machine, counts=counts)


def prediction_rows(
    predictions: Sequence[ExportPrediction],
    post_by_task: Mapping[int, str | None],
    scheme: Scheme,
) -> list[Prediction]:
    """Machine pre-annotations as rows marked origin='machine'; never mixed with human rows."""
    rows = []
    for pred in predictions:
        labels, reasons = parse_result(pred.result, scheme)
        rows.append(
            Prediction(
                post_id=post_by_task.get(pred.task) if pred.task is not None else None,
                model_version=pred.model_version,
                score=pred.score,
                labels=labels,
                problems=tuple(reasons),
                ls_task_id=pred.task,
                ls_prediction_id=pred.id,
                created_at=pred.created_at,
                scheme_version=scheme.version,
            )
        )
    rows.sort(key=_prediction_order)
    return rows


def _row_order(row: Annotation) -> tuple[str, str, int]:
    return (row.post_id, row.annotator, row.audit.annotation_id or 0)


def _problem_order(problem: Problem) -> tuple[str, int, str]:
    # the annotator last: in blind coding, annotation ids repeat across the coders' servers
    return (str(problem.post_id), problem.audit.annotation_id or 0, problem.annotator)


def _prediction_order(row: Prediction) -> tuple[str, int]:
    return (str(row.post_id), row.ls_prediction_id or 0)


def merge_results(results: Sequence[PullResult]) -> PullResult:
    """One result from several exports (blind coding: one project per coder, each converted with
    its coder's pseudonym), ordered as `convert_export` orders one; counts are summed."""
    counts: dict[str, int] = {}
    for result in results:
        for name, value in result.counts.items():
            counts[name] = counts.get(name, 0) + value
    return PullResult(
        annotations=sorted((r for res in results for r in res.annotations), key=_row_order),
        problems=sorted((p for res in results for p in res.problems), key=_problem_order),
        predictions=sorted((p for res in results for p in res.predictions), key=_prediction_order),
        counts=counts,
    )


def foreign_annotators(tasks: Sequence[ExportTask], user_id: int) -> list[int | None]:
    """Users other than `user_id` with annotations in an export (a coder's own server must have
    none: anyone else there means the coding was not blind)."""
    found = {ann.user_id for task in tasks for ann in task.annotations if ann.user_id != user_id}
    return sorted(found, key=lambda uid: -1 if uid is None else uid)
