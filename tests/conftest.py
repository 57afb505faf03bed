"""Shared fixtures: the repository root and one parse of the real seeds (pure, so safe to share)."""

from __future__ import annotations

from pathlib import Path

import pytest

from statemedia.inputs import load_inputs
from statemedia.parse import registry
from statemedia.stages import ParseOutcome, parse_and_clean

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def seed_outcome() -> ParseOutcome:
    files = load_inputs(REPO / "seeds", REPO, set(registry()))
    return parse_and_clean(files)
