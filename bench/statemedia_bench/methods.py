"""The compared methods, all given the build's `[dedup]` settings (shingles, threshold, bands).

Each `run_<method>(work, config)` reads the corpus under `work/corpus`, clusters it and returns a
`Run`: a cluster label per post (in `read_corpus` order) and the seconds spent. They run in child
processes (`statemedia_bench.child`), so imports of the methods' libraries stay inside them: the
datatrove child runs in its own environment, which has neither datasketch nor xxhash 4.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from statemedia.config import DedupConfig
from statemedia_bench.corpus import read_corpus
from statemedia_bench.truth import PAD_END, PAD_START


@dataclass(frozen=True)
class Run:
    """One method's clusters (a label per post) and timings."""

    labels: np.ndarray  # int64 per post: posts with one label are in one cluster
    read_s: float  # reading the corpus (not part of "dedup s")
    dedup_s: float


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
    """`statemedia.dedup.deduplicate` on the posts in memory, one process."""
    from statemedia.dedup import DedupItem, deduplicate

    t0 = time.perf_counter()
    posts = read_corpus(work / "corpus")
    items = [
        DedupItem(*row)
        for row in zip(posts.ids, posts.sources, posts.texts, posts.ranks, strict=True)
    ]
    posts.texts.clear()  # the items hold the texts now
    t1 = time.perf_counter()
    result = deduplicate(items, config)
    t2 = time.perf_counter()
    index = {pid: i for i, pid in enumerate(posts.ids)}
    labels = np.array([index[result.cluster_of[pid]] for pid in posts.ids], dtype=np.int64)
    return Run(labels=labels, read_s=t1 - t0, dedup_s=t2 - t1)


def run_datasketch(work: Path, config: DedupConfig) -> Run:
    """Our shingle sets into datasketch MinHash + MinHashLSH, union-find over the hits."""
    from datasketch import MinHash, MinHashLSH

    from statemedia.dedup import shingle_sets, text_batches

    t0 = time.perf_counter()
    posts = read_corpus(work / "corpus")
    sources, texts = posts.sources, posts.texts
    t1 = time.perf_counter()
    # Identical shingles: ours (boilerplate lines left out), hashed to 32 bits.
    boilerplate = boilerplate_lines(sources, texts, config)
    lsh = MinHashLSH(
        threshold=config.threshold, num_perm=config.num_perm, params=(config.bands, config.rows)
    )
    parent = list(range(len(texts)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    # Permutations generated once, not per post.
    proto = MinHash(num_perm=config.num_perm, seed=config.seed)
    for s in text_batches([len(t) for t in texts]):
        values, offsets = shingle_sets(texts[s], sources[s], config, boilerplate)
        for j in range(s.stop - s.start):
            i = s.start + j
            m = MinHash(
                num_perm=config.num_perm,
                seed=config.seed,
                hashfunc=int,
                permutations=proto.permutations,
                scheme=proto.scheme,
            )
            m.update_batch(values[offsets[j] : offsets[j + 1]].tolist())
            for other in lsh.query(m):
                parent[find(i)] = find(other)
            lsh.insert(i, m, check_duplication=False)
    labels = np.array([find(i) for i in range(len(texts))], dtype=np.int64)
    return Run(labels=labels, read_s=t1 - t0, dedup_s=time.perf_counter() - t1)


def prepare_datatrove_input(work: Path, config: DedupConfig) -> None:
    """Our shingled words, padded, as datatrove JSONL (two files, one per core); not timed."""
    from statemedia.dedup import shingle_text, text_batches

    posts = read_corpus(work / "corpus")
    ids, sources, texts = posts.ids, posts.sources, posts.texts
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
    t0 = time.perf_counter()
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
    LocalPipelineExecutor(
        pipeline=[MinhashDedupBuckets(str(out / "sigs"), str(out / "buckets"), config=mh_config)],
        tasks=mh_config.num_buckets,
        workers=2,
        logging_dir=str(out / "logs" / "buckets"),
        **common,
    ).run()
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
    seconds = time.perf_counter() - t0
    sizes = json.loads((src / "sizes.json").read_text())
    first = np.concatenate(([0], np.cumsum(sizes)))
    labels = np.arange(first[-1], dtype=np.int64)
    for rank in range(len(files)):
        path = out / "clusters" / f"{rank:06d}.clusters"
        if path.exists():
            pairs = np.fromfile(path, dtype="<u4").reshape(-1, 2).astype(np.int64)
            labels[first[rank] + pairs[:, 0]] = first[-1] + pairs[:, 1]
    return Run(labels=labels, read_s=0.0, dedup_s=seconds)


METHODS: dict[str, Callable[[Path, DedupConfig], Run]] = {
    "statemedia": run_statemedia,
    "datasketch": run_datasketch,
    "datatrove": run_datatrove,
}
