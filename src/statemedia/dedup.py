"""Exact and near-duplicate clustering of cleaned posts (`DEDUP_VERSION`): pure functions; the one
I/O is optional, the shingle sets a pass-2 task writes to a scratch folder its caller names.

Contract: `deduplicate(items, config)` keeps one post per cluster (the smallest `rank`) and returns
one `Match` per removed post, so `len(kept) + len(matches) == len(items)`; the result does not
depend on input order. For corpora that do not fit in memory as text, the same steps run in two
streaming passes: `BoilerplateCounter.add_batch` (pass 1), then `NearDuplicateIndex.add_batch` and
`.clusters()` (pass 2). A batch's work is a plain function (`count_lines`, `band_sketch`) that an
engine's worker can run; `.add` takes its result, so batches merged in order give one answer.

Definitions (they decide what counts as a duplicate; change one and bump `DEDUP_VERSION`):

- Words: after NFKC and casefolding, maximal runs of Unicode word characters (Python `re` ``\\w``,
  plus combining marks that follow one). Everything else, punctuation and emoji included, separates
  words. Numbers are words and are never replaced, so bulletins that differ only in figures or dates
  stay distinct.
- Exact key: xxh3-128 of `normalise_for_key(text)`, i.e. the words joined by single spaces.
- Boilerplate: a line whose words recur in at least `boilerplate_min_posts` distinct (by exact key)
  posts of the same source, e.g. "Subscribe: @channel". Such lines are left out of the shingles (not
  out of the text), unless that would leave a post with no words.
- Shingles: every window of `shingle_words` consecutive words, with the word sequence padded by
  `shingle_words - 1` start and end markers, hashed to 32 bits. Padding makes a changed word at the
  start or end of a text cost as many shingles as one in the middle. Without it, two different "Read
  more" teasers in seeds/003 whose summaries differ only in "On Wednesday" / "On June 23" score J =
  0.81; with it, 0.70.
- Near duplicate: Jaccard similarity of two shingle sets >= `threshold`, computed exactly on the
  32-bit shingle hashes. MinHash (`num_perm` affine permutations of the 32-bit hashes) with LSH
  (`bands` x `rows`) only proposes candidate pairs; nothing is merged on an estimate.
- Clusters: greedy stars over the verified pairs, in rank order: the best-ranked post not yet
  assigned is kept and takes every unassigned post it verified with. Connected components would
  chain (A~B and B~C put A and C together even if A!~C); stars do not, so every removed post is
  within the threshold of the post kept for it, and `Match.similarity` is that Jaccard. The price: a
  post that matches only a removed neighbour (not the kept post) stays, e.g. a 90% prefix of the
  original when an edited copy with a better rank is kept. Candidate pairs are, per LSH bucket,
  every member with the bucket's best-ranked member and with its predecessor in rank order (linear,
  not quadratic, in large template buckets).
- Truncation: a prefix keeping a fraction f of the words scores about f (0.9 merges at 0.8, 0.8 and
  0.7 do not). Containment is not used: it would also merge the seed teasers above.
- Exact copies are clustered first; only one post per exact key (the best-ranked) enters the
  near-duplicate step. A removed post is "exact" if its key equals the kept post's, otherwise "near"
  with the Jaccard of its exact representative to the kept post.
- Known limit: if one source posts >= `boilerplate_min_posts` distinct variants of the same message,
  their shared lines count as boilerplate; what is left (the edited lines) then decides, which can
  keep such variants apart (lost recall, never a false merge).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import xxhash

from statemedia.config import DedupConfig
from statemedia.engines import Engine, engine_for

DEDUP_VERSION = "dedup@2"

_U64 = np.uint64
_MASK32 = _U64(0xFFFFFFFF)
_POLY = 0x9E3779B97F4A7C15  # odd, so invertible mod 2**64
_POLY_INV = pow(_POLY, -1, 2**64)
_SHINGLE_MULT = _U64(0xC2B2AE3D27D4EB4F)
_PAD_START = _U64(0x5A17_0001_0000_0001)
_PAD_END = _U64(0x5A17_0002_0000_0002)
_BATCH_CHARS = 400_000  # per batch: numpy temporaries of a few MB stay in reused heap memory
_VERIFY_ELEMENTS = 1_000_000  # shingles gathered at once when verifying pairs
_BOILERPLATE_RANGES = 16  # of the line keys' top 4 bits, counted one after the other
PARALLEL_MIN_POSTS = 100_000  # below this, worker processes cost more than they save


@dataclass(frozen=True, slots=True)
class DedupItem:
    """One post as dedup sees it: id, source, cleaned text and the caller's keep-preference."""

    post_id: str
    source: str
    text: str
    rank: tuple  # smallest rank in a cluster is kept; must be unique (end it with post_id)


@dataclass(frozen=True, slots=True)
class Match:
    """One removed copy and the post kept for it."""

    kept_id: str
    removed_id: str
    method: str  # "exact": same exact key as the kept post; "near": shingle Jaccard >= threshold
    similarity: float  # 1.0 for exact; else the exact Jaccard to the kept post (not to a neighbour)


@dataclass(frozen=True)
class DedupResult:
    """Kept post ids (input order) and one `Match` per removed post."""

    kept: list[str]
    matches: list[Match]

    def cluster_of(self) -> dict[str, str]:
        """Every post's cluster id: the kept post of its cluster (a kept post maps to itself)."""
        out = {post_id: post_id for post_id in self.kept}
        out.update((m.removed_id, m.kept_id) for m in self.matches)
        return out


# --------------------------------------------------------------------------------------------------
# Text to words: vectorised over a batch, because per-word Python loops dominate the run time.


@dataclass(frozen=True, slots=True)
class _CharTables:
    word: np.ndarray  # bool per code point: ``\w``
    mark: np.ndarray  # bool per code point: a combining mark (not ``\w``), joins a preceding word
    fold: np.ndarray  # uint32 per code point: its casefold, where that is one character
    fold_expands: np.ndarray  # bool per code point: casefold gives several characters (ß -> ss)


@cache
def _char_tables() -> _CharTables:
    """Lookup tables over all code points, so a batch is classified and casefolded in numpy."""
    every = "".join(map(chr, range(0x110000)))
    words = re.sub(r"\W", "\x00", every)
    word = np.frombuffer(words.encode("utf-32-le", "surrogatepass"), dtype="<u4") != 0
    fold = np.arange(0x110000, dtype=np.uint32)
    expands = np.zeros(0x110000, dtype=bool)
    mark = np.zeros(0x110000, dtype=bool)
    for cp, ch in enumerate(every):
        folded = ch.casefold()
        if folded != ch:
            if len(folded) == 1:
                fold[cp] = ord(folded)
            else:
                expands[cp] = True
        if cp < 0x10000 and not word[cp] and unicodedata.category(ch).startswith("M"):
            mark[cp] = True
    mark[0xFE00:0xFE10] = False  # variation selectors and the keycap mark only style emoji
    mark[0x20E3] = False
    return _CharTables(word=word, mark=mark, fold=fold, fold_expands=expands)


class _Powers:
    """Cached powers of the polynomial base and its inverse mod 2**64, grown on demand."""

    def __init__(self) -> None:
        self.pow = np.ones(1, dtype=_U64)
        self.inv = np.ones(1, dtype=_U64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.pow) < n:
            size = max(n, 2 * len(self.pow))
            self.pow = np.full(size, _POLY, dtype=_U64)
            self.inv = np.full(size, _POLY_INV, dtype=_U64)
            self.pow[0] = self.inv[0] = 1
            np.cumprod(self.pow, out=self.pow)  # wraps mod 2**64, as intended
            np.cumprod(self.inv, out=self.inv)
        return self.pow[:n], self.inv[:n]


_POWERS = _Powers()


def _fmix64(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: spreads every input bit over the output (in place)."""
    x ^= x >> _U64(33)
    x *= _U64(0xFF51AFD7ED558CCD)
    x ^= x >> _U64(33)
    x *= _U64(0xC4CEB9FE1A85EC53)
    x ^= x >> _U64(33)
    return x


def _segment_hash(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Polynomial hash of values[start:end] for every segment, from one prefix sum."""
    pw, inv = _POWERS.get(len(values) + 1)
    prefix = np.zeros(len(values) + 1, dtype=_U64)
    np.cumsum(values.astype(_U64) * pw[: len(values)], out=prefix[1:])
    return _fmix64((prefix[ends] - prefix[starts]) * inv[starts])


@dataclass(slots=True)
class _Words:
    """The words of a batch of texts: hashes, owning document and owning line."""

    n_docs: int
    word_hash: np.ndarray  # uint64 per word
    word_doc: np.ndarray  # int64 document index per word (non-decreasing)
    line_key: np.ndarray  # uint64 per line that has words (source-specific)
    line_doc: np.ndarray  # int64 document index per such line
    word_line: np.ndarray  # int64 index into line_key per word
    word_start: np.ndarray  # int64 offset of every word's first code point in `codepoints`
    codepoints: np.ndarray = field(repr=False)
    is_word: np.ndarray = field(repr=False)


def _split_words(texts: Sequence[str], sources: Sequence[str] | None = None) -> _Words:
    """Normalise and split a batch of texts into hashed words (and, given sources, line keys)."""
    # NFKC text by text: one character that needs it would otherwise slow the whole batch down.
    normal = [unicodedata.normalize("NFKC", t.replace("\x00", " ")) for t in texts]
    tables = _char_tables()
    cps = np.frombuffer("\x00".join(normal).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    if tables.fold_expands[cps].any():  # rare (ß, ŉ, ...): let Python casefold those texts
        normal = [t.casefold() if tables.fold_expands[_codepoints(t)].any() else t for t in normal]
        cps = np.frombuffer("\x00".join(normal).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    cps = tables.fold[cps]
    is_word = tables.word[cps]
    is_mark = tables.mark[cps]
    if is_mark.any():
        # A mark extends the word it follows (decomposed accents, Indic vowel signs); after a
        # non-word, e.g. the variation selector in "✍️", it is not a word of its own.
        base = np.maximum.accumulate(np.where(is_mark, 0, np.arange(len(cps))))
        is_word |= is_mark & is_word[base]
    n = len(cps)
    prev = np.zeros(n, dtype=bool)
    prev[1:] = is_word[:-1]
    nxt = np.zeros(n, dtype=bool)
    nxt[:-1] = is_word[1:]
    starts = np.flatnonzero(is_word & ~prev)
    ends = np.flatnonzero(is_word & ~nxt) + 1
    word_hash = _segment_hash(cps, starts, ends)
    separators = np.flatnonzero(cps == 0)
    word_doc = np.searchsorted(separators, starts)
    breaks = np.flatnonzero((cps == 0) | (cps == 10))
    raw_line = np.searchsorted(breaks, starts)  # global line number of every word
    if len(raw_line):
        new_line = np.ones(len(raw_line), dtype=bool)
        new_line[1:] = raw_line[1:] != raw_line[:-1]
        line_start = np.flatnonzero(new_line)
    else:
        new_line = np.zeros(0, dtype=bool)
        line_start = np.zeros(0, dtype=np.int64)
    word_line = np.cumsum(new_line) - 1
    line_end = np.append(line_start[1:], len(raw_line)).astype(np.int64)
    line_doc = word_doc[line_start]
    line_key = _segment_hash(word_hash, line_start, line_end)
    if sources is not None and len(line_key):
        src = np.array([xxhash.xxh3_64_intdigest(s.encode()) for s in sources], dtype=_U64)
        line_key = _fmix64(line_key * _SHINGLE_MULT + src[line_doc])
    return _Words(
        n_docs=len(texts),
        word_hash=word_hash,
        word_doc=word_doc.astype(np.int64),
        line_key=line_key,
        line_doc=line_doc.astype(np.int64),
        word_line=word_line.astype(np.int64),
        codepoints=cps,
        word_start=starts.astype(np.int64),
        is_word=is_word,
    )


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _normal_strings(words: _Words) -> list[str]:
    """The words of every document joined by single spaces (see `normalise_for_key`)."""
    cps, is_word = words.codepoints, words.is_word
    prev = np.zeros(len(cps), dtype=bool)
    prev[1:] = is_word[:-1]
    separator = cps == 0
    keep = (
        is_word | separator | (prev & ~is_word)
    )  # the first non-word after a word becomes a space
    out = np.where(is_word | separator, cps, 32).astype("<u4")[keep]
    text = out.tobytes().decode("utf-32-le", "surrogatepass")
    return [part.rstrip(" ") for part in text.split("\x00")]


def normalise_for_key(text: str) -> str:
    """Exact-duplicate normal form: NFKC, casefold, words joined by single spaces; numbers kept."""
    return _normal_strings(_split_words([text]))[0]


def _keys_from_words(texts: Sequence[str], words: _Words) -> np.ndarray:
    parts = []
    for text, normal in zip(texts, _normal_strings(words), strict=True):
        if not normal:  # no words (emoji, punctuation): compare the symbols themselves
            normal = "\x01" + " ".join(unicodedata.normalize("NFKC", text).casefold().split())
        parts.append(xxhash.xxh3_128_digest(normal.encode("utf-8", "surrogatepass")))
    return np.frombuffer(b"".join(parts), dtype=_U64).reshape(-1, 2).copy()


def exact_keys(texts: Sequence[str]) -> np.ndarray:
    """xxh3-128 of `normalise_for_key` for every text, as an (n, 2) uint64 array."""
    if not texts:
        return np.zeros((0, 2), dtype=_U64)
    return _keys_from_words(texts, _split_words(texts))


def text_batches(lengths: Sequence[int], budget: int = _BATCH_CHARS) -> Iterable[slice]:
    """Consecutive slices whose total text length stays near `budget` characters (batch sizes
    that keep numpy temporaries small)."""
    start, total = 0, 0
    for i, length in enumerate(lengths):
        if total and total + length > budget:
            yield slice(start, i)
            start, total = i, 0
        total += length + 1
    if start < len(lengths):
        yield slice(start, len(lengths))


# --------------------------------------------------------------------------------------------------
# Boilerplate lines (pass 1).


@dataclass(frozen=True, slots=True)
class Counted:
    """Pass 1 of one batch: exact keys, and every line's key with its post's exact key."""

    keys: np.ndarray  # (n, 2) uint64
    line_keys: np.ndarray  # uint64 per line with words
    line_posts: np.ndarray  # uint64: the line's post, by exact key


def count_lines(batch: tuple[Sequence[str], Sequence[str]]) -> Counted:
    """Pass 1 on one batch of (sources, texts): a plain function, so workers can run it."""
    sources, texts = batch
    words = _split_words(texts, sources)
    keys = _keys_from_words(texts, words)
    post = _fmix64(keys[:, 0] ^ (keys[:, 1] * _SHINGLE_MULT))
    return Counted(keys, words.line_key, post[words.line_doc])


class BoilerplateCounter:
    """Counts, per source, the distinct posts (by exact key) each line occurs in.

    Feed every post once with `add_batch`; `boilerplate()` then returns the sorted line keys that
    `NearDuplicateIndex` and `sketch` leave out of shingles. Counting distinct exact keys means that
    exact re-posts of one message do not turn its lines into boilerplate, and the result does not
    depend on the order of the posts.
    """

    def __init__(self, min_posts: int) -> None:
        self.min_posts = min_posts
        self._lines: list[np.ndarray] = []
        self._posts: list[np.ndarray] = []

    def add_batch(self, sources: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        """Count the lines of a batch; returns the batch's exact keys ((n, 2) uint64)."""
        return self.add(count_lines((sources, texts)))

    def add(self, counted: Counted) -> np.ndarray:
        """Add a batch counted by `count_lines` (here or in a worker); returns its exact keys."""
        self._lines.append(counted.line_keys)
        self._posts.append(counted.line_posts)
        return counted.keys

    def boilerplate(self) -> np.ndarray:
        """Sorted uint64 keys of the lines that occur in >= min_posts distinct posts of a source."""
        if not self._lines:
            return np.zeros(0, dtype=_U64)
        # By ranges of the key's top bits, in increasing order (so the result stays sorted): the
        # sort's copies are those of one range, never of every line of the corpus at once.
        found = []
        for top in range(_BOILERPLATE_RANGES):
            picked = [
                (lines[sel], posts[sel])
                for lines, posts in zip(self._lines, self._posts, strict=True)
                if (sel := (lines >> _U64(60)) == top).any()
            ]
            if not picked:
                continue
            lines = np.concatenate([lines for lines, _ in picked])
            posts = np.concatenate([posts for _, posts in picked])
            del picked
            order = np.lexsort((posts, lines))
            lines, posts = lines[order], posts[order]
            distinct = np.ones(len(lines), dtype=bool)
            distinct[1:] = (lines[1:] != lines[:-1]) | (posts[1:] != posts[:-1])
            keys, counts = np.unique(lines[distinct], return_counts=True)
            found.append(keys[counts >= self.min_posts])
        return np.concatenate(found) if found else np.zeros(0, dtype=_U64)


# --------------------------------------------------------------------------------------------------
# Shingles and MinHash signatures (pass 2).


@dataclass(frozen=True, slots=True)
class Sketch:
    """Shingle sets and MinHash signatures of a batch of posts (no text)."""

    shingles: np.ndarray  # uint32, sorted and unique within each post, posts concatenated
    offsets: np.ndarray  # int64, len n + 1: post i owns shingles[offsets[i]:offsets[i + 1]]
    signatures: np.ndarray  # uint32 (n, num_perm); all 0xFFFFFFFF for a post without words


@cache
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Affine maps x -> a*x + b mod 2**32 (a odd, so each is a permutation), derived from the seed."""
    a = [
        xxhash.xxh3_64_intdigest(f"{seed}:a:{i}".encode()) & 0xFFFFFFFF | 1 for i in range(num_perm)
    ]
    b = [xxhash.xxh3_64_intdigest(f"{seed}:b:{i}".encode()) & 0xFFFFFFFF for i in range(num_perm)]
    return np.array(a, dtype=np.uint32), np.array(b, dtype=np.uint32)


def _shingled_words(words: _Words, boilerplate: np.ndarray | None) -> np.ndarray:
    """Mask of the words that are shingled: all but those on boilerplate lines."""
    if boilerplate is None or not len(boilerplate) or not len(words.line_key):
        return np.ones(len(words.word_hash), dtype=bool)
    drop = np.isin(words.line_key, boilerplate)[words.word_line]
    # A post made only of boilerplate keeps all its words: an empty set would match nothing.
    total = np.bincount(words.word_doc, minlength=words.n_docs)
    dropped = np.bincount(words.word_doc, weights=drop.astype(np.float64), minlength=words.n_docs)
    drop &= (dropped < total)[words.word_doc]
    return ~drop


def shingle_text(
    texts: Sequence[str],
    sources: Sequence[str],
    boilerplate: np.ndarray | None = None,
) -> list[str]:
    """The words each post is shingled on, joined by spaces (for audits and benchmarks)."""
    if not texts:
        return []
    words = _split_words(texts, sources)
    keep = _shingled_words(words, boilerplate)
    # Mark every code point of a dropped word as a non-word, then reuse the key normal form.
    marks = np.zeros(len(words.codepoints), dtype=np.int64)
    marks[words.word_start] = 1
    owner = np.cumsum(marks) - 1
    in_word = words.is_word & keep[np.maximum(owner, 0)]
    return _normal_strings(replace(words, is_word=in_word))


def shingle_sets(
    texts: Sequence[str],
    sources: Sequence[str],
    config: DedupConfig,
    boilerplate: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique 32-bit shingle hashes per post, as (values uint32, offsets int64)."""
    return _shingle_sets(_split_words(texts, sources), config, boilerplate)


def _shingle_sets(
    words: _Words, config: DedupConfig, boilerplate: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique 32-bit shingle hashes per document, as (values, offsets)."""
    k = config.shingle_words
    keep = _shingled_words(words, boilerplate)
    word_hash, word_doc = words.word_hash[keep], words.word_doc[keep]
    counts = np.bincount(word_doc, minlength=words.n_docs).astype(np.int64)
    padded_len = np.where(counts > 0, counts + 2 * (k - 1), 0)
    padded_start = np.concatenate(([0], np.cumsum(padded_len)))
    seq = np.full(padded_start[-1], _PAD_END, dtype=_U64)
    first_word = np.concatenate(([0], np.cumsum(counts)))[:-1]
    rank_in_doc = np.arange(len(word_hash)) - first_word[word_doc]
    seq[padded_start[word_doc] + (k - 1) + rank_in_doc] = word_hash
    has_words = np.flatnonzero(counts > 0)
    for j in range(k - 1):
        seq[padded_start[has_words] + j] = _PAD_START
    n_windows = np.where(counts > 0, counts + k - 1, 0)
    # Window p covers seq[p : p + k]; only windows inside one document are kept.
    window_doc = np.repeat(np.arange(words.n_docs), n_windows)
    first_window = np.concatenate(([0], np.cumsum(n_windows)))[:-1]
    window_pos = padded_start[window_doc] + (np.arange(len(window_doc)) - first_window[window_doc])
    acc = np.zeros(len(window_pos), dtype=_U64)
    for j in range(k):
        acc *= _SHINGLE_MULT
        acc += seq[window_pos + j]
    hashes = _fmix64(acc) >> _U64(32)
    combined = np.sort((window_doc.astype(_U64) << _U64(32)) | hashes)
    if len(combined):
        unique = np.ones(len(combined), dtype=bool)
        unique[1:] = combined[1:] != combined[:-1]
        combined = combined[unique]
    values = (combined & _MASK32).astype(np.uint32)
    per_doc = np.bincount((combined >> _U64(32)).astype(np.int64), minlength=words.n_docs)
    return values, np.concatenate(([0], np.cumsum(per_doc))).astype(np.int64)


def _minhash(values: np.ndarray, offsets: np.ndarray, config: DedupConfig) -> np.ndarray:
    """MinHash signatures (n, num_perm) of shingle sets; empty sets get all 0xFFFFFFFF."""
    a, b = _permutations(config.num_perm, config.seed)
    n = len(offsets) - 1
    out = np.full((n, config.num_perm), 0xFFFFFFFF, dtype=np.uint32)
    nonempty = np.flatnonzero(offsets[1:] > offsets[:-1])
    # Permutations along rows and shingles along columns: the layout measured ~3x faster.
    chunk = 16384
    i = 0
    while i < len(nonempty):
        j = int(np.searchsorted(offsets[nonempty + 1], offsets[nonempty[i]] + chunk, "right"))
        j = max(j, i + 1)
        docs = nonempty[i:j]
        lo, hi = offsets[docs[0]], offsets[docs[-1] + 1]
        block = np.multiply(a[:, None], values[None, lo:hi])
        block += b[:, None]
        out[docs] = np.minimum.reduceat(block, offsets[docs] - lo, axis=1).T
        i = j
    return out


def sketch(
    texts: Sequence[str],
    sources: Sequence[str],
    config: DedupConfig,
    boilerplate: np.ndarray | None = None,
) -> Sketch:
    """Shingle sets and MinHash signatures for a batch of posts (boilerplate lines left out)."""
    if not texts:
        empty = np.zeros(0, dtype=np.uint32)
        return Sketch(empty, np.zeros(1, np.int64), np.zeros((0, config.num_perm), np.uint32))
    values, offsets = shingle_sets(texts, sources, config, boilerplate)
    return Sketch(values, offsets, _minhash(values, offsets, config))


def jaccard_pairs(
    shingles: np.ndarray, offsets: np.ndarray, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """Exact Jaccard of the shingle sets of posts left[i] and right[i], for every i."""
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    sizes_l = offsets[left + 1] - offsets[left]
    sizes_r = offsets[right + 1] - offsets[right]
    out = np.zeros(len(left), dtype=np.float64)
    start = 0
    while start < len(left):
        cum = np.cumsum(sizes_l[start:] + sizes_r[start:])
        stop = start + max(1, int(np.searchsorted(cum, _VERIFY_ELEMENTS, "right")))
        pair = np.arange(stop - start, dtype=_U64)
        keys = []
        for side, sizes in ((left, sizes_l), (right, sizes_r)):
            idx = _ragged_index(offsets[side[start:stop]], sizes[start:stop])
            owner = np.repeat(pair, sizes[start:stop])
            keys.append((owner << _U64(32)) | shingles[idx].astype(_U64))
        # Each side is sorted (pairs in order, values sorted within a post); a stable sort of the
        # two runs is a merge, and equal neighbours are shared shingles.
        merged = np.sort(np.concatenate(keys), kind="stable")
        same = merged[1:] == merged[:-1]
        shared = np.bincount(
            (merged[1:][same] >> _U64(32)).astype(np.int64), minlength=stop - start
        )
        union = sizes_l[start:stop] + sizes_r[start:stop] - shared
        out[start:stop] = np.where(union > 0, shared / np.maximum(union, 1), 0.0)
        start = stop
    return out


def _ragged_index(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Concatenated ranges start..start+size for every (start, size)."""
    total = int(sizes.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    before = np.cumsum(sizes) - sizes
    return np.repeat(starts - before, sizes) + np.arange(total)


# --------------------------------------------------------------------------------------------------
# Candidate pairs, verification and clustering.


@dataclass(frozen=True, slots=True)
class NearCluster:
    """Near-duplicate outcome for indexed posts: kept index, removed index and its Jaccard."""

    kept: np.ndarray  # int64 index (order of add_batch) of the kept post, one per removed post
    removed: np.ndarray  # int64 index of the removed post
    similarity: np.ndarray  # float64 exact Jaccard of removed to kept


@dataclass(frozen=True, slots=True)
class Banded:
    """Pass 2 of one batch, as the index keeps it: shingle sets and LSH band keys (no signature).

    The shingle sets are in memory, or in the `.npy` file at `path` (then `shingles` is empty):
    the index reads back only those of posts in candidate pairs, when it verifies them."""

    shingles: np.ndarray  # uint32, sorted per post, posts concatenated
    sizes: np.ndarray  # int64 shingles per post
    bands: np.ndarray  # uint64 (n, bands)
    path: str | None = None

    def shingles_of(self, posts: np.ndarray) -> np.ndarray:
        """The shingle sets of `posts` (sorted indices into this batch), concatenated."""
        values = np.load(self.path) if self.path is not None else self.shingles
        offsets = np.concatenate(([0], np.cumsum(self.sizes))).astype(np.int64)
        return values[_ragged_index(offsets[posts], self.sizes[posts])]


def band_sketch(
    batch: tuple[Sequence[str], Sequence[str], DedupConfig, np.ndarray | None],
) -> Banded:
    """Pass 2 on one batch of (texts, sources, config, boilerplate): a plain function, so workers
    can run it."""
    texts, sources, config, boilerplate = batch
    sk = sketch(texts, sources, config, boilerplate)
    return Banded(sk.shingles, np.diff(sk.offsets), _band_keys(sk.signatures, config))


class NearDuplicateIndex:
    """Collects compact sketches batch by batch, then clusters near duplicates.

    Memory per post: `bands` 8-byte band keys, its shingle count and priority; the shingle hashes
    (4 bytes each) stay with their batch, in memory or in the file a pass-2 task wrote, and only
    those of posts in candidate pairs are gathered to verify them. No text and no full signature
    are kept. `priority` orders posts: the smallest value in a cluster is kept.
    """

    def __init__(self, config: DedupConfig, boilerplate: np.ndarray | None = None) -> None:
        self.config = config
        self.boilerplate = boilerplate
        self._batches: list[Banded] = []
        self._priority: list[np.ndarray] = []

    def add_batch(self, texts: Sequence[str], sources: Sequence[str], priority: np.ndarray) -> None:
        """Sketch a batch of posts; `priority` (int64, unique) decides which copy is kept."""
        self.add(band_sketch((texts, sources, self.config, self.boilerplate)), priority)

    def add(self, sketched: Banded, priority: np.ndarray) -> None:
        """Add a batch sketched by `band_sketch` or `band_part` (here or in a worker), with its
        priorities."""
        self._batches.append(sketched)
        self._priority.append(np.asarray(priority, dtype=np.int64))

    def clusters(self) -> NearCluster:
        """Verify LSH candidates exactly and form greedy stars by priority (see the module doc)."""
        empty = NearCluster(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        if not self._batches:
            return empty
        sizes = np.concatenate([b.sizes for b in self._batches])
        priority = np.concatenate(self._priority)
        self._priority = [priority]
        # Band by band from the batches: the (n, bands) matrix is never joined.
        left, right = _candidates(
            [b.bands for b in self._batches], self.config.bands, priority, sizes > 0
        )
        if not len(left):
            return empty
        # Only posts in candidate pairs are verified: gather their shingle sets, batch by batch.
        posts = np.unique(np.concatenate([left, right]))
        starts = np.cumsum([0] + [len(b.sizes) for b in self._batches])
        pieces = []
        for k, batch in enumerate(self._batches):
            lo, hi = np.searchsorted(posts, [starts[k], starts[k + 1]])
            if hi > lo:
                pieces.append(batch.shingles_of(posts[lo:hi] - starts[k]))
        shingles = np.concatenate(pieces)
        offsets = np.concatenate(([0], np.cumsum(sizes[posts]))).astype(np.int64)
        sims = jaccard_pairs(
            shingles, offsets, np.searchsorted(posts, left), np.searchsorted(posts, right)
        )
        del shingles, offsets
        ok = sims >= self.config.threshold
        return _greedy_split(left[ok], right[ok], sims[ok], priority)


def _band_keys(signatures: np.ndarray, config: DedupConfig) -> np.ndarray:
    """One 64-bit key per (post, band): equal keys mean an equal band (up to 2**-64 collisions)."""
    n = len(signatures)
    out = np.empty((n, config.bands), dtype=_U64)
    for band in range(config.bands):
        acc = np.full(n, band + 1, dtype=_U64)
        for row in range(band * config.rows, (band + 1) * config.rows):
            acc = _fmix64(acc * _SHINGLE_MULT + signatures[:, row].astype(_U64))
        out[:, band] = acc
    return out


def _candidates(
    bands: Sequence[np.ndarray], count: int, priority: np.ndarray, usable: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs from LSH buckets: each member to the bucket's best and to its predecessor.

    `bands` are the batches' (n_k, count) band keys, in order. All pairs of a bucket would be
    quadratic in large template buckets; the star plus the chain keeps it linear and still
    connects near duplicates that share a bucket with an unrelated better post.
    """
    idx = np.flatnonzero(usable)
    pairs = []
    for band in range(count):
        keys = np.concatenate([b[:, band] for b in bands])[idx]
        order = np.lexsort((priority[idx], keys))
        k, members = keys[order], idx[order]
        same = k[1:] == k[:-1]
        if not same.any():
            continue
        new_bucket = np.concatenate(([True], ~same))
        head = members[np.maximum.accumulate(np.where(new_bucket, np.arange(len(k)), 0))]
        later = np.flatnonzero(~new_bucket)
        pairs.append(np.stack([head[later], members[later]], axis=1))
        pairs.append(np.stack([members[later - 1], members[later]], axis=1))
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    allp = np.concatenate(pairs)
    allp = allp[allp[:, 0] != allp[:, 1]]
    allp = np.unique(np.sort(allp, axis=1), axis=0)
    return allp[:, 0], allp[:, 1]


def _greedy_split(
    left: np.ndarray, right: np.ndarray, sims: np.ndarray, priority: np.ndarray
) -> NearCluster:
    """Greedy stars over verified edges: in priority order, an unassigned post is kept and takes
    every unassigned neighbour; every removed post is thus within the threshold of its kept post."""
    # Each edge twice (both directions), grouped by its first end.
    src = np.concatenate([left, right])
    dst = np.concatenate([right, left])
    sim = np.concatenate([sims, sims])
    by_src = np.lexsort((priority[dst], priority[src]))
    src, dst, sim = src[by_src], dst[by_src], sim[by_src]
    nodes, first = np.unique(src, return_index=True)
    nodes = nodes[np.argsort(priority[nodes], kind="stable")]
    first_of = dict(zip(src[first].tolist(), first.tolist(), strict=True))
    count_of = dict(zip(*np.unique(src, return_counts=True), strict=True))
    dst_l, sim_l = dst.tolist(), sim.tolist()
    assigned: set[int] = set()
    kept_out: list[int] = []
    removed_out: list[int] = []
    sim_out: list[float] = []
    for node in nodes.tolist():
        if node in assigned:
            continue
        start = first_of[node]
        for e in range(start, start + int(count_of[node])):
            other = dst_l[e]
            if other not in assigned:
                assigned.add(other)
                kept_out.append(node)
                removed_out.append(other)
                sim_out.append(sim_l[e])
        assigned.add(node)
    return NearCluster(
        np.array(kept_out, dtype=np.int64),
        np.array(removed_out, dtype=np.int64),
        np.array(sim_out, dtype=np.float64),
    )


# --------------------------------------------------------------------------------------------------
# The whole stage.


def dedup_text(title: str | None, text: str) -> str:
    """What dedup compares: title and text, so teasers with similar summaries keep their headlines."""
    return f"{title}\n{text}" if title else text


class TextPart(Protocol):
    """A partition of the posts, read where a worker runs: its sources and texts, in order."""

    def texts(self) -> tuple[Sequence[str], Sequence[str]]: ...


@dataclass(frozen=True, slots=True)
class TextBatch:
    """A partition held in memory: (sources, texts)."""

    sources: Sequence[str]
    text_list: Sequence[str]

    def texts(self) -> tuple[Sequence[str], Sequence[str]]:
        """Its sources and texts."""
        return self.sources, self.text_list


def count_part(part: TextPart) -> Counted:
    """Pass 1 over one partition, in batches of bounded size (an engine task)."""
    sources, texts = part.texts()
    pieces = [count_lines((sources[s], texts[s])) for s in text_batches([len(t) for t in texts])]
    if not pieces:
        return Counted(np.zeros((0, 2), _U64), np.zeros(0, _U64), np.zeros(0, _U64))
    return Counted(
        np.concatenate([c.keys for c in pieces]),
        np.concatenate([c.line_keys for c in pieces]),
        np.concatenate([c.line_posts for c in pieces]),
    )


@dataclass(frozen=True, slots=True)
class BandTask:
    """Pass 2 over the posts at `positions` of one partition; with `path`, the shingle sets go to
    that file (the caller's scratch folder) rather than back to the caller."""

    part: TextPart
    positions: np.ndarray
    config: DedupConfig
    boilerplate: np.ndarray | None
    path: str | None = None


def band_part(task: BandTask) -> Banded:
    """Pass 2 over the posts at `positions` of one partition, in batches (an engine task)."""
    part, positions, config, boilerplate = task.part, task.positions, task.config, task.boilerplate
    sources, texts = part.texts()
    chosen = [texts[i] for i in positions]
    their = [sources[i] for i in positions]
    pieces = [
        band_sketch((chosen[s], their[s], config, boilerplate))
        for s in text_batches([len(t) for t in chosen])
    ]
    if not pieces:
        return Banded(
            np.zeros(0, np.uint32), np.zeros(0, np.int64), np.zeros((0, config.bands), _U64)
        )
    shingles = np.concatenate([b.shingles for b in pieces])
    sizes = np.concatenate([b.sizes for b in pieces])
    bands = np.concatenate([b.bands for b in pieces])
    if task.path is None:
        return Banded(shingles, sizes, bands)
    with open(task.path, "wb") as f:  # a scratch file of this task's own: no other writer
        np.save(f, shingles)
    return Banded(np.zeros(0, np.uint32), sizes, bands, task.path)


def deduplicate(
    items: Sequence[DedupItem], config: DedupConfig, engine: Engine | None = None
) -> DedupResult:
    """Exact, then near-duplicate clustering of posts held in memory (see `deduplicate_parts`)."""
    lengths = [len(item.text) for item in items]
    parts = [
        TextBatch(tuple(i.source for i in items[s]), tuple(i.text for i in items[s]))
        for s in text_batches(lengths)
    ]
    return deduplicate_parts(
        [item.post_id for item in items],
        rank_priority([item.rank for item in items]),
        parts,
        config,
        engine,
    )


def rank_priority(ranks: Sequence[Any]) -> np.ndarray:
    """Every post's place in the order of its (unique, comparable) rank: 0 is kept first."""
    priority = np.empty(len(ranks), dtype=np.int64)
    priority[sorted(range(len(ranks)), key=ranks.__getitem__)] = np.arange(len(ranks))
    return priority


def deduplicate_parts(
    ids: Sequence[str],
    priority: np.ndarray,
    parts: Sequence[TextPart],
    config: DedupConfig,
    engine: Engine | None = None,
    scratch: Path | None = None,
) -> DedupResult:
    """Exact, then near-duplicate clustering; keeps the smallest-rank post of every cluster.

    `ids` and `priority` (a permutation of 0..n-1: the smallest is kept, e.g. `rank_priority`)
    are every post's, in the order of the partitions' texts concatenated. The
    two passes over the texts run partition by partition on `engine` (default: local, one process
    per core from `PARALLEL_MIN_POSTS` posts); every post's result does not depend on the
    partition it is in, and partitions are merged in order, so neither does the outcome.
    Clustering runs here, on compact arrays (no text). With `scratch` (a folder the caller owns
    and removes; on a cluster, one every worker writes), pass 2 leaves each partition's shingle
    sets there, and only those of candidate pairs are read back.
    """
    n = len(ids)
    if len(set(ids)) != n:
        raise ValueError("deduplicate: post_id values must be unique")
    if n == 0:
        return DedupResult(kept=[], matches=[])
    priority = np.asarray(priority, dtype=np.int64)
    if len(priority) != n:
        raise ValueError(f"deduplicate: {n} ids but {len(priority)} priorities")
    order = np.argsort(priority).tolist()

    # Pass 1: exact keys and boilerplate line counts.
    counter = BoilerplateCounter(config.boilerplate_min_posts)
    engine = engine_for(engine, len(parts), n >= PARALLEL_MIN_POSTS)
    keys = [counter.add(counted) for counted in engine.map(count_part, parts, "dedup pass 1")]
    sizes = [len(k) for k in keys]
    if sum(sizes) != n:
        raise ValueError(f"deduplicate: {n} ids but the partitions hold {sum(sizes)} texts")
    exact_rep = _exact_representatives(np.concatenate(keys), priority)
    del keys

    # Pass 2: near duplicates among exact representatives only.
    reps = np.flatnonzero(exact_rep == np.arange(n))
    index = NearDuplicateIndex(config, counter.boilerplate())
    del counter  # its line keys, some 16 bytes per line of the corpus
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    tasks, chosen = [], []
    for j, part in enumerate(parts):
        lo, hi = np.searchsorted(reps, [bounds[j], bounds[j + 1]])
        if hi > lo:
            path = str(scratch / f"shingles-{j:06d}.npy") if scratch is not None else None
            tasks.append(BandTask(part, reps[lo:hi] - bounds[j], config, index.boilerplate, path))
            chosen.append(reps[lo:hi])
    for batch, sketched in zip(chosen, engine.map(band_part, tasks, "dedup pass 2"), strict=True):
        index.add(sketched, priority[batch])
    del tasks
    near = index.clusters()

    final = np.arange(n)  # kept post of each exact representative
    near_sim = np.ones(n)
    final[reps[near.removed]] = reps[near.kept]
    near_sim[reps[near.removed]] = near.similarity
    final_of = final[exact_rep]

    matches = []
    for i in order:  # matches in rank order, so the list does not depend on input order
        kept = int(final_of[i])
        if kept == i:
            continue
        if exact_rep[i] == kept:
            matches.append(Match(ids[kept], ids[i], "exact", 1.0))
        else:
            matches.append(Match(ids[kept], ids[i], "near", float(near_sim[exact_rep[i]])))
    return DedupResult(
        kept=[ids[i] for i in range(n) if final_of[i] == i],
        matches=matches,
    )


def _exact_representatives(keys: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """For every post, the index of the best-priority post with the same exact key."""
    order = np.lexsort((priority, keys[:, 1], keys[:, 0]))
    k = keys[order]
    new = np.concatenate(([True], np.any(k[1:] != k[:-1], axis=1)))
    head = order[np.maximum.accumulate(np.where(new, np.arange(len(order)), 0))]
    rep = np.empty(len(keys), dtype=np.int64)
    rep[order] = head
    return rep
