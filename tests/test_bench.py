"""Tests for the pure parts of the benchmark package (bench/statemedia_bench): the corpus generator
is deterministic and its families line up with the posts as read, the ground truth follows the
configured threshold, scoring counts pairs exactly, the datasketch+verify step merges only pairs at
or above the threshold, datatrove's input preparation reports its time, and the tables add the
preparation to datatrove's stages. No timing is asserted; no datatrove environment is needed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from statemedia.config import load_config
from statemedia_bench import child
from statemedia_bench.clock import Timing, busy_jiffies
from statemedia_bench.corpus import Families, generate, read_corpus
from statemedia_bench.dedup import (
    PREPARATION_STAGE,
    Measured,
    Row,
    counts_text,
    stage_table,
    table,
    then,
)
from statemedia_bench.methods import (
    UnionFind,
    jaccard,
    merge_verified,
    run_datasketch_verify,
    run_statemedia,
)
from statemedia_bench.score import Score, pairs_in, score
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


def shingles(*values: int) -> np.ndarray:
    return np.array(sorted(set(values)), dtype=np.uint32)


def test_jaccard_of_sorted_sets() -> None:
    assert jaccard(shingles(1, 2, 3, 4), shingles(3, 4, 5)) == pytest.approx(2 / 5)
    assert jaccard(shingles(1, 2), shingles(1, 2)) == 1.0
    assert jaccard(shingles(), shingles()) == 0.0  # two empty sets match nothing
    assert jaccard(shingles(1), shingles()) == 0.0


def test_verification_merges_only_pairs_at_or_above_the_threshold() -> None:
    sets = [
        shingles(*range(10)),  # 0
        shingles(*range(9), 10),  # 1: J(0, 1) = 9 / 11 = 0.82
        shingles(*range(7), 20, 21, 22),  # 2: J(0, 2) = 7 / 13 = 0.54, J(1, 2) = 7 / 14
        shingles(*range(8), 30, 31),  # 3: J(0, 3) = 8 / 12 = 0.67
        shingles(*range(10), 40, 41),  # 4: J(0, 4) = 10 / 12 = 0.83, J(1, 4) = 9 / 13 = 0.69
    ]
    clusters = UnionFind(len(sets))
    assert merge_verified(clusters, 1, [0], sets, 0.8) == (1, 0)
    assert merge_verified(clusters, 2, [0, 1], sets, 0.8) == (2, 2)  # both candidates rejected
    assert merge_verified(clusters, 3, [0], sets, 0.8) == (1, 1)
    # 4 joins 0's cluster through 0; 1 is then in the same cluster and is not checked.
    assert merge_verified(clusters, 4, [0, 1], sets, 0.8) == (1, 0)
    labels = clusters.labels()
    assert labels[0] == labels[1] == labels[4]
    assert len(set(labels.tolist())) == 3  # {0, 1, 4}, {2}, {3}
    assert merge_verified(UnionFind(5), 3, [0], sets, 0.6) == (1, 0)  # the threshold decides


def test_datasketch_verify_adapter_makes_no_false_merge(
    small_corpus: tuple[Path, Families],
) -> None:
    work, families = small_corpus
    run = run_datasketch_verify(work, CONFIG.dedup)
    result = score(run.labels, ground_truth(families, CONFIG.dedup))
    assert len(run.labels) == 400
    assert result.precision == 1.0
    assert result.hard_negative_merges == 0
    assert run.counts["pairs verified"] <= run.counts["LSH hits"]
    assert run.counts["pairs rejected"] <= run.counts["pairs verified"]


def test_datatrove_input_preparation_is_timed_in_its_child(
    small_corpus: tuple[Path, Families],
) -> None:
    work, _ = small_corpus
    assert child.main(["--prepare", "datatrove", str(work), str(REPO / "statemedia.toml")]) == 0
    stats = json.loads((work / "datatrove.prepare.json").read_text())
    assert set(stats["dedup"]) == {"wall_s", "cpu_s"}
    lines = [
        json.loads(line)
        for part in sorted((work / "datatrove_input").glob("*.jsonl"))
        for line in part.read_text().splitlines()
    ]
    assert len(lines) == 400
    assert json.loads((work / "datatrove_input" / "sizes.json").read_text()) == [200, 200]


def test_busy_jiffies_leave_out_idle_and_iowait() -> None:
    assert busy_jiffies("cpu  10 2 3 1000 50 4 5 6 7 0") == 10 + 2 + 3 + 4 + 5 + 6
    with pytest.raises(ValueError):
        busy_jiffies("cpu0 1 2 3 4 5 6 7 8")


def measured(wall: float, cpu: float, **stages: Timing) -> Measured:
    return Measured(
        step=Timing(wall, cpu),
        process_wall_s=wall + 1,
        process_cpu_s=cpu + 1,
        others_cpu_s=0.5,
        load_before=1.0,
        load_after=2.0,
        peak_rss_mib=100.0,
        stages=stages,
        counts={"LSH hits": 12},
    )


def test_tables_show_datatrove_without_and_with_its_input_preparation() -> None:
    prep = replace(measured(4.0, 4.0), stages={PREPARATION_STAGE: Timing(4.0, 4.0)})
    stages = measured(6.0, 9.0, **{"1 signatures": Timing(5.0, 8.0), "3 clusters": Timing(1, 1)})
    both = then(prep, stages)
    assert both.step == Timing(10.0, 13.0)
    assert (both.process_wall_s, both.process_cpu_s, both.others_cpu_s) == (12.0, 15.0, 1.0)
    assert (both.load_before, both.load_after) == (1.0, 2.0)
    assert list(both.stages) == [PREPARATION_STAGE, "1 signatures", "3 clusters"]
    perfect = Score(precision=1.0, recall=1.0, f1=1.0, hard_negative_merges=0)
    rows = [
        Row("statemedia", measured(2.0, 2.0), perfect),
        Row("datatrove", stages, perfect),
        Row("datatrove incl. input prep", both, perfect),
    ]
    main = table(rows, 1000).splitlines()
    assert main[0].startswith("| method | wall s | CPU s | CPU/wall | posts/s | posts/CPU-s |")
    assert main[3].startswith("| datatrove | 6.0 | 9.0 | 1.50 | 167 | 111 | 10.0 | 0.07 |")
    assert main[4].startswith("| datatrove incl. input prep | 10.0 | 13.0 | 1.30 | 100 | 77 |")
    steps = stage_table(rows, 1000).splitlines()[2:]
    assert [line.split(" | ")[1] for line in steps] == [
        PREPARATION_STAGE,
        "1 signatures",
        "3 clusters",
        "stages together (the `datatrove` row)",
        "all (the `datatrove incl. input prep` row)",
    ]
    assert counts_text(rows).splitlines() == [
        "- statemedia: LSH hits 12",
        "- datatrove: LSH hits 12",
    ]
