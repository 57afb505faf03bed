"""The compared methods, all given the build's `[dedup]` settings (shingles, threshold, bands).

Each `run_<method>(work, config)` reads the corpus under `work/corpus`, clusters it and returns a
`Run`: a cluster label per post (in `read_corpus` order) and the wall and CPU seconds of the dedup
step (reading the corpus excluded). A method that needs its input written first has a step in
`PREPARATION` (datatrove: `prepare_datatrove_input`), timed the same way in its own child. They run
in child processes (`statemedia_bench.child`), so imports of the methods' libraries stay inside
them: the datatrove child runs in its own environment, which has neither datasketch nor xxhash 4.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from statemedia.config import DedupConfig
from statemedia_bench.clock import Stopwatch, Timing
from statemedia_bench.corpus import read_corpus
from statemedia_bench.truth import PAD_END, PAD_START


@dataclass(frozen=True)
class Run:
    """One method's clusters (a label per post) and timings."""

    labels: np.ndarray  # int64 per post: posts with one label are in one cluster
    read_s: float  # reading the corpus (not part of the dedup timing)
    dedup: Timing  # the dedup step: wall and CPU seconds
    stages: dict[str, Timing] = field(default_factory=dict)  # its parts, where a method has them
    counts: dict[str, int] = field(default_factory=dict)  # e.g. candidate pairs verified


class UnionFind:
    """Disjoint sets over 0..n-1 with path halving."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        """The root of x's set."""
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        """Put a and b in one set."""
        self.parent[self.find(a)] = self.find(b)

    def labels(self) -> np.ndarray:
        """The root of every element (int64): one label per set."""
        return np.array([self.find(i) for i in range(len(self.parent))], dtype=np.int64)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard of two sets given as sorted arrays of unique values (0.0 if both are empty)."""
    shared = np.intersect1d(a, b, assume_unique=True).size
    union = a.size + b.size - shared
    return shared / union if union else 0.0


def merge_verified(
    clusters: UnionFind,
    post: int,
    candidates: Iterable[int],
    sets: Sequence[np.ndarray],
    threshold: float,
) -> tuple[int, int]:
    """Merge `post` with each candidate whose exact shingle Jaccard with it is >= threshold.

    A candidate already in the post's cluster is not checked (it would change nothing). Returns
    (pairs checked, pairs rejected).
    """
    checked = rejected = 0
    for other in candidates:
        if clusters.find(post) == clusters.find(other):
            continue
        checked += 1
        if jaccard(sets[post], sets[other]) >= threshold:
            clusters.union(post, other)
        else:
            rejected += 1
    return checked, rejected


def boilerplate_lines(
    sources: Sequence[str], texts: Sequence[str], config: DedupConfig
) -> np.ndarray:
    """statemedia's boilerplate line keys for the corpus (pass 1), as `deduplicate` finds them."""
    from statemedia.dedup import BoilerplateCounter, text_batches

    counter = BoilerplateCounter(config.boilerplate_min_posts)
    for s in text_batches([len(t) for t in texts]):
        counter.add_batch(sources[s], texts[s])
    return counter.boilerplate()


def run_statemedia(work: Path, config: DedupConfig) -> Run:
    """`statemedia.dedup.deduplicate` on the posts in memory."""
    from statemedia.dedup import DedupItem, deduplicate

    t0 = time.perf_counter()
    posts = read_corpus(work / "corpus")
    items = [
        DedupItem(*row)
        for row in zip(posts.ids, posts.sources, posts.texts, posts.ranks, strict=True)
    ]
    posts.texts.clear()  # the items hold the texts now
    t1 = time.perf_counter()
    watch = Stopwatch()
    result = deduplicate(items, config)
    timing = watch.timing()
    index = {pid: i for i, pid in enumerate(posts.ids)}
    cluster_of = result.cluster_of()
    labels = np.array([index[cluster_of[pid]] for pid in posts.ids], dtype=np.int64)
    return Run(labels=labels, read_s=t1 - t0, dedup=timing)


def _run_datasketch(work: Path, config: DedupConfig, verify: bool) -> Run:
    """Our shingle sets into datasketch MinHash + MinHashLSH, query then insert, union-find over
    the hits; with `verify`, only over hits whose exact shingle Jaccard is >= threshold."""
    from datasketch import MinHash, MinHashLSH

    from statemedia.dedup import shingle_sets, text_batches

    t0 = time.perf_counter()
    posts = read_corpus(work / "corpus")
    sources, texts = posts.sources, posts.texts
    t1 = time.perf_counter()
    watch = Stopwatch()
    # Identical shingles: ours (boilerplate lines left out), hashed to 32 bits.
    boilerplate = boilerplate_lines(sources, texts, config)
    lsh = MinHashLSH(
        threshold=config.threshold, num_perm=config.num_perm, params=(config.bands, config.rows)
    )
    clusters = UnionFind(len(texts))
    sets: list[np.ndarray] = []  # with verify: every post's shingles (a view into its batch)
    hits = checked = rejected = 0
    # Permutations generated once, not per post.
    proto = MinHash(num_perm=config.num_perm, seed=config.seed)
    for s in text_batches([len(t) for t in texts]):
        values, offsets = shingle_sets(texts[s], sources[s], config, boilerplate)
        for j in range(s.stop - s.start):
            i = s.start + j
            shingles = values[offsets[j] : offsets[j + 1]]
            m = MinHash(
                num_perm=config.num_perm,
                seed=config.seed,
                hashfunc=int,
                permutations=proto.permutations,
                scheme=proto.scheme,
            )
            m.update_batch(shingles.tolist())
            found = lsh.query(m)
            hits += len(found)
            if verify:
                sets.append(shingles)
                c, r = merge_verified(clusters, i, found, sets, config.threshold)
                checked, rejected = checked + c, rejected + r
            else:
                for other in found:
                    clusters.union(i, other)
            lsh.insert(i, m, check_duplication=False)
    labels = clusters.labels()
    timing = watch.timing()
    counts = {"LSH hits": hits}  # pairs (post, earlier post) sharing a band
    if verify:  # hits not already in one cluster, and those of them below the threshold
        counts |= {"pairs verified": checked, "pairs rejected": rejected}
    return Run(labels=labels, read_s=t1 - t0, dedup=timing, counts=counts)


def run_datasketch(work: Path, config: DedupConfig) -> Run:
    """Our shingle sets into datasketch MinHash + MinHashLSH, union-find over the LSH hits."""
    return _run_datasketch(work, config, verify=False)


def run_datasketch_verify(work: Path, config: DedupConfig) -> Run:
    """As `run_datasketch`, but each LSH hit is merged only if its exact Jaccard >= threshold."""
    return _run_datasketch(work, config, verify=True)


def prepare_datatrove_input(work: Path, config: DedupConfig) -> Timing:
    """Our shingled words, padded, as datatrove JSONL (two files, one per core); returns the time
    taken after reading the corpus (boilerplate, shingled words, writing the JSONL)."""
    from statemedia.dedup import shingle_text, text_batches

    posts = read_corpus(work / "corpus")
    ids, sources, texts = posts.ids, posts.sources, posts.texts
    watch = Stopwatch()
    boilerplate = boilerplate_lines(sources, texts, config)
    dst = work / "datatrove_input"
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    half = (len(texts) + 1) // 2
    k = config.shingle_words
    pad = f"{' '.join([PAD_START] * (k - 1))} {{}} {' '.join([PAD_END] * (k - 1))}"
    handles = [open(dst / f"part-{p}.jsonl", "w", encoding="utf-8") for p in range(2)]  # noqa: SIM115
    for s in text_batches([len(t) for t in texts]):
        for j, words in enumerate(shingle_text(texts[s], sources[s], boilerplate)):
            i = s.start + j
            text = pad.format(words) if words else f"xxempty{i}"
            handles[i >= half].write(json.dumps({"id": ids[i], "text": text}) + "\n")
    for h in handles:
        h.close()
    (dst / "sizes.json").write_text(json.dumps([half, len(texts) - half]))
    return watch.timing()


def run_datatrove(work: Path, config: DedupConfig) -> Run:
    """datatrove's MinHash stages 1-3 (signatures, buckets, clusters) on `prepare_datatrove_input`."""
    from datatrove.executor import LocalPipelineExecutor  # type: ignore[import-not-found]
    from datatrove.pipeline.dedup.minhash import (  # type: ignore[import-not-found]
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader  # type: ignore[import-not-found]
    from datatrove.utils.text import TextNormConfig  # type: ignore[import-not-found]
    from datatrove.utils.word_tokenizers import WordTokenizer  # type: ignore[import-not-found]

    class Whitespace(WordTokenizer):  # our words are already normalised and space-separated
        def word_tokenize(self, text: str) -> list[str]:
            return text.split()

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [(0, len(text))]

    src = work / "datatrove_input"
    out = work / "datatrove_out"
    shutil.rmtree(out, ignore_errors=True)
    norm = TextNormConfig(norm_numbers=False, norm_unicode_diacritics=False)
    mh_config = MinhashConfig(
        n_grams=config.shingle_words,
        num_buckets=config.bands,
        hashes_per_bucket=config.rows,
        seed=config.seed,
        norm_config=norm,
    )
    files = sorted(p.name for p in src.glob("*.jsonl"))
    common = {"start_method": "fork"}  # each stage its own logging_dir: completions are per dir
    stages: dict[str, Timing] = {}
    watch = step = Stopwatch()
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(src), glob_pattern="*.jsonl", doc_progress=False),
            MinhashDedupSignature(str(out / "sigs"), config=mh_config, language=Whitespace()),
        ],
        tasks=len(files),
        workers=2,
        logging_dir=str(out / "logs" / "signatures"),
        **common,
    ).run()
    stages["1 signatures"], step = step.timing(), Stopwatch()
    LocalPipelineExecutor(
        pipeline=[MinhashDedupBuckets(str(out / "sigs"), str(out / "buckets"), config=mh_config)],
        tasks=mh_config.num_buckets,
        workers=2,
        logging_dir=str(out / "logs" / "buckets"),
        **common,
    ).run()
    stages["2 buckets"], step = step.timing(), Stopwatch()
    LocalPipelineExecutor(
        pipeline=[
            MinhashDedupCluster(
                str(out / "buckets"), str(out / "clusters"), config=mh_config, save_cluster_id=True
            )
        ],
        tasks=1,
        logging_dir=str(out / "logs" / "clusters"),
        **common,
    ).run()
    stages["3 clusters"] = step.timing()
    timing = watch.timing()
    sizes = json.loads((src / "sizes.json").read_text())
    first = np.concatenate(([0], np.cumsum(sizes)))
    labels = np.arange(first[-1], dtype=np.int64)
    for rank in range(len(files)):
        path = out / "clusters" / f"{rank:06d}.clusters"
        if path.exists():
            pairs = np.fromfile(path, dtype="<u4").reshape(-1, 2).astype(np.int64)
            labels[first[rank] + pairs[:, 0]] = first[-1] + pairs[:, 1]
    return Run(labels=labels, read_s=0.0, dedup=timing, stages=stages)


METHODS: dict[str, Callable[[Path, DedupConfig], Run]] = {
    "statemedia": run_statemedia,
    "datasketch": run_datasketch,
    "datasketch+verify": run_datasketch_verify,
    "datatrove": run_datatrove,
}

PREPARATION: dict[str, Callable[[Path, DedupConfig], Timing]] = {
    "datatrove": prepare_datatrove_input,
}
"""Input a method needs written before it runs, timed apart (run in the project's environment)."""
