"""Benchmark near-duplicate detection on a synthetic Telegram-export corpus with ground truth.

Generates N posts into bench/.work/dedup-<N>/ (Markov text trained on seeds/*.txt at run time) with
exact copies, near copies (small edits, truncations, channel footers), reprints by another outlet,
heavy rewrites and templated hard negatives; then runs, each in its own subprocess so peak RSS is
per method: our `statemedia.dedup`, datasketch MinHashLSH and HF datatrove's MinHash pipeline (in
bench/.venv-datatrove, created on demand from bench/requirements-datatrove.txt). It ends with one
summary line per method.

    .venv/bin/python scripts/bench_dedup.py --posts 200000 [--results bench/RESULTS.md]

Ground truth (see bench/README.md): pairs in one generated family whose exact Jaccard of padded word
5-gram sets, on the text without generated channel footers, is >= the threshold; truth clusters are
the connected components of those pairs. Pair precision/recall compare "same cluster" pairs with
them. A hard-negative merge is a pair from one template family, below the threshold, put in one
cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
DT_VENV = BENCH / ".venv-datatrove"
DT_REQUIREMENTS = BENCH / "requirements-datatrove.txt"
N_CHANNELS = 300
FOOTER_CHANNEL_SHARE = 0.4
PAD_START, PAD_END = "xxbos", "xxeos"  # datatrove gets our padded words as plain text
METHODS = ("statemedia", "datasketch", "datatrove")
THRESHOLD = 0.8
SHINGLE = 5
BANDS, ROWS = 16, 8

# Shares of N (the rest are unique originals).
SHARES = {
    "exact": 0.05,  # same text, re-formatted (case, punctuation, spacing)
    "edit": 0.05,  # 1-3 words substituted, deleted or inserted
    "truncation": 0.02,  # a prefix keeping 70-97% of the words
    "footer": 0.03,  # same text posted by a channel that appends its footer
    "reprint": 0.02,  # another outlet's attribution line
    "rewrite": 0.02,  # 25-40% of the words replaced (a family member, usually below threshold)
    "template": 0.06,  # hard negatives: template families in one channel
}
KIND_CODES = {k: i for i, k in enumerate(["original", *SHARES])}


# --------------------------------------------------------------------------------------------------
# Corpus generation


class Markov:
    """Order-1 word Markov chain over the seed texts, sampled in numpy for many posts at once."""

    def __init__(self, seed_dir: Path) -> None:
        words: list[str] = []
        for path in sorted(seed_dir.glob("*.txt")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if "{{" not in line and len(line.split()) > 3:
                    words.extend(line.split())
        vocab, ids = np.unique(np.array(words, dtype=object), return_inverse=True)
        self.vocab = vocab
        order = np.argsort(ids[:-1], kind="stable")
        self.succ = ids[1:][order]
        counts = np.bincount(ids[:-1], minlength=len(vocab))
        self.start = np.concatenate(([0], np.cumsum(counts)))[:-1]
        self.count = counts
        self.n_words = len(words)

    def sample(self, rng: np.random.Generator, lengths: np.ndarray) -> list[list[str]]:
        n, longest = len(lengths), int(lengths.max()) if len(lengths) else 0
        out = np.empty((n, longest), dtype=np.int64)
        state = rng.integers(0, len(self.vocab), n)
        for step in range(longest):
            out[:, step] = state
            has_next = self.count[state] > 0
            pick = self.start[state] + (rng.random(n) * np.maximum(self.count[state], 1)).astype(
                int
            )
            state = np.where(has_next, self.succ[np.minimum(pick, len(self.succ) - 1)], 0)
            restart = ~has_next | (rng.random(n) < 0.02)
            state[restart] = rng.integers(0, len(self.vocab), int(restart.sum()))
        return [self.vocab[out[i, : lengths[i]]].tolist() for i in range(n)]


def lines_of(words: list[str], rng: np.random.Generator) -> str:
    """Join words into lines of 8-30 words, like paragraphs of a post."""
    parts, i = [], 0
    while i < len(words):
        step = int(rng.integers(8, 31))
        parts.append(" ".join(words[i : i + step]))
        i += step
    return "\n".join(parts)


CITIES = ["MOSCOW", "UNITED NATIONS", "BEIJING", "MINSK", "ANKARA", "CAIRO", "BAKU", "TEHRAN"]
OUTLETS = ["TASS", "RIA Novosti", "Sputnik", "RT", "Interfax", "Izvestia"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August"]
MONTHS += ["September", "October", "November", "December"]
REGIONS = ["Moscow", "St. Petersburg", "Kazan", "Novosibirsk", "Crimea", "Tula", "Omsk", "Sochi"]
SPEAKERS = [
    "Russia's Foreign Minister Sergey Lavrov's",
    "Foreign Ministry Spokeswoman Maria Zakharova's",
    "Deputy Foreign Minister Sergey Ryabkov's",
    "Permanent Representative Vassily Nebenzia's",
]


def reformat(text: str, rng: np.random.Generator) -> str:
    """Same words, different surface: case, punctuation, spacing (an exact copy after normalising)."""
    choice = int(rng.integers(0, 3))
    if choice == 0:
        return text.upper()
    if choice == 1:
        return re.sub(r"([.,;:])", r"\1\1", text).replace(" ", "  ") + " !!"
    return "\n".join(f"» {line} «" for line in text.split("\n"))


def edit(words: list[str], rng: np.random.Generator, n_ops: int, pool: list[str]) -> list[str]:
    """Substitute, delete or insert `n_ops` single words at random positions."""
    words = list(words)
    for _ in range(n_ops):
        pos = int(rng.integers(0, len(words)))
        op = int(rng.integers(0, 3))
        new = pool[int(rng.integers(0, len(pool)))]
        if op == 0:
            words[pos] = new
        elif op == 1 and len(words) > 5:
            del words[pos]
        else:
            words.insert(pos, new)
    return words


def template_family(kind: int, size: int, rng: np.random.Generator, markov: Markov) -> list[str]:
    """Posts that share a template but announce different things (hard negatives)."""
    posts = []
    if kind == 0:  # `#LIVE` notices, as in seeds/004
        events = markov.sample(rng, rng.integers(6, 14, size))
        outlet = OUTLETS[int(rng.integers(0, len(OUTLETS)))]
        for ev in events:
            speaker = SPEAKERS[int(rng.integers(0, len(SPEAKERS)))]
            posts.append(
                f"🔴 #LIVE: {speaker} remarks at {' '.join(ev)}\n\n🔴 X (ex-Twitter)\n\n"
                f"🔴 Facebook\n\n🔴 {outlet} website\n\n🔴 Ruptly"
            )
    elif kind == 1:  # bulletins that differ only in figures, dates and places
        country = ["Russia", "Belarus", "Kazakhstan", "Armenia"][int(rng.integers(0, 4))]
        for _ in range(size):
            n = rng.integers(100, 30000, 5)
            month, day = MONTHS[int(rng.integers(0, 12))], int(rng.integers(1, 29))
            region = REGIONS[int(rng.integers(0, len(REGIONS)))]
            posts.append(
                f"{country} reports {n[0]:,} daily COVID-19 cases\nOver the past day, {n[1]:,} "
                f"people recovered and {n[2]:,} died in {region}, the crisis centre said on {month} "
                f"{day}. In total, {n[3]:,} people have been diagnosed with the infection since the "
                f"start of the pandemic, and {n[4]:,} have recovered."
            )
    elif kind == 2:  # a long shared paragraph and a short varying one
        shared = lines_of(markov.sample(rng, np.array([int(rng.integers(35, 50))]))[0], rng)
        for words in markov.sample(rng, rng.integers(15, 30, size)):
            posts.append(f"{shared}\n{' '.join(words)}")
    else:  # briefing announcements; a topic phrase keeps two families from colliding by chance
        for topic in markov.sample(rng, rng.integers(5, 10, size)):
            month, day = MONTHS[int(rng.integers(0, 12))], int(rng.integers(1, 29))
            hour, until = int(rng.integers(1, 12)), int(rng.integers(1, 12))
            city = ["Moscow", "Saransk", "Kaliningrad", "Vladivostok"][int(rng.integers(0, 4))]
            posts.append(
                f"🎙 On {month} {day}, Foreign Ministry Spokeswoman Maria Zakharova will hold a "
                f"briefing on {' '.join(topic)} in {city}.\n🕖 {hour}.00 pm Moscow "
                f"time\nFor accreditation inquiries, please contact the MFA Press Centre. "
                f"Accreditation is open until {until}.00 am on {month} {max(day - 1, 1)}."
            )
    return posts


def generate(n_posts: int, seed: int, out: Path) -> dict[str, np.ndarray]:
    """Write the corpus as one Telegram export (result.json) per channel; return the ground truth."""
    rng = np.random.default_rng(seed)
    markov = Markov(ROOT / "seeds")
    pool = markov.vocab.tolist()
    footer_channels = rng.random(N_CHANNELS) < FOOTER_CHANNEL_SHARE
    footers = [
        f"Subscribe: @channel_{c:03d} | " + " ".join(markov.sample(rng, np.array([12]))[0])
        if footer_channels[c]
        else ""
        for c in range(N_CHANNELS)
    ]
    counts = {k: round(share * n_posts) for k, share in SHARES.items()}
    n_orig = n_posts - sum(counts.values())
    lengths = np.clip(rng.lognormal(4.2, 0.6, n_orig).astype(int), 15, 400)
    content: list[str] = []
    # What the truth compares: the content without lines the generator adds as boilerplate, i.e.
    # channel footers (added at writing) and "<Outlet> reports:" reprint headers.
    truth_text: dict[int, str] = {}
    kind: list[int] = []
    family: list[int] = []
    tfamily: list[int] = []
    channel: list[int] = []
    for words in markov.sample(rng, lengths):
        body = lines_of(words, rng)
        if rng.random() < 0.5:  # news style: an attribution line, as TASS writes it
            month, day = MONTHS[int(rng.integers(0, 12))], int(rng.integers(1, 29))
            city = CITIES[int(rng.integers(0, len(CITIES)))]
            body = f"{city}, {month} {day}. /TASS/.\n{body}"
        content.append(body)
    kind += [0] * n_orig
    family += list(range(n_orig))
    tfamily += [-1] * n_orig
    channel += rng.integers(0, N_CHANNELS, n_orig).tolist()

    def other_channel(c: int, want_footer: bool | None = None) -> int:
        while True:
            d = int(rng.integers(0, N_CHANNELS))
            if d != c and (want_footer is None or footer_channels[d] == want_footer):
                return d

    for name in ("exact", "edit", "truncation", "footer", "reprint", "rewrite"):
        for src in rng.integers(0, n_orig, counts[name]).tolist():
            text, c = content[src], channel[src]
            if name == "exact":
                new, c = reformat(text, rng), (c if rng.random() < 0.5 else other_channel(c))
            elif name == "edit":
                new = lines_of(edit(text.split(), rng, int(rng.integers(1, 4)), pool), rng)
                c = other_channel(c)
            elif name == "truncation":
                words = text.split()
                new = lines_of(words[: max(5, int(len(words) * rng.uniform(0.7, 0.97)))], rng)
                c = other_channel(c)
            elif name == "footer":
                new, c = text, other_channel(c, want_footer=True)
            elif name == "reprint":
                outlet = OUTLETS[int(rng.integers(1, len(OUTLETS)))]
                first, _, rest = text.partition("\n")
                if "/TASS/" in first:
                    new = f"{first.replace('. /TASS/.', f' ({outlet}) -')}\n{rest}"
                    c = other_channel(c)
                else:  # the outlet's own aggregator channel, which always uses this header
                    new = f"{outlet} reports:\n{text}"
                    truth_text[len(content)] = text
                    c = OUTLETS.index(outlet)
            else:
                words = text.split()
                n_ops = max(1, int(len(words) * rng.uniform(0.25, 0.4)))
                new = lines_of(edit(words, rng, n_ops, pool), rng)
                c = other_channel(c)
            content.append(new)
            kind.append(KIND_CODES[name])
            family.append(src)
            tfamily.append(-1)
            channel.append(c)
    made, fam_id = 0, 0
    while made < counts["template"]:
        size = min(int(rng.integers(5, 41)), counts["template"] - made)
        c = int(rng.integers(0, N_CHANNELS))
        for text in template_family(fam_id % 4, size, rng, markov):
            content.append(text)
            kind.append(KIND_CODES["template"])
            family.append(n_posts + fam_id)  # its own family, never an original's
            tfamily.append(fam_id)
            channel.append(c)
        made += size
        fam_id += 1

    n = len(content)
    with_footer = np.array([footer_channels[c] for c in channel]) & (rng.random(n) < 0.9)
    # Posting time: originals over a year, copies after their original.
    day = rng.uniform(0, 365, n)
    fam = np.array(family)
    is_copy = (np.array(kind) != 0) & (np.array(tfamily) < 0)
    day[is_copy] = day[fam[is_copy]] + rng.uniform(0.01, 3, int(is_copy.sum()))
    order = np.lexsort((day, np.array(channel)))  # the global order: by channel, then time
    out.mkdir(parents=True, exist_ok=True)
    epoch = datetime(2024, 1, 1, tzinfo=UTC)
    start = 0
    chan = np.array(channel)[order]
    for c in range(N_CHANNELS):
        stop = int(np.searchsorted(chan, c, "right"))
        messages = []
        for msg_id, i in enumerate(order[start:stop].tolist(), start=1):
            when = epoch + timedelta(days=float(day[i]))
            text = content[i] + (f"\n\n{footers[channel[i]]}" if with_footer[i] else "")
            messages.append(telegram_message(msg_id, when, f"Channel {c:03d}", c, text))
        export = {
            "name": f"Channel {c:03d}",
            "type": "public_channel",
            "id": 1_000_000 + c,
            "messages": messages,
        }
        path = out / f"channel_{c:03d}" / "result.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
        start = stop
    compared = [truth_text.get(i, content[i]) for i in order.tolist()]
    return ground_truth(compared, fam[order], np.array(tfamily)[order])


def telegram_message(msg_id: int, when: datetime, name: str, c: int, text: str) -> dict:
    """One message as Telegram Desktop exports it: text as plain runs and entities."""
    entities = []
    for token in re.split(r"(@\w+|#\w+)", text):
        if not token:
            continue
        kind = (
            "mention" if token.startswith("@") else "hashtag" if token.startswith("#") else "plain"
        )
        entities.append({"type": kind, "text": token})
    return {
        "id": msg_id,
        "type": "message",
        "date": when.strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(int(when.timestamp())),
        "from": name,
        "from_id": f"channel{1_000_000 + c}",
        "text": [e["text"] if e["type"] == "plain" else e for e in entities],
        "text_entities": entities,
    }


def read_corpus(corpus: Path) -> tuple[list[str], list[str], list[str], list[tuple]]:
    """Post ids, sources, texts and keep-ranks (earliest first) in the global order."""
    ids, sources, texts, ranks = [], [], [], []
    for path in sorted(corpus.glob("channel_*/result.json")):
        export = json.loads(path.read_text(encoding="utf-8"))
        source = path.parent.name
        for m in export["messages"]:
            post_id = f"{source}:{m['id']}"
            ids.append(post_id)
            sources.append(source)
            texts.append("".join(e["text"] for e in m["text_entities"]))
            ranks.append((m["date_unixtime"], post_id))
    return ids, sources, texts, ranks


# --------------------------------------------------------------------------------------------------
# Ground truth and scoring


def reference_shingles(text: str) -> set[int]:
    """Padded word 5-grams, computed independently of statemedia.dedup (same definition)."""
    words = re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())
    padded = [PAD_START] * (SHINGLE - 1) + words + [PAD_END] * (SHINGLE - 1)
    return {hash(tuple(padded[i : i + SHINGLE])) for i in range(len(padded) - SHINGLE + 1)}


def ground_truth(content: list[str], family: np.ndarray, tfamily: np.ndarray) -> dict:
    """Truth clusters (components of within-family pairs with J >= threshold) and hard negatives."""
    n = len(content)
    parent = np.arange(n)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    order = np.argsort(family, kind="stable")
    bounds = np.flatnonzero(np.diff(family[order])) + 1
    hard_left, hard_right = [], []
    for members in np.split(order, bounds):
        if len(members) < 2:
            continue
        sets = [reference_shingles(content[i]) for i in members]
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                x, y = sets[a], sets[b]
                j = len(x & y) / len(x | y)
                i, k = int(members[a]), int(members[b])
                if j >= THRESHOLD:
                    parent[find(i)] = find(k)
                elif tfamily[i] >= 0:
                    hard_left.append(i)
                    hard_right.append(k)
    roots = np.array([find(i) for i in range(n)])
    hl, hr = np.array(hard_left, dtype=np.int64), np.array(hard_right, dtype=np.int64)
    keep = roots[hl] != roots[hr]  # a pair below threshold may still be joined through others
    return {"truth": roots, "hard_left": hl[keep], "hard_right": hr[keep]}


def pairs_in(labels: np.ndarray) -> int:
    _, sizes = np.unique(labels, return_counts=True)
    return int((sizes * (sizes - 1) // 2).sum())


def score(pred: np.ndarray, truth: dict) -> dict:
    """Pair precision, recall, F1 against truth clusters, and hard-negative pairs merged."""
    t = truth["truth"]
    joint = t.astype(np.int64) * (int(pred.max()) + 1) + pred.astype(np.int64)
    tp, predicted, actual = pairs_in(joint), pairs_in(pred), pairs_in(t)
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    hard = int((pred[truth["hard_left"]] == pred[truth["hard_right"]]).sum())
    return {"precision": precision, "recall": recall, "f1": f1, "hard_negative_merges": hard}


# --------------------------------------------------------------------------------------------------
# Methods (each runs in a child process: `--child METHOD`)


def peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def run_statemedia(work: Path) -> dict:
    from statemedia.dedup import DedupConfig, DedupItem, deduplicate

    t0 = time.perf_counter()
    ids, sources, texts, ranks = read_corpus(work / "corpus")
    items = [DedupItem(*row) for row in zip(ids, sources, texts, ranks, strict=True)]
    del texts
    t1 = time.perf_counter()
    result = deduplicate(items, DedupConfig())
    t2 = time.perf_counter()
    index = {pid: i for i, pid in enumerate(ids)}
    labels = np.array([index[result.cluster_of[pid]] for pid in ids], dtype=np.int64)
    return {"labels": labels, "read_s": t1 - t0, "dedup_s": t2 - t1}


def run_datasketch(work: Path) -> dict:
    from datasketch import MinHash, MinHashLSH

    from statemedia.dedup import BoilerplateCounter, DedupConfig, shingle_sets, text_batches

    cfg = DedupConfig()
    t0 = time.perf_counter()
    _, sources, texts, _ = read_corpus(work / "corpus")
    t1 = time.perf_counter()
    # Identical shingles: ours (boilerplate lines left out), hashed to 32 bits.
    counter = BoilerplateCounter(cfg.boilerplate_min_posts)
    spans = list(text_batches([len(t) for t in texts]))
    for s in spans:
        counter.add_batch(sources[s], texts[s])
    boilerplate = counter.boilerplate()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=128, params=(BANDS, ROWS))
    parent = list(range(len(texts)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    proto = MinHash(num_perm=128, seed=1)  # permutations generated once, not per post
    for s in spans:
        values, offsets = shingle_sets(texts[s], sources[s], cfg, boilerplate)
        for j in range(s.stop - s.start):
            i = s.start + j
            m = MinHash(
                num_perm=128,
                seed=1,
                hashfunc=int,
                permutations=proto.permutations,
                scheme=proto.scheme,
            )
            m.update_batch(values[offsets[j] : offsets[j + 1]].tolist())
            for other in lsh.query(m):
                parent[find(i)] = find(other)
            lsh.insert(i, m, check_duplication=False)
    labels = np.array([find(i) for i in range(len(texts))], dtype=np.int64)
    return {"labels": labels, "read_s": t1 - t0, "dedup_s": time.perf_counter() - t1}


def run_datatrove(work: Path) -> dict:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.utils.text import TextNormConfig
    from datatrove.utils.word_tokenizers import WordTokenizer

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
    config = MinhashConfig(
        n_grams=SHINGLE, num_buckets=BANDS, hashes_per_bucket=ROWS, seed=1, norm_config=norm
    )
    files = sorted(p.name for p in src.glob("*.jsonl"))
    common = {"start_method": "fork"}  # each stage its own logging_dir: completions are per dir
    t0 = time.perf_counter()
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(src), glob_pattern="*.jsonl", doc_progress=False),
            MinhashDedupSignature(str(out / "sigs"), config=config, language=Whitespace()),
        ],
        tasks=len(files),
        workers=2,
        logging_dir=str(out / "logs" / "signatures"),
        **common,
    ).run()
    LocalPipelineExecutor(
        pipeline=[MinhashDedupBuckets(str(out / "sigs"), str(out / "buckets"), config=config)],
        tasks=config.num_buckets,
        workers=2,
        logging_dir=str(out / "logs" / "buckets"),
        **common,
    ).run()
    LocalPipelineExecutor(
        pipeline=[
            MinhashDedupCluster(
                str(out / "buckets"), str(out / "clusters"), config=config, save_cluster_id=True
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
    return {"labels": labels, "read_s": 0.0, "dedup_s": seconds}


def prepare_datatrove_input(work: Path) -> None:
    """Our shingled words, padded, as datatrove JSONL (two files, one per core)."""
    from statemedia.dedup import BoilerplateCounter, DedupConfig, shingle_text, text_batches

    cfg = DedupConfig()
    ids, sources, texts, _ = read_corpus(work / "corpus")
    counter = BoilerplateCounter(cfg.boilerplate_min_posts)
    spans = list(text_batches([len(t) for t in texts]))
    for s in spans:
        counter.add_batch(sources[s], texts[s])
    boilerplate = counter.boilerplate()
    dst = work / "datatrove_input"
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    half = (len(texts) + 1) // 2
    pad = f"{' '.join([PAD_START] * (SHINGLE - 1))} {{}} {' '.join([PAD_END] * (SHINGLE - 1))}"
    handles = [open(dst / f"part-{k}.jsonl", "w", encoding="utf-8") for k in range(2)]  # noqa: SIM115
    for s in spans:
        for j, words in enumerate(shingle_text(texts[s], sources[s], boilerplate)):
            i = s.start + j
            text = pad.format(words) if words else f"xxempty{i}"
            handles[i >= half].write(json.dumps({"id": ids[i], "text": text}) + "\n")
    for h in handles:
        h.close()
    (dst / "sizes.json").write_text(json.dumps([half, len(texts) - half]))


def child(method: str, work: Path) -> int:
    if method == "datatrove":
        result = run_datatrove(work)
    elif method == "datasketch":
        result = run_datasketch(work)
    else:
        result = run_statemedia(work)
    np.save(work / f"{method}.labels.npy", result.pop("labels"))
    result["peak_rss_mib"] = peak_rss_mib()
    (work / f"{method}.json").write_text(json.dumps(result))
    return 0


def ensure_datatrove_env() -> Path | None:
    """Create bench/.venv-datatrove from the pinned requirements; None if that fails."""
    python = DT_VENV / "bin" / "python"
    stamp = DT_VENV / ".installed"
    if python.exists() and stamp.exists() and stamp.read_text() == DT_REQUIREMENTS.read_text():
        return python
    print(f"creating {DT_VENV} from {DT_REQUIREMENTS.name} ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(DT_VENV)],
        [str(python), "-m", "pip", "install", "-q", "-r", str(DT_REQUIREMENTS)],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"datatrove skipped: `{' '.join(step)}` failed:\n{done.stderr[-2000:]}")
            return None
    stamp.write_text(DT_REQUIREMENTS.read_text())
    return python


# --------------------------------------------------------------------------------------------------
# Driver


def machine_facts() -> str:
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.rstrip()
    cpu = platform.processor() or platform.machine()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (
        f"nproc = {os.cpu_count()}, {cpu}, Python {platform.python_version()}, load average at "
        f"the end {load}\n\n```\n{free}\n```"
    )


def table(rows: list[dict], n: int) -> str:
    head = (
        "| method | dedup s | posts/s | peak RSS (MiB) | precision | recall | F1 | hard-negative merges |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['dedup_s']:.1f} | {n / r['dedup_s']:,.0f} | "
            f"{r['peak_rss_mib']:,.0f} | {r['precision']:.4f} | {r['recall']:.4f} | "
            f"{r['f1']:.4f} | {r['hard_negative_merges']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Generate the corpus, run every method in a subprocess, score and print one line each."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--workdir", type=Path, default=None, help="default: bench/.work/dedup-<posts>")
    ap.add_argument("--results", type=Path, default=None, help="append the table to this file")
    ap.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    work = args.workdir or BENCH / ".work" / f"dedup-{args.posts}"
    if args.child:
        return child(args.child, work)

    t0 = time.perf_counter()
    shutil.rmtree(work, ignore_errors=True)
    truth = generate(args.posts, args.seed, work / "corpus")
    np.savez_compressed(work / "truth.npz", **truth)  # for looking into errors afterwards
    n = len(truth["truth"])
    print(
        f"corpus: {n:,} posts in {N_CHANNELS} channels, {pairs_in(truth['truth']):,} truth pairs, "
        f"{len(truth['hard_left']):,} hard-negative pairs ({time.perf_counter() - t0:.0f} s)",
        flush=True,
    )
    rows = []
    for method in args.methods.split(","):
        python = sys.executable
        if method == "datatrove":
            python = ensure_datatrove_env()
            if python is None:
                continue
            prepare_datatrove_input(work)
        cmd = [str(python), __file__, "--child", method, "--workdir", str(work)]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{method} failed:\n{done.stderr[-3000:]}", flush=True)
            continue
        stats = json.loads((work / f"{method}.json").read_text())
        labels = np.load(work / f"{method}.labels.npy")
        rows.append({"method": method, **stats, **score(labels, truth)})
        print(f"{method}: done in {stats['dedup_s']:.1f} s", flush=True)
    text = table(rows, n)
    print(text)
    if args.results:
        command = f".venv/bin/python scripts/bench_dedup.py --posts {args.posts} --seed {args.seed}"
        with args.results.open("a", encoding="utf-8") as f:
            f.write(
                f"\n## {n:,} posts, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
                f"Command: `{command}`\n\nMachine: {machine_facts()}\n\n{text}\n"
            )
    for r in rows:
        print(
            f"SUMMARY {r['method']}: {n / r['dedup_s']:,.0f} posts/s, peak RSS "
            f"{r['peak_rss_mib']:,.0f} MiB, P {r['precision']:.4f} R {r['recall']:.4f} "
            f"F1 {r['f1']:.4f}, hard-negative merges {r['hard_negative_merges']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
