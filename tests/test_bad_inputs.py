"""Bad input as data: each folder under bad_inputs/ is a seeds/ folder with the exact expected error.

The test copies the case into a scratch repository, runs the real CLI, and checks the message (which
names the file and line), a non-zero exit, and that no output folder was written. A new case needs
no code: add a folder with `manifest.toml` (sha256 "AUTO" is filled in), inputs and
`expected_error.txt`. Optional: `statemedia.toml` (a case's own build configuration, used instead
of the repository's) and `expected_exit.txt` (the exact exit code, see README "Exit codes").
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from statemedia.cli import main

CASES = Path(__file__).parent / "bad_inputs"
CASE_FILES = ("expected_error.txt", "expected_exit.txt", "statemedia.toml")


def make_repo(case: Path, tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    shutil.copytree(case, seeds, ignore=shutil.ignore_patterns(*CASE_FILES), symlinks=True)
    manifest = seeds / "manifest.toml"
    text = manifest.read_text(errors="surrogateescape")  # a case may be a non-UTF-8 manifest
    for line in text.splitlines():
        if line.startswith("path = "):
            name = line.split('"')[1]
            if (seeds / name).is_file() and 'sha256 = "AUTO"' in text:
                digest = hashlib.sha256((seeds / name).read_bytes()).hexdigest()
                text = text.replace('sha256 = "AUTO"', f'sha256 = "{digest}"', 1)
    manifest.write_text(text, errors="surrogateescape")
    own_config = case / "statemedia.toml"
    config = own_config if own_config.is_file() else Path(__file__).parents[1] / "statemedia.toml"
    shutil.copy(config, tmp_path / "statemedia.toml")
    return tmp_path


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_bad_input_is_refused_with_its_place_and_nothing_written(case, tmp_path, capsys):
    root = make_repo(CASES / case, tmp_path)
    expected = (CASES / case / "expected_error.txt").read_text().strip()
    code = main(["--root", str(root), "build"])
    err = capsys.readouterr().err
    assert code != 0
    exit_file = CASES / case / "expected_exit.txt"
    if exit_file.is_file():
        assert code == int(exit_file.read_text().strip())
    assert expected in err, err
    assert not (root / "dataset").exists()
