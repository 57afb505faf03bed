"""Labeling folders written whole: a pull's `--out` folder and the publication in `labels_dir`.

`annotate pull` writes its outputs into a staging folder beside `--out` and renames it into place.
It refuses a non-empty `--out` unless told to replace it, and then replaces the folder as a whole,
so no `gold.jsonl` or `agreement.*` of an earlier pull survives next to the new rows.

`annotate publish --in <pull folder>` copies the pull's results (annotations, gold, adjudication
queue if any, agreement table and JSON) into `[build] labels_dir`, where the next release reads
them, with `publication.json` recording where they came from:

    {"format": "statemedia-labels-publication@1",
     "pull": {"pulled_at": ..., "export_sha256": ..., "scheme_version": ..., "pull_json_sha256": ...},
     "files": {"annotations.jsonl": "<sha256>", ...}}

It holds no wall-clock time of its own: the time that orders publications is the pull's
`pulled_at` (pull.json, when the export was read), so publishing the same pull folder twice gives
the same bytes. "Newer" means a later `pulled_at`. A publication is replaced only by a newer pull,
or by the same pull again (same `pulled_at` and export sha256, e.g. after adjudication recomputed
gold.jsonl); anything else is an `OverwriteError`. The folder is staged beside `labels_dir` and
renamed in, so readers see the old publication or the whole new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from statemedia.errors import BadInputError, OverwriteError
from statemedia.fileio import read_json
from statemedia.labeling.files import (
    ADJUDICATION_FILE,
    AGREEMENT_FILE,
    AGREEMENT_TABLE_FILE,
    ANNOTATIONS_FILE,
    ASSIGNMENT_FILE,
    CODER_EXPORT,
    EXPORT_FILE,
    GOLD_FILE,
    PREDICTIONS_FILE,
    PREDICTIONS_RAW_FILE,
    PROBLEMS_FILE,
    PUBLICATION_FILE,
    PULL_FILE,
    dumps_json,
    read_records,
)
from statemedia.labeling.records import Annotation, GoldLabel
from statemedia.release.lock import dataset_lock
from statemedia.release.staging import staged, swap_folder

FORMAT = "statemedia-labels-publication@1"
PULL_OUTPUTS = (
    EXPORT_FILE,
    ASSIGNMENT_FILE,
    PREDICTIONS_RAW_FILE,
    ANNOTATIONS_FILE,
    PROBLEMS_FILE,
    PREDICTIONS_FILE,
    PULL_FILE,
)
# What `annotate agreement` and `annotate gold` add to a pull folder.
DERIVED_OUTPUTS = (AGREEMENT_FILE, AGREEMENT_TABLE_FILE, GOLD_FILE, ADJUDICATION_FILE)
# What a publication copies (the raw export stays in the pull folder: it names the coders).
PUBLISHED_REQUIRED = (ANNOTATIONS_FILE, GOLD_FILE, AGREEMENT_FILE, AGREEMENT_TABLE_FILE)
PUBLISHED_OPTIONAL = (ADJUDICATION_FILE, ASSIGNMENT_FILE)
_MAKES = {
    ANNOTATIONS_FILE: "annotate pull --out",
    GOLD_FILE: "annotate gold --in",
    AGREEMENT_FILE: "annotate agreement --in",
    AGREEMENT_TABLE_FILE: "annotate agreement --in",
}


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def check_pull_out(out: Path, replace: bool) -> None:
    """Refuse a `--out` that is a file or a non-empty folder (unless `replace`), and with
    `replace` one holding anything no `annotate` command writes there."""
    if not out.exists():
        return
    if not out.is_dir():
        raise OverwriteError(f"{out}: exists and is not a folder; choose a new --out folder")
    present = sorted(path.name for path in out.iterdir())
    if not present:
        return
    if not replace:
        raise OverwriteError(
            f"{out}: not empty ({_listing(present)}); choose a new --out folder, or pass "
            "--replace to replace it as a whole (its gold, agreement and adjudication files "
            "are removed with it)"
        )
    ours = set(PULL_OUTPUTS) | set(DERIVED_OUTPUTS)
    foreign = [
        name
        for name in present
        if not (name in ours or CODER_EXPORT.fullmatch(name)) or not (out / name).is_file()
    ]
    if foreign:
        raise OverwriteError(
            f"{out}: holds {_listing(foreign)}, which no `annotate` command writes there; "
            "--replace would remove it: move it out of the folder first"
        )


def write_folder(out: Path, outputs: Mapping[str, str | bytes]) -> None:
    """Write `outputs` (file name -> content) as the whole folder `out`, staged then renamed in."""
    with staged(out.parent, out.name) as folder:
        for name, data in outputs.items():
            payload = data.encode("utf-8") if isinstance(data, str) else data
            (folder / name).write_bytes(payload)
        swap_folder(folder, out)


@dataclass(frozen=True, slots=True)
class Publication:
    """What `publication.json` says: the pull a publication came from and its files' sha256."""

    pulled_at: str  # pull.json `pulled_at`, ISO 8601 with a UTC offset
    export_sha256: str
    scheme_version: str
    pull_json_sha256: str
    files: dict[str, str]  # published file name -> sha256 of its bytes

    def pulled(self) -> datetime:
        """`pulled_at` as an aware datetime."""
        return datetime.fromisoformat(self.pulled_at)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of publication.json."""
        return {
            "format": FORMAT,
            "pull": {
                "pulled_at": self.pulled_at,
                "export_sha256": self.export_sha256,
                "scheme_version": self.scheme_version,
                "pull_json_sha256": self.pull_json_sha256,
            },
            "files": dict(sorted(self.files.items())),
        }

    @classmethod
    def from_dict(cls, data: Any, where: str) -> Publication:
        """Parse publication.json; BadInputError names the file."""
        try:
            pull, files = data["pull"], data["files"]
            if data["format"] != FORMAT:
                raise ValueError(f"format {data['format']!r}, expected {FORMAT!r}")
            publication = cls(
                pulled_at=_pull_time(pull["pulled_at"], where),
                export_sha256=str(pull["export_sha256"]),
                scheme_version=str(pull["scheme_version"]),
                pull_json_sha256=str(pull["pull_json_sha256"]),
                files={str(k): str(v) for k, v in dict(files).items()},
            )
        except (KeyError, TypeError, ValueError) as err:
            raise BadInputError(f"{where}: not a publication record ({err})") from err
        return publication


def _pull_time(value: Any, where: str) -> str:
    """`value` if it is an ISO 8601 time with a UTC offset; BadInputError otherwise."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise BadInputError(
            f"{where}: pulled_at must be an ISO 8601 time with offset, got {value!r}"
        )
    return str(value)


def read_publication(labels_dir: Path) -> Publication | None:
    """The publication in `labels_dir`, None when there is none; refuse a folder of labels that
    `annotate publish` did not write, or one holding other files (a publication replaces it)."""
    if not labels_dir.exists():
        return None
    if not labels_dir.is_dir():
        raise OverwriteError(f"{labels_dir}: exists and is not a folder; move it away")
    present = sorted(path.name for path in labels_dir.iterdir())
    if not present:
        return None
    record = labels_dir / PUBLICATION_FILE
    if not record.is_file():
        raise OverwriteError(
            f"{labels_dir}: holds {_listing(present)} but no {PUBLICATION_FILE}, so it was not "
            "written by `annotate publish` and cannot be ordered against this pull; move it away "
            "and publish again"
        )
    ours = {PUBLICATION_FILE, *PUBLISHED_REQUIRED, *PUBLISHED_OPTIONAL}
    foreign = [name for name in present if name not in ours]
    if foreign:
        raise OverwriteError(
            f"{labels_dir}: holds {_listing(foreign)}, which a publication does not contain and "
            "publishing would remove; move it out of the folder first"
        )
    return Publication.from_dict(read_json(record, BadInputError), str(record))


def check_newer(current: Publication | None, new: Publication, labels_dir: Path) -> None:
    """Refuse to replace a publication from a later pull, or a different one from the same time."""
    if current is None:
        return
    same_pull = (current.pulled_at, current.export_sha256) == (new.pulled_at, new.export_sha256)
    if same_pull or new.pulled() > current.pulled():
        return
    relation = "a later" if current.pulled() > new.pulled() else "another"
    raise OverwriteError(
        f"{labels_dir}: holds {relation} pull (pulled_at {current.pulled_at}, export "
        f"{current.export_sha256[:12]}) than {new.pulled_at} (export {new.export_sha256[:12]}); "
        "a publication is replaced only by a newer pull. To publish an older one on purpose, "
        "move the folder away first"
    )


def _digest(data: bytes) -> str:
    return sha256(data).hexdigest()


def plan_publication(pull_dir: Path) -> tuple[Publication, dict[str, bytes]]:
    """The publication record and the files (name -> bytes) to publish from a pull folder; checks
    that the folder is complete and that its agreement and gold belong to its annotations."""
    pull_path = pull_dir / PULL_FILE
    if not pull_dir.is_dir() or not pull_path.is_file():
        raise BadInputError(
            f"{pull_dir}: not a pull folder (no {PULL_FILE}); give the --out folder of "
            "`statemedia annotate pull`"
        )
    missing = [name for name in PUBLISHED_REQUIRED if not (pull_dir / name).is_file()]
    if missing:
        raise BadInputError(
            f"{pull_dir}: lacks {', '.join(missing)}; run "
            + "; ".join(sorted({f"`statemedia {_MAKES[m]} {pull_dir}`" for m in missing}))
            + " first"
        )
    names = [*PUBLISHED_REQUIRED, *(n for n in PUBLISHED_OPTIONAL if (pull_dir / n).is_file())]
    contents = {name: (pull_dir / name).read_bytes() for name in names}
    pull_bytes = pull_path.read_bytes()

    summary = read_json(pull_path, BadInputError)
    if not isinstance(summary, dict):
        raise BadInputError(f"{pull_path}: expected a JSON object")
    try:
        export_sha, scheme_version = str(summary["export_sha256"]), str(summary["scheme_version"])
        pulled_at = _pull_time(summary["pulled_at"], str(pull_path))
    except KeyError as err:
        raise BadInputError(f"{pull_path}: lacks {err}; pull again") from err

    rows = read_records(pull_dir / ANNOTATIONS_FILE, Annotation.from_dict)
    gold = read_records(pull_dir / GOLD_FILE, GoldLabel.from_dict)
    coded = {row.post_id for row in rows}
    strays = sorted({label.post_id for label in gold} - coded)
    if strays:
        raise BadInputError(
            f"{pull_dir / GOLD_FILE}: gold for posts without annotations here "
            f"({_listing(strays)}): it comes from another pull; run "
            f"`statemedia annotate gold --in {pull_dir}` again"
        )
    agreement_path = pull_dir / AGREEMENT_FILE
    report = read_json(agreement_path, BadInputError)
    computed_from = report.get("annotations_sha256") if isinstance(report, dict) else None
    if computed_from != _digest(contents[ANNOTATIONS_FILE]):
        raise BadInputError(
            f"{agreement_path}: not computed from this folder's {ANNOTATIONS_FILE} (or by an "
            f"older version); run `statemedia annotate agreement --in {pull_dir}` again"
        )
    if report.get("scheme_version") != scheme_version:
        raise BadInputError(
            f"{agreement_path}: label scheme {report.get('scheme_version')!r}, but the pull used "
            f"{scheme_version!r}; run `statemedia annotate agreement --in {pull_dir}` again"
        )
    publication = Publication(
        pulled_at=pulled_at,
        export_sha256=export_sha,
        scheme_version=scheme_version,
        pull_json_sha256=_digest(pull_bytes),
        files={name: _digest(data) for name, data in contents.items()},
    )
    return publication, contents


def publish(pull_dir: Path, labels_dir: Path) -> Publication:
    """Copy a pull folder's results into `labels_dir` as one unit, unless it holds a newer pull."""
    publication, contents = plan_publication(pull_dir)
    labels_dir.parent.mkdir(parents=True, exist_ok=True)
    # Locked from the newer-check to the swap: two publishes at once cannot both pass the check.
    with dataset_lock(labels_dir, "annotate publish", activity="publish"):
        check_newer(read_publication(labels_dir), publication, labels_dir)
        write_folder(labels_dir, {**contents, PUBLICATION_FILE: dumps_json(publication.to_dict())})
    return publication
