"""The labeling data model only: frozen records for everything the labeling flow passes around.

Dicts exist only at the boundaries: a Label Studio export is parsed into `ExportTask` /
`ExportPrediction` once (`export.parse_export`, `export.parse_predictions`), a labels file into
`Annotation` / `GoldLabel` / `Decision` once (`files.read_records`), and each record has the one
`to_dict` that writes its file row. A malformed row raises `RowError`; the reader adds the file and
line. Label Studio's ids and timestamps are audit data (`AuditTrail`), never identity: a label row
is keyed by post_id and annotator pseudonym.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from statemedia.errors import BadInputError, StatemediaError
from statemedia.labeling.scheme import Scheme
from statemedia.vocab import LabelStatus

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

D = TypeVar("D", bound="DataclassInstance")
E = TypeVar("E", bound=StrEnum)
R = TypeVar("R")

YES, NO = "yes", "no"  # the values of the yes/no fields (addressed:<target>, topics_secondary:<t>)

# A Label Studio result list, kept verbatim for audit (problems.jsonl); parsed by export.parse_result.
RawResult = tuple[Mapping[str, Any], ...]


class RowError(ValueError):
    """A row of a labels file or of a Label Studio export that lacks a key or has a wrong type."""


class Origin(StrEnum):
    """Who made a label row: a person, or a model's pre-annotation (never published or counted)."""

    HUMAN = "human"
    MACHINE = "machine"


class FieldKind(StrEnum):
    """The kinds of field that agreement, gold and adjudication decide, one value each."""

    TOPIC_PRIMARY = "topic_primary"
    TOPICS_SECONDARY = "topics_secondary"  # per topic: yes / no
    ADDRESSED = "addressed"  # per target: yes / no
    STANCE = "stance"  # per target: a stance value


def field_id(kind: FieldKind, name: str | None = None) -> str:
    """The field's name in agreement.json, gold.jsonl and adjudication.jsonl: `stance:nato`."""
    return kind.value if name is None else f"{kind.value}:{name}"


def parse_field_id(field: str) -> tuple[FieldKind, str]:
    """(kind, topic or target name) of a field name; ValueError for an unknown kind."""
    kind, _, name = field.partition(":")
    return FieldKind(kind), name


class Unresolved(StrEnum):
    """Why a field has no majority value (adjudication.jsonl `reason`)."""

    TIE = "tie"  # the top value(s) have exactly half the votes
    NO_MAJORITY = "no_majority"  # a plurality below half: low agreement
    TOO_FEW_CODERS = "too_few_coders"  # a majority of fewer valid votes than the minimum
    # stance:<target> whose addressed:<target> is itself unresolved: decide it with the
    # addressed field when that is decided "yes"; it lapses when addressed is decided "no".
    AWAITS_ADDRESSED = "awaits_addressed"


# -- checked reads of one row's values ----------------------------------------------------------

# The JSON values a record field accepts, by its declared type: (types, null allowed). bool is an
# int in Python, but a JSON true is not an id or a count; an int is accepted as a float and kept
# as it is (a lead time of 30 stays 30 in the written row, as Label Studio sent it).
_JSON_TYPES: dict[str, tuple[tuple[type, ...], bool]] = {
    "str": ((str,), False),
    "int": ((int,), False),
    "str | None": ((str,), True),
    "int | None": ((int,), True),
    "float | None": ((int, float), True),
    "bool | None": ((bool,), True),
}


def _value(row: Mapping[str, Any], key: str, declared: str) -> Any:
    """`row[key]`, checked against a field type of `_JSON_TYPES` or a (raw) result or name list."""
    value = row.get(key)
    if declared == "tuple[str, ...]":
        if not isinstance(value or [], list) or not all(isinstance(v, str) for v in value or []):
            raise RowError(f"{key} must be a list of strings, got {value!r}")
        return tuple(value or ())
    if declared == "RawResult | None":
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(item, dict) for item in value)
        ):
            raise RowError(f"{key} must be a list of objects, got {value!r}")
        return None if value is None else tuple(value)
    kinds, optional = _JSON_TYPES[declared]
    if value is None and optional:
        return None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        expected = " or ".join(k.__name__ for k in kinds) + (" or null" if optional else "")
        raise RowError(f"{key} must be {expected}, got {value!r}")
    return value


def _read_fields(
    cls: type[D], row: Mapping[str, Any], columns: Mapping[str, str] | None = None, **given: Any
) -> D:
    """Record `cls` from `row`: each field not `given` is read from its column (renamed by
    `columns`) and checked against the field's declared type."""
    values = dict(given)
    for spec in fields(cls):
        if spec.name not in values:
            column = (columns or {}).get(spec.name, spec.name)
            values[spec.name] = _value(row, column, str(spec.type))
    return cls(**values)


def _member(enum: type[E], row: Mapping[str, Any], key: str, default: E | None = None) -> E:
    """`row[key]` as a member of a closed vocabulary."""
    value = row.get(key, default)
    try:
        return enum(value)
    except ValueError as err:
        names = [member.value for member in enum]
        raise RowError(f"{key} must be one of {names}, got {value!r}") from err


def _require(row: Mapping[str, Any], keys: tuple[str, ...], what: str) -> None:
    missing = [key for key in keys if key not in row]
    if missing:
        raise RowError(f"{what} lacks {missing}")


def parse_row(
    row: Any,
    parse: Callable[[dict[str, Any]], R],
    where: str,
    error: type[StatemediaError] = BadInputError,
) -> R:
    """`parse(row)` for one JSON object of a file or an export; a bad row raises `error` naming
    `where` ("annotations.jsonl:3") and what is wrong."""
    try:
        if not isinstance(row, dict):
            raise RowError("expected a JSON object")
        return parse(row)
    except RowError as err:
        raise error(f"{where}: {err}") from err


# -- labels -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stance:
    """The stance toward one target, in the long form the release publishes."""

    target: str
    stance: str

    def to_dict(self) -> dict[str, str]:
        """`{"target": ..., "stance": ...}`, as in `label_stances` and `stances` columns."""
        return {"target": self.target, "stance": self.stance}


@dataclass(frozen=True, slots=True)
class Labels:
    """The labels of one annotation, prediction or gold row, in scheme order.

    `stances` has one entry per stance column of the row (every scheme target, None where no stance
    was given), as the row's `stance_<target>` columns.
    """

    topic_primary: str | None
    topics_secondary: tuple[str, ...]
    targets: tuple[str, ...]
    stances: Mapping[str, str | None]

    def stance(self, target: str) -> str | None:
        """The stance toward `target`, or None."""
        return self.stances.get(target)

    def addressed(self, scheme: Scheme) -> tuple[Stance, ...]:
        """The stances toward the ticked targets that have one, in scheme order."""
        return tuple(
            Stance(target, stance)
            for target in scheme.target_names
            if target in self.targets and (stance := self.stances.get(target))
        )

    def to_columns(self) -> dict[str, Any]:
        """Label part of a row: primary, secondary, ticked targets, one stance column per target."""
        return {
            "topic_primary": self.topic_primary,
            "topics_secondary": list(self.topics_secondary),
            "targets": list(self.targets),
            **{Scheme.stance_tag(target): stance for target, stance in self.stances.items()},
        }

    @classmethod
    def from_columns(cls, row: Mapping[str, Any]) -> Labels:
        """The labels of a row written by `to_columns`."""
        stances: dict[str, str | None] = {}
        for key in row:
            target = Scheme.stance_target(key)
            if target is not None:
                stances[target] = _value(row, key, "str | None")
        return _read_fields(cls, row, stances=stances)


# -- annotation rows (annotations.jsonl, problems.jsonl, predictions.jsonl) ----------------------


@dataclass(frozen=True, slots=True)
class AuditTrail:
    """Where an annotation lives in Label Studio, and when it was made: audit data, not identity."""

    project_id: int | None
    task_id: int | None
    annotation_id: int | None
    created_at: str | None
    updated_at: str | None

    def to_columns(self) -> dict[str, Any]:
        """The `ls_*_id`, `created_at` and `updated_at` columns."""
        return {
            "ls_project_id": self.project_id,
            "ls_task_id": self.task_id,
            "ls_annotation_id": self.annotation_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_columns(cls, row: Mapping[str, Any]) -> AuditTrail:
        """The audit part of a row written by `to_columns` (absent columns are None)."""
        return _read_fields(cls, row, columns={f: f"ls_{f}" for f in _LS_ID_FIELDS})


_LS_ID_FIELDS = ("project_id", "task_id", "annotation_id")


# Keys an annotation row must have; the rest may be absent (hand-made or older files) and read None.
ANNOTATION_KEYS = ("post_id", "annotator", "topic_primary", "topics_secondary", "targets")


@dataclass(frozen=True, slots=True)
class Annotation:
    """One annotator's labels for one post: a line of annotations.jsonl (`annotate pull`)."""

    post_id: str
    annotator: str  # pseudonym, "annotator_01"
    origin: Origin
    labels: Labels
    lead_time: float | None  # seconds, as Label Studio recorded them
    prefilled_from_prediction: bool | None  # the annotator started from a machine pre-annotation
    scheme_version: str | None
    audit: AuditTrail

    def to_dict(self) -> dict[str, Any]:
        """The annotations.jsonl row."""
        return {
            "post_id": self.post_id,
            "annotator": self.annotator,
            **self.audit.to_columns(),
            "origin": self.origin.value,
            **self.labels.to_columns(),
            "lead_time": self.lead_time,
            "prefilled_from_prediction": self.prefilled_from_prediction,
            "scheme_version": self.scheme_version,
        }

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> Annotation:
        """Parse an annotations.jsonl row; RowError names what is missing or malformed."""
        _require(row, ANNOTATION_KEYS, "annotation row")
        origin = _member(Origin, row, "origin", default=Origin.HUMAN)
        return _read_fields(
            cls,
            row,
            origin=origin,
            labels=Labels.from_columns(row),
            audit=AuditTrail.from_columns(row),
        )

    def published_row(self, scheme: Scheme) -> dict[str, Any]:
        """The release's `annotations` row (schema/annotation.schema.json): stances in long form."""
        return {
            "post_id": self.post_id,
            "annotator": self.annotator,
            "topic_primary": self.labels.topic_primary,
            "topics_secondary": list(self.labels.topics_secondary),
            "lead_time": self.lead_time,
            "created_at": self.audit.created_at,
            "updated_at": self.audit.updated_at,
            "prefilled_from_prediction": self.prefilled_from_prediction,
            "scheme_version": self.scheme_version,
            "stances": [stance.to_dict() for stance in self.labels.addressed(scheme)],
        }


@dataclass(frozen=True, slots=True)
class Problem:
    """An annotation that was not kept, with its named reasons: a line of problems.jsonl."""

    post_id: str | None  # None when the task has no post_id
    annotator: str
    audit: AuditTrail
    reasons: tuple[str, ...]
    result: RawResult | None  # the Label Studio result, verbatim

    def to_dict(self) -> dict[str, Any]:
        """The problems.jsonl row."""
        return {
            "post_id": self.post_id,
            "annotator": self.annotator,
            **self.audit.to_columns(),
            "reasons": list(self.reasons),
            "result": None if self.result is None else list(self.result),
        }


@dataclass(frozen=True, slots=True)
class Prediction:
    """A machine pre-annotation as a row marked origin="machine": a line of predictions.jsonl."""

    post_id: str | None
    model_version: str | None
    score: float | None
    labels: Labels
    problems: tuple[str, ...]  # rule violations, kept (machine rows are never filtered or counted)
    ls_task_id: int | None
    ls_prediction_id: int | None
    created_at: str | None
    scheme_version: str

    def to_dict(self) -> dict[str, Any]:
        """The predictions.jsonl row."""
        return {
            "post_id": self.post_id,
            "origin": Origin.MACHINE.value,
            "model_version": self.model_version,
            "score": self.score,
            **self.labels.to_columns(),
            "problems": list(self.problems),
            "ls_task_id": self.ls_task_id,
            "ls_prediction_id": self.ls_prediction_id,
            "created_at": self.created_at,
            "scheme_version": self.scheme_version,
        }


# -- gold labels and adjudication (gold.jsonl, adjudication.jsonl, decisions) --------------------

GOLD_KEYS = (
    "post_id",
    "n_annotators",
    "annotators",
    "topic_primary",
    "topics_secondary",
    "targets",
    "status",
    "unresolved_fields",
    "adjudicated_fields",
    "adjudications",
    "field_n_annotators",
    "min_annotators",
    "aggregation",
    "scheme_version",
)


@dataclass(frozen=True, slots=True)
class Adjudication:
    """One adjudicated field of a gold row, as published: value, written reason, pseudonym."""

    field: str  # a field id, "addressed:nato"
    value: str
    reason: str  # the adjudicator's written reason
    adjudicator: str  # pseudonym, "adjudicator_01"

    def to_dict(self) -> dict[str, str]:
        """The `adjudications` item of a gold.jsonl row."""
        return asdict(self)

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> Adjudication:
        """Parse one `adjudications` item."""
        _require(row, ("field", "value", "reason", "adjudicator"), "adjudication")
        return _read_fields(cls, row)


@dataclass(frozen=True, slots=True)
class GoldLabel:
    """The aggregated labels of one post, with what is still undecided: a line of gold.jsonl."""

    post_id: str
    annotators: tuple[str, ...]  # pseudonyms, sorted
    labels: Labels  # only decided fields carry a value
    status: LabelStatus  # resolved | needs_adjudication (never unlabeled: that is "no row")
    unresolved_fields: tuple[str, ...]  # field ids awaiting an adjudicator's Decision
    adjudications: tuple[Adjudication, ...]  # fields an adjudicator decided, in decision order
    # field id -> how many valid coders voted on it (a field no coder chose is absent: all said no)
    field_n_annotators: Mapping[str, int]
    min_annotators: int  # the minimum of valid coders a majority needed (`--min-annotators`)
    aggregation: str  # the rule, "majority@1"
    scheme_version: str

    @property
    def n_annotators(self) -> int:
        """How many people's annotations were aggregated."""
        return len(self.annotators)

    @property
    def adjudicated_fields(self) -> tuple[str, ...]:
        """The field ids an adjudicator decided, in decision order."""
        return tuple(a.field for a in self.adjudications)

    def to_dict(self) -> dict[str, Any]:
        """The gold.jsonl row."""
        return {
            "post_id": self.post_id,
            "n_annotators": self.n_annotators,
            "annotators": list(self.annotators),
            **self.labels.to_columns(),
            "status": self.status.value,
            "unresolved_fields": list(self.unresolved_fields),
            "adjudicated_fields": list(self.adjudicated_fields),
            "adjudications": [a.to_dict() for a in self.adjudications],
            "field_n_annotators": dict(self.field_n_annotators),
            "min_annotators": self.min_annotators,
            "aggregation": self.aggregation,
            "scheme_version": self.scheme_version,
        }

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> GoldLabel:
        """Parse a gold.jsonl row; RowError names what is missing or malformed."""
        _require(row, GOLD_KEYS, "gold row")
        status = _member(LabelStatus, row, "status")
        if status is LabelStatus.UNLABELED:
            raise RowError("status 'unlabeled' is what a post without a gold row gets")
        items, counts = row["adjudications"], row["field_n_annotators"]
        if not isinstance(items, list) or not all(isinstance(a, dict) for a in items):
            raise RowError(f"adjudications must be a list of objects, got {items!r}")
        if not isinstance(counts, dict) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in counts.values()
        ):
            raise RowError(f"field_n_annotators must map field ids to counts, got {counts!r}")
        gold = _read_fields(
            cls,
            row,
            labels=Labels.from_columns(row),
            status=status,
            adjudications=tuple(Adjudication.from_dict(a) for a in items),
            field_n_annotators=dict(counts),
        )
        if row["n_annotators"] != gold.n_annotators:
            raise RowError(f"n_annotators is {row['n_annotators']!r} for {gold.n_annotators} names")
        if _value(row, "adjudicated_fields", "tuple[str, ...]") != gold.adjudicated_fields:
            raise RowError("adjudicated_fields must list the fields of adjudications, in order")
        return gold


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A field of a post without a majority: a line of adjudication.jsonl, for an adjudicator."""

    post_id: str
    field: str  # a field id, "stance:nato"
    reason: Unresolved
    by_annotator: Mapping[str, str]  # pseudonym -> value, sorted by pseudonym

    def to_dict(self) -> dict[str, Any]:
        """The adjudication.jsonl row, with the vote tally."""
        return {
            "post_id": self.post_id,
            "field": self.field,
            "reason": self.reason.value,
            "votes": dict(sorted(Counter(self.by_annotator.values()).items())),
            "by_annotator": dict(sorted(self.by_annotator.items())),
            "n_annotators": len(self.by_annotator),
        }


DECISION_KEYS = ("post_id", "field", "value", "reason", "adjudicator")


@dataclass(frozen=True, slots=True)
class Decision:
    """An adjudicator's value for one listed field: a line of the `--adjudicated` file.

    `adjudicator` is who decided, as the file gives it (an email or a name, private) until
    `annotate gold` replaces it with a pseudonym; `reason` is the written reason GUIDELINES §5
    requires. Both are published with the gold row.
    """

    post_id: str
    field: str
    value: str
    reason: str
    adjudicator: str

    def to_dict(self) -> dict[str, str]:
        """The decision row."""
        return asdict(self)

    def published(self) -> Adjudication:
        """What the gold row publishes of this decision (adjudicator as it now reads)."""
        return Adjudication(self.field, self.value, self.reason, self.adjudicator)

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> Decision:
        """Parse a decision row; a missing or blank reason or adjudicator is an error."""
        _require(row, DECISION_KEYS, "decision")
        decision = _read_fields(cls, row)
        for key in ("reason", "adjudicator"):
            if not getattr(decision, key).strip():
                raise RowError(
                    f"{key} must not be blank (GUIDELINES §5: a written reason, and who)"
                )
        return decision


# -- Label Studio's JSON, parsed once ------------------------------------------------------------


def completed_by_user(completed_by: Any) -> int | None:
    """The annotator's user id from `completed_by`: an id, or a user object in some exports."""
    value = completed_by.get("id") if isinstance(completed_by, dict) else completed_by
    user: int | None = _value({"completed_by": value}, "completed_by", "int | None")
    return user


@dataclass(frozen=True, slots=True)
class ExportAnnotation:
    """One annotation of a Label Studio JSON export, the fields this project reads."""

    id: int | None
    user_id: int | None  # `completed_by`
    project: int | None
    result: RawResult | None
    was_cancelled: bool  # the annotator skipped the task
    lead_time: float | None
    created_at: str | None
    updated_at: str | None
    from_prediction: bool  # started from a machine pre-annotation (`parent_prediction`)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ExportAnnotation:
        """Parse one annotation object of the export."""
        return _read_fields(
            cls,
            raw,
            user_id=completed_by_user(raw.get("completed_by")),
            was_cancelled=bool(raw.get("was_cancelled")),
            from_prediction=bool(raw.get("parent_prediction")),
        )


@dataclass(frozen=True, slots=True)
class ExportTask:
    """One task of a Label Studio JSON export: its post_id and its annotations."""

    id: int
    project: int | None
    post_id: str | None  # from the task data; None (or "") when the task is not one of ours
    annotations: tuple[ExportAnnotation, ...]

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ExportTask:
        """Parse one task object of the export: its id, data (with our post_id) and annotations."""
        _require(raw, ("id", "data", "annotations"), "task")
        data, annotations = raw["data"], raw["annotations"]
        if not isinstance(data, dict):
            raise RowError(f"data must be an object, got {data!r}")
        if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
            raise RowError("annotations must be a list of objects")
        post_id = data.get("post_id")
        return _read_fields(
            cls,
            raw,
            post_id=None if post_id is None else str(post_id),
            annotations=tuple(ExportAnnotation.from_dict(a) for a in annotations),
        )


@dataclass(frozen=True, slots=True)
class ExportPrediction:
    """One machine prediction as the predictions API returns it."""

    id: int | None
    task: int | None
    result: RawResult | None
    model_version: str | None
    score: float | None
    created_at: str | None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ExportPrediction:
        """Parse one prediction object."""
        return _read_fields(cls, raw)


# -- the private pseudonym map and Label Studio tasks ---------------------------------------------


@dataclass(frozen=True, slots=True)
class AnnotatorMap:
    """The private map (.labelstudio/annotators.json, never published): who is which pseudonym."""

    pseudonyms: Mapping[str, str]  # annotator key ("email:..." or "ls-user:N") -> "annotator_NN"
    ls_users: Mapping[str, str]  # Label Studio user id (as text) -> email
    # adjudicator key ("email:..." or "name:...") -> "adjudicator_NN", a series of its own
    adjudicators: Mapping[str, str] = field(default_factory=dict)

    def emails(self) -> dict[int, str]:
        """Label Studio user id -> email."""
        return {int(uid): email for uid, email in self.ls_users.items()}

    def to_dict(self) -> dict[str, Any]:
        """The annotators.json document (`adjudicators` only once there is one)."""
        doc: dict[str, Any] = {"pseudonyms": dict(self.pseudonyms), "ls_users": dict(self.ls_users)}
        if self.adjudicators:
            doc["adjudicators"] = dict(self.adjudicators)
        return doc

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> AnnotatorMap:
        """Parse annotators.json; absent parts are empty."""
        parts = []
        for key in ("pseudonyms", "ls_users", "adjudicators"):
            part = raw.get(key) or {}
            if not isinstance(part, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in part.items()
            ):
                raise RowError(f"{key} must map strings to strings")
            parts.append(part)
        return cls(pseudonyms=parts[0], ls_users=parts[1], adjudicators=parts[2])


ADJUDICATOR_PREFIX = "adjudicator_"


def adjudicator_key(who: str) -> str:
    """Stable private key for an adjudicator as a decisions file names them: email, else name."""
    who = who.strip()
    return f"email:{who.lower()}" if "@" in who else f"name:{who}"


def next_pseudonyms(
    keys: Iterable[str], existing: Mapping[str, str], prefix: str
) -> dict[str, str]:
    """Extend a private key -> '<prefix>NN' map with sequential pseudonyms for new keys."""
    mapping = dict(existing)
    used = [v[len(prefix) :] for v in mapping.values() if v.startswith(prefix)]
    next_number = max((int(n) for n in used if n.isdigit()), default=0) + 1
    for key in keys:
        if key not in mapping:
            mapping[key] = f"{prefix}{next_number:02d}"
            next_number += 1
    return mapping


@dataclass(frozen=True, slots=True)
class Task:
    """One release post as a Label Studio task: every variable the label config shows, as text.

    Label Studio renders "$var" for a missing key and rejects imports lacking a config variable, so
    every shown field is a string, possibly empty. post_id is the identity; the task id is audit.
    """

    post_id: str
    text: str
    title: str
    subtitle: str  # article standfirst, when the release has one
    source: str
    platform: str
    record_kind: str
    published_date: str  # YYYY-MM-DD or ""
    date_confidence: str
    url: str
    language: str
    source_file: str
    line_start: int | None
    line_end: int | None
    release: str
    split: str

    @property
    def source_line(self) -> str:
        """The header line naming source, platform, kind and date."""
        return (
            f"Source: {self.source or '?'} ({self.platform or '?'}, {self.record_kind or '?'}) "
            f"· Date: {self.published_date or 'unknown'} ({self.date_confidence})"
        )

    @property
    def provenance_line(self) -> str:
        """The header line naming the source file, its lines and the post_id."""
        return (
            f"Provenance: {self.source_file or '?'}, lines {self.line_start}-{self.line_end} · "
            f"post_id {self.post_id}"
        )

    def payload(self) -> dict[str, Any]:
        """The task as Label Studio imports it: `{"data": {...}}`."""
        data = asdict(self)
        data.update(source_line=self.source_line, provenance_line=self.provenance_line)
        return {"data": data}
