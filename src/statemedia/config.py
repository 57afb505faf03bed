"""Build configuration: frozen dataclasses loaded from `statemedia.toml`; unknown keys are errors."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from statemedia.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BuildPaths:
    """Where raw inputs are read and releases written (relative to the repository root)."""

    seeds_dir: str = "seeds"
    dataset_dir: str = "dataset"
    labels_dir: str = "annotation/labels"  # gold.jsonl + annotations.jsonl joined into a release


@dataclass(frozen=True, slots=True)
class SplitConfig:
    """Seed and ratios of the hash-based train / validation / test split."""

    seed: str = "statemedia-split-v2"
    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1


def from_table(cls: type[T], table: dict[str, Any], where: str) -> T:
    """Build dataclass `cls` from a TOML table, refusing unknown keys."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return cls(**table)


@dataclass(frozen=True, slots=True)
class Config:
    """The whole build configuration."""

    build: BuildPaths
    dedup: Any  # statemedia.dedup.DedupConfig
    split: SplitConfig


def load_config(path: Path) -> Config:
    """Read and check `statemedia.toml`."""
    from statemedia.dedup import DedupConfig

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: cannot read configuration: {err}") from err
    unknown = sorted(set(data) - {"build", "dedup", "split"})
    if unknown:
        raise ConfigError(f"{path}: unknown table(s) {', '.join(unknown)}")
    split = from_table(SplitConfig, data.get("split", {}), f"{path} [split]")
    if abs(split.train + split.validation + split.test - 1.0) > 1e-9:
        raise ConfigError(f"{path} [split]: train + validation + test must sum to 1")
    return Config(
        build=from_table(BuildPaths, data.get("build", {}), f"{path} [build]"),
        dedup=from_table(DedupConfig, data.get("dedup", {}), f"{path} [dedup]"),
        split=split,
    )
