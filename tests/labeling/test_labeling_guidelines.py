"""The codebook matches the scheme, and every worked example quotes the raw seed files exactly."""

from __future__ import annotations

import re

import pytest

from statemedia.labeling.scheme import Scheme
from statemedia.vocab import REPO_ROOT

GUIDELINES = REPO_ROOT / "annotation" / "GUIDELINES.md"
EXAMPLE = re.compile(
    r"^Source: `(?P<file>seeds/[^`]+)`, line (?P<line>\d+)\n> (?P<quote>.+)$", re.M
)


def examples() -> list[tuple[str, int, str]]:
    text = GUIDELINES.read_text(encoding="utf-8")
    return [(m["file"], int(m["line"]), m["quote"]) for m in EXAMPLE.finditer(text)]


def test_codebook_version_follows_scheme(scheme: Scheme) -> None:
    text = GUIDELINES.read_text(encoding="utf-8")
    assert f"Codebook version: {scheme.version}" in text
    assert f"version {scheme.version})" in text


def test_codebook_defines_every_scheme_name(scheme: Scheme) -> None:
    text = GUIDELINES.read_text(encoding="utf-8")
    for term in (*scheme.topics, *scheme.targets, *scheme.stances):
        assert f"| `{term.name}` | {term.label} | {term.definition} |" in text, term.name


def test_there_are_enough_worked_examples() -> None:
    assert len(examples()) >= 12


@pytest.mark.parametrize(("path", "line", "quote"), examples())
def test_worked_example_quotes_the_seed_line(path: str, line: int, quote: str) -> None:
    # Lines as `sed -n` counts them: split on "\n" only (str.splitlines also splits on
    # U+2028 and form feeds, which occur in scraped text).
    raw = (REPO_ROOT / path).read_text(encoding="utf-8").split("\n")[line - 1]
    # Scraped text has no-break spaces where the codebook has plain ones: compare modulo whitespace.
    raw = " ".join(raw.split())
    position = 0
    for piece in quote.split(" … "):
        piece = " ".join(piece.split())
        found = raw.find(piece, position)
        assert found >= 0, f"{path}:{line} does not contain {piece!r}"
        position = found + len(piece)
