"""Tests for the pure parts of the benchmark package (bench/statemedia_bench): the corpus generator
is deterministic and its families line up with the posts as read, the ground truth follows the
configured threshold, and scoring counts pairs exactly. No timing is asserted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from statemedia.config import load_config
from statemedia_bench.corpus import Families, generate, read_corpus
from statemedia_bench.methods import run_statemedia
from statemedia_bench.score import pairs_in, score
from statemedia_bench.truth import Truth, ground_truth

REPO = Path(__file__).resolve().parents[1]
CONFIG = load_config(REPO / "statemedia.toml")
SEEDS = REPO / CONFIG.build.seeds_dir


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.json"))}


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Families]:
    work = tmp_path_factory.mktemp("bench")
    return work, generate(400, 0, work / "corpus", SEEDS)


def test_generator_is_deterministic(small_corpus: tuple[Path, Families], tmp_path: Path) -> None:
    work, families = small_corpus
    again = generate(400, 0, tmp_path / "again", SEEDS)
    assert files_of(tmp_path / "again") == files_of(work / "corpus")
    assert again.compared == families.compared
    assert np.array_equal(again.family, families.family)
    assert np.array_equal(again.template_family, families.template_family)
    generate(400, 1, tmp_path / "other", SEEDS)
    assert files_of(tmp_path / "other") != files_of(work / "corpus")


def test_families_line_up_with_the_posts_as_read(small_corpus: tuple[Path, Families]) -> None:
    work, families = small_corpus
    posts = read_corpus(work / "corpus")
    assert len(posts.ids) == len(set(posts.ids)) == len(families.compared) == 400
    # The compared text is the post without the generator's footer or reprint header.
    assert all(c in t for c, t in zip(families.compared, posts.texts, strict=True))
    assert sorted(posts.ranks) != posts.ranks  # the global order is by channel, not by time
    hard_negatives = families.template_family >= 0
    assert hard_negatives.sum() == round(0.06 * 400)


ORIGINAL = (  # 43 words of made-up news text
    "the minister said that the talks in geneva were useful and that both sides agreed to meet "
    "again next month to discuss security guarantees grain exports prisoner exchanges and the "
    "future of the treaty on conventional forces in europe which moscow left in"
)
WORDS = ORIGINAL.split()


def tiny_families() -> Families:
    edited = " ".join(["geneva" if w == "useful" else w for w in WORDS])
    prefix = " ".join(WORDS[: int(len(WORDS) * 0.6)])
    template = "On {} Zakharova will hold a briefing on {} in Moscow at noon"
    texts = [
        ORIGINAL,  # 0: original of family 0
        edited,  # 1: one substituted word (J >= 0.8)
        prefix,  # 2: a 60% prefix (J about 0.5)
        template.format("May 5", "the grain deal"),  # 3: template family 7
        template.format("June 9", "arms control talks"),  # 4: same template, other event
        template.format("May 5", "the grain deal"),  # 5: a copy of 3
        "an unrelated post about something else entirely",  # 6
    ]
    return Families(
        compared=texts,
        family=np.array([0, 0, 0, 9, 9, 9, 1]),
        template_family=np.array([-1, -1, -1, 7, 7, 7, -1]),
    )


def test_ground_truth_pairs_and_hard_negatives() -> None:
    truth = ground_truth(tiny_families(), CONFIG.dedup)
    labels = truth.labels
    assert labels[0] == labels[1] != labels[2]
    assert labels[3] == labels[5] != labels[4]
    assert len(set(labels.tolist())) == 5  # {0, 1}, {2}, {3, 5}, {4}, {6}
    # Template pairs below the threshold, not joined otherwise; a prefix is not a hard negative.
    hard = set(zip(truth.hard_left.tolist(), truth.hard_right.tolist(), strict=True))
    assert hard == {(3, 4), (4, 5)}


def test_ground_truth_follows_the_configured_threshold() -> None:
    loose = ground_truth(tiny_families(), replace(CONFIG.dedup, threshold=0.3))
    assert loose.labels[0] == loose.labels[1] == loose.labels[2]


def test_scores_count_pairs() -> None:
    truth = Truth(
        labels=np.array([0, 0, 0, 3, 4, 4]),
        hard_left=np.array([3]),
        hard_right=np.array([4]),
    )
    assert pairs_in(truth.labels) == 4
    perfect = score(truth.labels.copy(), truth)
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    assert perfect.hard_negative_merges == 0
    merged = score(np.zeros(6, dtype=np.int64), truth)  # everything in one cluster: 15 pairs
    assert merged.precision == pytest.approx(4 / 15)
    assert merged.recall == 1.0
    assert merged.hard_negative_merges == 1
    apart = score(np.arange(6), truth)
    assert (apart.precision, apart.recall, apart.f1) == (1.0, 0.0, 0.0)


def test_statemedia_adapter_labels_posts_in_read_order(
    small_corpus: tuple[Path, Families],
) -> None:
    work, families = small_corpus
    run = run_statemedia(work, CONFIG.dedup)
    truth = ground_truth(families, CONFIG.dedup)
    assert len(run.labels) == 400
    result = score(run.labels, truth)
    assert result.precision == 1.0  # every candidate is verified: no false merge
    assert result.hard_negative_merges == 0
    assert result.recall > 0.5
