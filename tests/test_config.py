"""Tests for statemedia.config: statemedia.toml is the only source of the build's values, and every
missing, unknown or mistyped entry is an error naming the file, the table and the key."""

from __future__ import annotations

import re
from dataclasses import MISSING, asdict, fields, replace
from pathlib import Path

import pytest

from statemedia.config import (
    BuildPaths,
    Config,
    DedupConfig,
    LabelingConfig,
    ProjectInfo,
    ReleaseConfig,
    SplitConfig,
    load_config,
)
from statemedia.errors import ConfigError
from statemedia.fileio import read_toml

TOML = Path(__file__).resolve().parents[1] / "statemedia.toml"
TABLES = {
    "project": ProjectInfo,
    "build": BuildPaths,
    "labeling": LabelingConfig,
    "dedup": DedupConfig,
    "split": SplitConfig,
    "release": ReleaseConfig,
}


def edited(tmp_path: Path, table: str, key: str, line: str | None) -> Path:
    """A copy of statemedia.toml with `key` of `[table]` replaced by `line` (None: removed)."""
    out, current, found = [], None, False
    for raw in TOML.read_text(encoding="utf-8").splitlines():
        header = re.fullmatch(r"\[(\w+)\]", raw.strip())
        if header:
            current = header.group(1)
        elif current == table and re.match(rf"{key}\s*=", raw):
            found = True
            if line is not None:
                out.append(line)
            continue
        out.append(raw)
    assert found, f"{key} not in [{table}] of {TOML}"
    path = tmp_path / "statemedia.toml"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_the_repository_config_loads_every_value_from_the_file() -> None:
    config = load_config(TOML)
    raw = read_toml(TOML)
    assert isinstance(config, Config)
    for table, cls in TABLES.items():
        assert type(getattr(config, table)) is cls
        assert asdict(getattr(config, table)) == raw[table]
    assert config.dedup.boilerplate_min_posts == 5  # the value the v1.0.0 release was built with


@pytest.mark.parametrize("cls", TABLES.values(), ids=TABLES.keys())
def test_dataclasses_have_no_defaults(cls: type) -> None:
    # A default would be a second source of a build value (e.g. DedupConfig() once said 10 where
    # the TOML says 5); without one, a setting can only come from the file.
    assert [f.name for f in fields(cls) if f.default is not MISSING] == []
    assert [f.name for f in fields(cls) if f.default_factory is not MISSING] == []
    with pytest.raises(TypeError):
        cls()


@pytest.mark.parametrize(
    ("table", "key"),
    [(table, f.name) for table, cls in TABLES.items() for f in fields(cls)],
)
def test_a_missing_key_names_its_table_and_key(tmp_path: Path, table: str, key: str) -> None:
    path = edited(tmp_path, table, key, None)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path} [{table}]: missing key(s) {key}"


def test_a_missing_table_is_named(tmp_path: Path) -> None:
    path = tmp_path / "statemedia.toml"
    text = TOML.read_text(encoding="utf-8")
    path.write_text(text[: text.index("[dedup]")], encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == (
        f"{path}: missing table(s) [dedup], [split], [release], [language], [translations]"
    )


@pytest.mark.parametrize(
    ("table", "key", "line", "message"),
    [
        ("dedup", "threshold", 'threshold = "0.8"', "[dedup]: threshold must be float, got '0.8'"),
        ("dedup", "bands", "bands = 16.0", "[dedup]: bands must be int, got 16.0"),
        ("dedup", "seed", "seed = true", "[dedup]: seed must be int, got True"),
        ("split", "seed", "seed = 2", "[split]: seed must be str, got 2"),
        (
            "dedup",
            "rows",
            "rows = 8\nrow = 8",
            "[dedup]: unknown key(s) row; known: shingle_words, num_perm, bands, rows, "
            "threshold, seed, boilerplate_min_posts",
        ),
        ("dedup", "bands", "bands = 20", "[dedup] bands * rows must be <= num_perm; got 20 * 8"),
        ("dedup", "threshold", "threshold = 0", "[dedup] threshold must be in (0, 1], got 0.0"),
        ("split", "test", "test = 0.2", "[split] train + validation + test must sum to 1"),
        (
            "dedup",
            "threshold",
            'threshold = "high"',
            "[dedup]: threshold must be float, got 'high'",
        ),
        ("dedup", "threshold", "threshold = nan", "[dedup] threshold must be in (0, 1], got nan"),
        (
            "split",
            "validation",
            "validation = -0.1",
            "[split] validation must be a ratio in [0, 1], got -0.1",
        ),
        ("split", "train", "train = 1.5", "[split] train must be a ratio in [0, 1], got 1.5"),
        ("split", "test", "test = nan", "[split] test must be a ratio in [0, 1], got nan"),
        ("split", "test", "test = -inf", "[split] test must be a ratio in [0, 1], got -inf"),
        (
            "release",
            "max_rows_per_shard",
            "max_rows_per_shard = 0",
            "[release] max_rows_per_shard must be >= 1, got 0",
        ),
        (
            "release",
            "max_rows_per_shard",
            "max_rows_per_shard = 5e5",
            "[release]: max_rows_per_shard must be int, got 500000.0",
        ),
        (
            "release",
            "max_rows_per_shard",
            'max_rows_per_shard = "500000"',
            "[release]: max_rows_per_shard must be int, got '500000'",
        ),
        *(
            (
                "build",
                key,
                f"{key} = {value!r}".replace("'", '"'),
                f"[build] {key} must be a folder relative to the repository root, with '/' and "
                f"without '..', got {value!r}",
            )
            for key, value in (
                ("seeds_dir", "../seeds"),
                ("seeds_dir", "/srv/seeds"),
                ("dataset_dir", "C:/dataset"),
                ("dataset_dir", "data/../../out"),
                ("labels_dir", ""),
            )
        ),
    ],
)
def test_a_bad_value_names_file_table_and_key(
    tmp_path: Path, table: str, key: str, line: str, message: str
) -> None:
    path = edited(tmp_path, table, key, line)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path} {message}")


def test_unknown_table_and_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "statemedia.toml"
    path.write_text(TOML.read_text(encoding="utf-8") + "\n[extra]\nx = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown table\(s\) extra"):
        load_config(path)
    path.write_text("[dedup\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")


def test_an_integer_ratio_is_read_as_a_float(tmp_path: Path) -> None:
    # `asdict(config)` goes into the release manifest: 1 and 1.0 must not give two manifests.
    path = edited(tmp_path, "dedup", "threshold", "threshold = 1")
    assert load_config(path).dedup.threshold == 1.0
    assert isinstance(load_config(path).dedup.threshold, float)


def test_variants_are_checked_like_the_file() -> None:
    dedup = load_config(TOML).dedup
    assert replace(dedup, boilerplate_min_posts=3).boilerplate_min_posts == 3
    with pytest.raises(ConfigError, match="boilerplate_min_posts must be >= 2"):
        replace(dedup, boilerplate_min_posts=1)


def test_ratios_must_each_be_in_0_1_not_only_sum_to_1() -> None:
    split = load_config(TOML).split
    assert replace(split, train=0.9, test=0.0).test == 0.0  # an empty share is a ratio
    with pytest.raises(ConfigError, match=r"\[split\] validation must be a ratio in \[0, 1\]"):
        replace(split, train=1.0, validation=-0.1, test=0.1)  # sums to 1


def test_a_non_utf8_config_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "statemedia.toml"
    path.write_bytes(b"# r\xe9glages\n" + TOML.read_bytes())
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: not UTF-8 at byte 3; save it as UTF-8"
