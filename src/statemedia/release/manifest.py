"""The manifest of a build or release: one frozen record, built once and read by attribute.

`Manifest.to_json` is the one serialiser (the `manifest.json` bytes), `Manifest.from_json` the one
reader; it is strict (a missing or unknown key names the path), so a manifest that code cannot read
by attribute is refused rather than half-read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, TypeVar

from statemedia.completeness import ChannelCompleteness
from statemedia.config import DedupConfig, LanguageConfig, SplitConfig, TranslationConfig
from statemedia.errors import ReleaseError
from statemedia.records import UNDETERMINED, LineAccount
from statemedia.translations import TranslationCounts
from statemedia.vocab import SPLITS, Table

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RuleVersions:
    """The versioned rules that built the release (`tass_page@1`, `clean@1`, ...)."""

    parsers: tuple[str, ...]
    clean: str
    dedup: str
    split: str
    # `language@1`, `translation@1` and later; absent from manifests written before them.
    language: str | None = None
    translations: str | None = None


@dataclass(frozen=True, slots=True)
class BuildSettings:
    """The configured values that change results, copied from `statemedia.toml`."""

    dedup: DedupConfig
    split: SplitConfig
    language: LanguageConfig | None = None  # absent before language identification
    translations: TranslationConfig | None = None  # absent before translation linking


@dataclass(frozen=True, slots=True)
class InputEntry:
    """One raw input file as declared in `seeds/manifest.toml` and hashed."""

    path: str
    sha256: str
    bytes: int
    source: str
    platform: str
    format: str
    language: str
    collection: str
    # ISO 8601 in UTC, from the seeds manifest; absent from manifests written before it existed.
    collected_at: str | None = None


@dataclass(frozen=True, slots=True)
class LabelInput:
    """One published label file joined into the release."""

    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class ParseCounts:
    """Files parsed and records they gave (posts, teasers and drops)."""

    files: int
    records: int


@dataclass(frozen=True, slots=True)
class CleanCounts:
    """Records seen and kept by cleaning, drops by reason, lines removed inside kept records."""

    seen: int
    kept: int
    dropped: Mapping[str, int]
    kept_by_kind: Mapping[str, int]
    records_with_lines_removed: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class DedupCounts:
    """Posts seen and kept by dedup, and removed copies by method."""

    seen: int
    kept: int
    removed: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class LanguageCounts:
    """Posts seen by language identification (all cleaned posts, before dedup): posts per
    identified language ("und" included), undetermined ones, and those whose identified language
    differs from the declared one, in total and per "<declared>-><identified>" pair."""

    seen: int
    identified: Mapping[str, int]
    undetermined: int
    differs_from_declared: int
    differs_by_pair: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class StageCounts:
    """Seen, kept and dropped by reason at every stage; rows per release table."""

    parse: ParseCounts
    parse_by_file: Mapping[str, Mapping[str, int]]
    clean: CleanCounts
    dedup: DedupCounts
    split: Mapping[str, int]  # table name -> rows
    language: LanguageCounts | None = None  # absent from manifests before language identification
    translations: TranslationCounts | None = None  # absent before translation linking
    # Translation groups joining posts already released into different splits (none moved).
    split_conflicts: int | None = None


@dataclass(frozen=True, slots=True)
class Merge:
    """One removed duplicate, with where both copies sit in the raw files."""

    kept: str
    removed: str
    method: str
    similarity: float
    kept_source: str
    removed_source: str
    kept_lines: str
    removed_lines: str


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file (shard) of a release table: name, table, sha256, rows, bytes on disk and in Arrow."""

    path: str
    table: Table
    sha256: str
    rows: int
    bytes: int
    arrow_bytes: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """Everything a release records about how it was made; `version` is None for a build."""

    version: str | None
    date_released: str | None
    dataset: str
    schema_version: str
    code_version: str
    versions: RuleVersions
    config: BuildSettings
    inputs: tuple[InputEntry, ...]
    label_inputs: tuple[LabelInput, ...]
    label_scheme_version: str
    stage_counts: StageCounts
    completeness: Mapping[str, ChannelCompleteness]
    line_account: tuple[LineAccount, ...]
    merges: tuple[Merge, ...]  # serialised as {"dedup": {"merged": [...]}}
    files: tuple[FileEntry, ...]  # every shard of every table, in `Table` then shard order

    def shards(self, table: Table) -> tuple[FileEntry, ...]:
        """The files of one table in shard order (empty if the release has no such table)."""
        return tuple(entry for entry in self.files if entry.table == table)

    def rows(self, table: Table) -> int:
        """Rows in one table, all its shards together (0 if absent)."""
        return sum(entry.rows for entry in self.shards(table))

    @property
    def post_rows(self) -> int:
        """Rows in the train, validation and test splits together."""
        return sum(self.rows(split) for split in SPLITS)

    def languages(self) -> list[str]:
        """The release's languages: those identified in its posts (`language@1` and later; `und`
        is no language), else (older releases, or no post long enough to tell) those its inputs
        declare."""
        counts = self.stage_counts.language
        found = [] if counts is None else [k for k, n in counts.identified.items() if n]
        identified = sorted(lang for lang in found if lang != UNDETERMINED)
        return identified or sorted({entry.language for entry in self.inputs})

    @property
    def has_labels(self) -> bool:
        """Whether the release publishes human annotations."""
        return self.rows(Table.ANNOTATIONS) > 0

    def to_dict(self) -> dict[str, Any]:
        """The manifest as JSON-ready data, keys in their fixed order."""
        data = {
            "version": self.version,
            "date_released": self.date_released,
            "dataset": self.dataset,
            "schema_version": self.schema_version,
            "code_version": self.code_version,
            # The language entries only where present: older manifests keep their exact bytes.
            "versions": _present(
                {**asdict(self.versions), "parsers": list(self.versions.parsers)}, _LATER_VERSIONS
            ),
            "config": _present(_plain(asdict(self.config)), _LATER_CONFIG),
            # `collected_at` only where declared: manifests without it keep their exact bytes.
            "inputs": [
                {k: v for k, v in asdict(entry).items() if k != "collected_at" or v is not None}
                for entry in self.inputs
            ],
            "label_inputs": [asdict(entry) for entry in self.label_inputs],
            "label_scheme_version": self.label_scheme_version,
            "stage_counts": _present(_plain(asdict(self.stage_counts)), _LATER_COUNTS),
            "completeness": {
                channel: _plain(asdict(report)) for channel, report in self.completeness.items()
            },
            "line_account": [asdict(account) for account in self.line_account],
            "dedup": {"merged": [asdict(merge) for merge in self.merges]},
            "files": [_plain(asdict(entry)) for entry in self.files],
        }
        return data

    def to_json(self) -> str:
        """The exact text of `manifest.json`."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        """Read a manifest; any missing, unknown or mistyped key is a ReleaseError naming it."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ReleaseError(f"{where}:{err.lineno}: not valid JSON: {err.msg}") from err
        return manifest_from_dict(data, where)


# Entries that later rules added: written only where present, so that older manifests keep their
# exact bytes when read and written again.
_LATER_VERSIONS = frozenset({"language", "translations"})
_LATER_CONFIG = frozenset({"language", "translations"})
_LATER_COUNTS = frozenset({"language", "translations", "split_conflicts"})


def _present(table: dict[str, Any], later: frozenset[str]) -> dict[str, Any]:
    """`table` without the `later` entries that are None."""
    return {k: v for k, v in table.items() if k not in later or v is not None}


def _plain(value: Any) -> Any:
    """Tuples as lists and enums as their strings, as JSON has them."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _table(
    data: Any, keys: tuple[str, ...], where: str, optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ReleaseError(f"{where}: expected an object, got {type(data).__name__}")
    missing = [k for k in keys if k not in data and k not in optional]
    unknown = sorted(set(data) - set(keys))
    if missing or unknown:
        raise ReleaseError(
            f"{where}: "
            + "; ".join(
                part
                for part in (
                    f"missing key(s) {', '.join(missing)}" if missing else "",
                    f"unknown key(s) {', '.join(unknown)}" if unknown else "",
                )
                if part
            )
        )
    return data


def _record(cls: type[T], data: Any, where: str) -> T:
    """A flat record from a JSON object with exactly its fields; a field with a default (one added
    after manifests were first written) may be absent."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    optional = frozenset(
        f.name
        for f in fields(cls)  # type: ignore[arg-type]
        if f.default is not MISSING
    )
    table = _table(data, names, where, optional)
    return cls(**table)


def _counts(data: Any, where: str) -> dict[str, int]:
    if data is None:  # older manifests wrote an empty Counter as null
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
        raise ReleaseError(f"{where}: expected an object of counts")
    return data


def manifest_from_dict(data: Any, where: str) -> Manifest:
    """The typed manifest of a JSON object (see `Manifest.from_json`)."""
    names = (*(f.name for f in fields(Manifest) if f.name != "merges"), "dedup")
    top = _table(data, names, where)
    try:
        counts = _table(
            top["stage_counts"],
            ("parse", "parse_by_file", "clean", "dedup", "split", *sorted(_LATER_COUNTS)),
            f"{where}: stage_counts",
            _LATER_COUNTS,
        )
        language: LanguageCounts | None = None
        if counts.get("language") is not None:
            read = _record(LanguageCounts, counts["language"], f"{where}: stage_counts.language")
            language = LanguageCounts(
                seen=read.seen,
                identified=_counts(read.identified, f"{where}: stage_counts.language"),
                undetermined=read.undetermined,
                differs_from_declared=read.differs_from_declared,
                differs_by_pair=_counts(read.differs_by_pair, f"{where}: stage_counts.language"),
            )
        clean = _record(CleanCounts, counts["clean"], f"{where}: stage_counts.clean")
        dedup = _record(DedupCounts, counts["dedup"], f"{where}: stage_counts.dedup")
        stage_counts = StageCounts(
            parse=_record(ParseCounts, counts["parse"], f"{where}: stage_counts.parse"),
            parse_by_file={
                path: _counts(by_kind, f"{where}: stage_counts.parse_by_file.{path}")
                for path, by_kind in counts["parse_by_file"].items()
            },
            clean=CleanCounts(
                seen=clean.seen,
                kept=clean.kept,
                dropped=_counts(clean.dropped, f"{where}: stage_counts.clean.dropped"),
                kept_by_kind=_counts(clean.kept_by_kind, f"{where}: stage_counts.clean"),
                records_with_lines_removed=_counts(
                    clean.records_with_lines_removed, f"{where}: stage_counts.clean"
                ),
            ),
            dedup=DedupCounts(
                seen=dedup.seen,
                kept=dedup.kept,
                removed=_counts(dedup.removed, f"{where}: stage_counts.dedup.removed"),
            ),
            split=_counts(counts["split"], f"{where}: stage_counts.split"),
            language=language,
            translations=(
                None
                if counts.get("translations") is None
                else _record(
                    TranslationCounts, counts["translations"], f"{where}: stage_counts.translations"
                )
            ),
            split_conflicts=counts.get("split_conflicts"),
        )
        versions = _record(RuleVersions, top["versions"], f"{where}: versions")
        config = _table(
            top["config"],
            ("dedup", "split", *sorted(_LATER_CONFIG)),
            f"{where}: config",
            _LATER_CONFIG,
        )
        files = []
        for number, raw in enumerate(top["files"]):
            entry = _record(FileEntry, raw, f"{where}: files[{number}]")
            try:
                files.append(_with_table(entry))
            except ValueError as err:
                raise ReleaseError(
                    f"{where}: files[{number}]: unknown table {entry.table!r}"
                ) from err
        return Manifest(
            version=top["version"],
            date_released=top["date_released"],
            dataset=top["dataset"],
            schema_version=top["schema_version"],
            code_version=top["code_version"],
            versions=RuleVersions(
                parsers=tuple(versions.parsers),
                clean=versions.clean,
                dedup=versions.dedup,
                split=versions.split,
                language=versions.language,
                translations=versions.translations,
            ),
            config=BuildSettings(
                dedup=_record(DedupConfig, config["dedup"], f"{where}: config.dedup"),
                split=_record(SplitConfig, config["split"], f"{where}: config.split"),
                language=_language_config(config.get("language"), f"{where}: config.language"),
                translations=(
                    None
                    if config.get("translations") is None
                    else _record(
                        TranslationConfig, config["translations"], f"{where}: config.translations"
                    )
                ),
            ),
            inputs=tuple(
                _record(InputEntry, raw, f"{where}: inputs[{n}]")
                for n, raw in enumerate(top["inputs"])
            ),
            label_inputs=tuple(
                _record(LabelInput, raw, f"{where}: label_inputs[{n}]")
                for n, raw in enumerate(top["label_inputs"])
            ),
            label_scheme_version=top["label_scheme_version"],
            stage_counts=stage_counts,
            completeness={
                channel: _completeness(report, f"{where}: completeness.{channel}")
                for channel, report in top["completeness"].items()
            },
            line_account=tuple(
                _record(LineAccount, raw, f"{where}: line_account[{n}]")
                for n, raw in enumerate(top["line_account"])
            ),
            merges=tuple(
                _record(Merge, raw, f"{where}: dedup.merged[{n}]")
                for n, raw in enumerate(
                    _table(top["dedup"], ("merged",), f"{where}: dedup")["merged"]
                )
            ),
            files=tuple(files),
        )
    except (TypeError, AttributeError) as err:
        raise ReleaseError(f"{where}: malformed manifest: {err}") from err


def _language_config(data: Any, where: str) -> LanguageConfig | None:
    if data is None:
        return None
    config = _record(LanguageConfig, data, where)
    return LanguageConfig(
        candidates=tuple(config.candidates),
        min_letters=config.min_letters,
        min_confidence=config.min_confidence,
    )


def _with_table(entry: FileEntry) -> FileEntry:
    return FileEntry(
        path=entry.path,
        table=Table(entry.table),
        sha256=entry.sha256,
        rows=entry.rows,
        bytes=entry.bytes,
        arrow_bytes=entry.arrow_bytes,
    )


def _completeness(data: Any, where: str) -> ChannelCompleteness:
    report = _record(ChannelCompleteness, data, where)
    return ChannelCompleteness(
        first_id=report.first_id,
        last_id=report.last_id,
        present=report.present,
        missing=report.missing,
        gaps=tuple((int(a), int(b)) for a, b in report.gaps),
    )
