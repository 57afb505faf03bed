"""Build configuration: frozen dataclasses loaded from `statemedia.toml`.

`statemedia.toml` is the only place where the build's values are set: the dataclasses have no
defaults, so a table or key missing from the file, an unknown one, or a value of the wrong type is a
`ConfigError` naming the file, the table and the key. Code that needs a setting (the build, cards,
tests, benchmarks) takes the loaded `Config`; a variant is `dataclasses.replace(config.dedup, ...)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from statemedia.errors import ConfigError
from statemedia.fileio import read_toml

T = TypeVar("T")

CONFIG_FILE = "statemedia.toml"  # at the repository root

# TOML value types accepted for a field annotated with each name (an int is accepted as a float;
# a list of strings, as a tuple, for `tuple[str, ...]`).
_TOML_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "tuple[str, ...]": (list,),
}


@dataclass(frozen=True, slots=True)
class BuildPaths:
    """Where raw inputs are read and releases written (relative to the repository root)."""

    seeds_dir: str
    dataset_dir: str
    labels_dir: str  # gold.jsonl + annotations.jsonl joined into a release

    def __post_init__(self) -> None:
        for name in ("seeds_dir", "dataset_dir", "labels_dir"):
            value = getattr(self, name)
            parts = PurePosixPath(value).parts
            absolute = value.startswith("/") or value[1:2] == ":"
            if not value.strip() or absolute or "\\" in value or ".." in parts:
                raise ConfigError(
                    f"[build] {name} must be a folder relative to the repository root, with '/' "
                    f"and without '..', got {value!r}"
                )


@dataclass(frozen=True, slots=True)
class LabelingConfig:
    """How the annotation study's results are reported (the `[labeling]` table)."""

    agreement_min_items: int  # fewer pairable items: alpha is shown as "too few items (n < N)"
    min_annotators: int  # valid coders a gold value needs (`annotate gold --min-annotators`)

    def __post_init__(self) -> None:
        if self.min_annotators < 1:
            raise ConfigError(f"[labeling] min_annotators must be >= 1, got {self.min_annotators}")
        if self.agreement_min_items < 2:
            raise ConfigError(
                f"[labeling] agreement_min_items must be >= 2, got {self.agreement_min_items}"
            )


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Near-duplicate settings (the `[dedup]` table); see `statemedia.dedup` for what they mean."""

    shingle_words: int  # words per shingle
    num_perm: int  # MinHash permutations (signature length)
    bands: int  # LSH bands; bands * rows <= num_perm
    rows: int  # signature rows per band
    threshold: float  # minimum exact Jaccard of shingle sets to merge
    seed: int  # seeds the MinHash permutations
    boilerplate_min_posts: int  # a line in >= this many distinct posts of a source is boilerplate

    def __post_init__(self) -> None:
        if self.shingle_words < 1:
            raise ConfigError(f"[dedup] shingle_words must be >= 1, got {self.shingle_words}")
        if self.bands < 1 or self.rows < 1 or self.bands * self.rows > self.num_perm:
            raise ConfigError(
                f"[dedup] bands * rows must be <= num_perm; got {self.bands} * {self.rows} "
                f"> {self.num_perm}"
            )
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"[dedup] threshold must be in (0, 1], got {self.threshold}")
        if self.boilerplate_min_posts < 2:
            raise ConfigError(
                f"[dedup] boilerplate_min_posts must be >= 2, got {self.boilerplate_min_posts}"
            )


@dataclass(frozen=True, slots=True)
class SplitConfig:
    """Seed and ratios of the hash-based train / validation / test split."""

    seed: str
    train: float
    validation: float
    test: float

    def __post_init__(self) -> None:
        for name in ("train", "validation", "test"):
            ratio = getattr(self, name)
            if not (math.isfinite(ratio) and 0.0 <= ratio <= 1.0):
                raise ConfigError(f"[split] {name} must be a ratio in [0, 1], got {ratio}")
        if abs(self.train + self.validation + self.test - 1.0) > 1e-9:
            raise ConfigError(
                f"[split] train + validation + test must sum to 1, got "
                f"{self.train} + {self.validation} + {self.test}"
            )


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    """Where the project lives: the cards link here and route errata and takedown requests here."""

    homepage: str  # absolute URL of the source repository, or "" while it is unpublished
    contact: str  # absolute URL (issue tracker) or mailto: for errata and takedowns, or ""

    def __post_init__(self) -> None:
        for name in ("homepage", "contact"):
            value = getattr(self, name)
            if value and not value.startswith(("https://", "http://", "mailto:")):
                raise ConfigError(
                    f"[project] {name} must be an absolute URL or empty, got {value!r}"
                )


@dataclass(frozen=True, slots=True)
class ReleaseConfig:
    """How release tables are cut into Parquet shards (the `[release]` table).

    Rows only, not bytes: shard boundaries then depend on the rows alone (never on compression),
    so shard k of a table holds exactly rows [k * max_rows_per_shard, (k + 1) * max_rows_per_shard)
    of its canonical order, and a table with at most that many rows is one file.
    """

    max_rows_per_shard: int  # rows per Parquet file of a release table

    def __post_init__(self) -> None:
        if self.max_rows_per_shard < 1:
            raise ConfigError(
                f"[release] max_rows_per_shard must be >= 1, got {self.max_rows_per_shard}"
            )


@dataclass(frozen=True, slots=True)
class LanguageConfig:
    """Language identification per post (the `[language]` table); see `statemedia.language`."""

    candidates: tuple[str, ...]  # ISO 639-1 codes the detector chooses among
    min_letters: int  # a post with fewer letters (title and text) is "und", not guessed
    min_confidence: float  # a detector probability below this is "und" too

    def __post_init__(self) -> None:
        if not self.candidates:
            raise ConfigError("[language] candidates must name at least one language")
        bad = [c for c in self.candidates if not (c.isascii() and c.isalpha() and c.islower())]
        if bad or len(set(self.candidates)) != len(self.candidates):
            raise ConfigError(
                "[language] candidates must be distinct lower-case ISO 639-1 codes like 'ru', "
                f"got {list(self.candidates)}"
            )
        if self.min_letters < 1:
            raise ConfigError(f"[language] min_letters must be >= 1, got {self.min_letters}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ConfigError(
                f"[language] min_confidence must be in [0, 1], got {self.min_confidence}"
            )


@dataclass(frozen=True, slots=True)
class TranslationConfig:
    """Translation linking (the `[translations]` table); see `statemedia.translations`."""

    window_minutes: int  # two posts further apart in time are never a candidate pair
    min_score: float  # a pair links, and two groups merge, at a score (mean pair score) >= this
    min_anchors: int  # shared links + numbers + names a pair needs, whatever its score
    min_length_ratio: float  # shorter / longer text length (characters) a pair needs

    def __post_init__(self) -> None:
        if self.window_minutes < 1:
            raise ConfigError(
                f"[translations] window_minutes must be >= 1, got {self.window_minutes}"
            )
        if not 0.0 < self.min_score <= 1.0:
            raise ConfigError(f"[translations] min_score must be in (0, 1], got {self.min_score}")
        if self.min_anchors < 0:
            raise ConfigError(f"[translations] min_anchors must be >= 0, got {self.min_anchors}")
        if not 0.0 <= self.min_length_ratio <= 1.0:
            raise ConfigError(
                f"[translations] min_length_ratio must be in [0, 1], got {self.min_length_ratio}"
            )


@dataclass(frozen=True, slots=True)
class Config:
    """The whole build configuration."""

    build: BuildPaths
    labeling: LabelingConfig
    dedup: DedupConfig
    split: SplitConfig
    project: ProjectInfo
    release: ReleaseConfig
    language: LanguageConfig
    translations: TranslationConfig


def from_table(cls: type[T], table: Any, path: Path, name: str) -> T:
    """Build dataclass `cls` from table `[name]` of `path`: every key present, none unknown, typed."""
    where = f"{path} [{name}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table, got {type(table).__name__}")
    declared = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(table) - set(declared))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(declared)}"
        )
    missing = [key for key in declared if key not in table]
    if missing:
        raise ConfigError(f"{where}: missing key(s) {', '.join(missing)}")
    values: dict[str, Any] = {}
    for key, spec in declared.items():
        value, kind = table[key], str(spec.type)
        typed = isinstance(value, _TOML_TYPES[kind]) and not isinstance(value, bool)
        if kind == "tuple[str, ...]":
            typed = typed and all(isinstance(item, str) for item in value)
            kind = "a list of strings"
        if not typed:
            raise ConfigError(f"{where}: {key} must be {kind}, got {value!r}")
        values[key] = (
            float(value) if kind == "float" else tuple(value) if isinstance(value, list) else value
        )
    try:
        return cls(**values)
    except ConfigError as err:  # the dataclass's own checks, e.g. "[dedup] bands * rows ..."
        raise ConfigError(f"{path} {err}") from err


def load_config(path: Path) -> Config:
    """Read and check `statemedia.toml`."""
    data = read_toml(path, ConfigError)
    tables = (
        "project",
        "build",
        "labeling",
        "dedup",
        "split",
        "release",
        "language",
        "translations",
    )
    unknown = sorted(set(data) - set(tables))
    if unknown:
        raise ConfigError(f"{path}: unknown table(s) {', '.join(unknown)}")
    missing = [name for name in tables if name not in data]
    if missing:
        raise ConfigError(f"{path}: missing table(s) {', '.join(f'[{m}]' for m in missing)}")
    return Config(
        build=from_table(BuildPaths, data["build"], path, "build"),
        labeling=from_table(LabelingConfig, data["labeling"], path, "labeling"),
        dedup=from_table(DedupConfig, data["dedup"], path, "dedup"),
        split=from_table(SplitConfig, data["split"], path, "split"),
        project=from_table(ProjectInfo, data["project"], path, "project"),
        release=from_table(ReleaseConfig, data["release"], path, "release"),
        language=from_table(LanguageConfig, data["language"], path, "language"),
        translations=from_table(TranslationConfig, data["translations"], path, "translations"),
    )
