"""Language identification `language@1`: the language of every post, read from its own words.

A post's `language` is the language that py3langid (its naive Bayes model over byte n-grams ships
inside the package; nothing is downloaded) finds most probable for the post's title and text,
chosen among the `[language] candidates` of statemedia.toml only, with `language_confidence` the
detector's probability for it (normalised over the candidates, rounded to 4 decimals). What is
read: the title and text with URLs and @usernames taken out (Latin strings that say nothing of the
post's language); hashtags stay, their words are the post's ("#МИД_России").

Undetermined rather than guessed: a post with fewer than `min_letters` letters left (Unicode
letters, `[^\\W\\d_]`: "🇷🇺🇨🇳 Talks" has 5) or whose best probability is below `min_confidence`
gets `language = "und"` (BCP 47 "undetermined") and a null confidence. The file's declaration
(seeds/manifest.toml) stays in `declared_language`; `LanguageCounts` counts, for the build report,
the posts per identified language, the undetermined ones, and those whose identified language
differs from the declared one (compared on the primary subtag: "en-GB" declared, "en" found agree).

Deterministic: the model, the candidate set and the text fix the result; the pinned py3langid
(requirements.lock) fixes the model, so a new py3langid release is a new `LANGUAGE_VERSION`.
`identify_posts` runs over batches on an engine (statemedia.engines) and returns the posts in
their order, whatever engine ran them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from itertools import islice

import numpy as np
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from statemedia.clean import MENTION, URL
from statemedia.config import LanguageConfig
from statemedia.engines import Engine, engine_for
from statemedia.errors import ConfigError
from statemedia.records import UNDETERMINED, Post
from statemedia.release.manifest import LanguageCounts

LANGUAGE_VERSION = "language@1"
_LETTER = re.compile(r"[^\W\d_]")
BATCH_POSTS = 20_000  # posts per engine task
PARALLEL_MIN_POSTS = 200_000  # below this, worker processes cost more than they save
CONFIDENCE_DIGITS = 4


@dataclass(frozen=True, slots=True)
class Identified:
    """The language identified for one text, and the detector's probability (None for "und")."""

    language: str
    confidence: float | None


@cache
def _identifier(candidates: tuple[str, ...]) -> LanguageIdentifier:
    """py3langid's model restricted to `candidates` (loaded once per process and candidate set)."""
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    unknown = sorted(set(candidates) - set(identifier.labels))
    if unknown:
        raise ConfigError(
            f"[language] candidates {unknown} are not languages the detector (py3langid) knows"
        )
    identifier.set_languages(list(candidates))
    return identifier


def check_candidates(config: LanguageConfig) -> None:
    """Refuse candidate languages the detector does not know (a ConfigError naming them)."""
    _identifier(config.candidates)


def _has_letters(text: str, needed: int) -> bool:
    """At least `needed` letters (`_LETTER` matches) in `text`: stops at the `needed`-th."""
    return sum(1 for _ in islice(_LETTER.finditer(text), needed)) >= needed


def detector_text(title: str | None, text: str) -> str:
    """What is identified: title and text, without URLs and @usernames."""
    joined = f"{title}\n{text}" if title else text
    return MENTION.sub(" ", URL.sub(" ", joined))


def identify(text: str, config: LanguageConfig) -> Identified:
    """The language of `text` among the candidates, or "und" when too short or unsure."""
    if not _has_letters(text, config.min_letters):
        return Identified(UNDETERMINED, None)
    language, probability = _identifier(config.candidates).classify(text)
    if probability < config.min_confidence:
        return Identified(UNDETERMINED, None)
    return Identified(language, round(float(probability), CONFIDENCE_DIGITS))


def identify_texts(texts: Sequence[str], config: LanguageConfig) -> list[Identified]:
    """`identify` of every text, the same results to the bit, several times faster.

    py3langid walks its byte automaton one byte at a time in Python, which is most of
    `identify`'s time; `_walk` advances every text of a batch by one byte per numpy step. The
    feature counts, their order (first occurrence, as py3langid's Counter has them) and the
    scoring are py3langid's own, so the probabilities are identical (tested against `identify`).
    """
    identifier = _identifier(config.candidates)
    out = [Identified(UNDETERMINED, None)] * len(texts)
    wanted = [k for k, text in enumerate(texts) if _has_letters(text, config.min_letters)]
    for start in range(0, len(wanted), _WALK_BATCH):
        batch = wanted[start : start + _WALK_BATCH]
        encoded = [identifier._encode(texts[k]) for k in batch]
        for k, data, (features, counts) in zip(
            batch, encoded, _walk(encoded, _automaton(config.candidates)), strict=True
        ):
            language, probability = _classified(identifier, features, counts, len(data))
            if probability >= config.min_confidence:
                out[k] = Identified(language, round(float(probability), CONFIDENCE_DIGITS))
    return out


_WALK_BATCH = 4096  # texts walked together
_MIN_WALKING = 64  # with fewer texts still walking, the rest finish one by one (the long tail)


@dataclass(frozen=True, slots=True)
class _Automaton:
    """py3langid's byte automaton as arrays (views of its own buffers where it has them)."""

    identifier: LanguageIdentifier
    nextmove: np.ndarray
    rowbase: np.ndarray  # int64: a state's row start in `nextmove`
    output: np.ndarray  # int64: the feature a state emits, -1 for none


@cache
def _automaton(candidates: tuple[str, ...]) -> _Automaton:
    identifier = _identifier(candidates)
    return _Automaton(
        identifier,
        np.asarray(identifier.tk_nextmove),
        np.asarray(identifier._rowbase, dtype=np.int64),
        np.asarray(identifier.tk_output, dtype=np.int64),
    )


def _walk(encoded: Sequence[bytes], a: _Automaton) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per text: the features the automaton emits, in order of first occurrence, and their
    counts (py3langid's `visit_counts`, as arrays)."""
    n = len(encoded)
    if n == 0:
        return []
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=n)
    order = np.argsort(-lengths, kind="stable")  # longest first: the walking texts are a prefix
    ordered = lengths[order]
    data = np.frombuffer(b"".join(encoded[i] for i in order.tolist()), dtype=np.uint8)
    starts = np.concatenate(([0], np.cumsum(ordered)[:-1]))
    states = np.zeros(n, dtype=np.int64)
    texts_hit: list[np.ndarray] = []  # per step: which texts (sorted index) emitted a feature
    features_hit: list[np.ndarray] = []
    walking, step = n, 0
    while True:
        while walking and ordered[walking - 1] <= step:
            walking -= 1
        if walking < _MIN_WALKING:
            break
        moved = a.nextmove[a.rowbase[states[:walking]] + data[starts[:walking] + step]]
        states[:walking] = moved
        emitted = a.output[moved]
        hit = np.flatnonzero(emitted >= 0)
        texts_hit.append(hit)
        features_hit.append(emitted[hit])
        step += 1
    # The long tail: py3langid's own loop (its own tables), from where each text's walk stopped.
    nextmove, rowbase, output = (
        a.identifier.tk_nextmove,
        a.identifier._rowbase,
        a.identifier.tk_output,
    )
    for i in range(walking):
        state, tail = int(states[i]), []
        for letter in data[starts[i] + step : starts[i] + ordered[i]].tolist():
            state = nextmove[rowbase[state] + letter]
            if output[state] >= 0:
                tail.append(output[state])
        texts_hit.append(np.full(len(tail), i, dtype=np.int64))
        features_hit.append(np.asarray(tail, dtype=np.int64))
    which = np.concatenate(texts_hit) if texts_hit else np.zeros(0, np.int64)
    features = np.concatenate(features_hit) if features_hit else np.zeros(0, np.int64)
    # Hits are in walk order for each text (step by step, then its tail), so a (text, feature)
    # pair's first index is its first occurrence in that text's walk.
    width = int(a.output.max()) + 1
    unique, first, counts = np.unique(
        which * width + features, return_index=True, return_counts=True
    )
    owner = unique // width
    by_walk = np.lexsort((first, owner))
    unique, counts, owner = unique[by_walk] % width, counts[by_walk], owner[by_walk]
    bounds = np.searchsorted(owner, np.arange(n + 1))
    result: list[tuple[np.ndarray, np.ndarray]] = [(unique[:0], counts[:0])] * n
    for sorted_index, text in enumerate(order.tolist()):
        lo, hi = bounds[sorted_index], bounds[sorted_index + 1]
        result[text] = (unique[lo:hi], counts[lo:hi])
    return result


def _classified(
    identifier: LanguageIdentifier, features: np.ndarray, counts: np.ndarray, size: int
) -> tuple[str, float]:
    """py3langid's `classify` (with `norm_probs`) from a text's feature counts and byte size:
    its `_sparse_score` and `_decide`, step by step, so that every float is the same."""
    if len(features):
        scores = (
            np.log1p(counts.astype(np.float32)) @ identifier.nb_ptc[features.astype(np.intp)]
            + identifier.nb_pc
        )
    else:
        scores = np.full(len(identifier.nb_classes), 0.0, dtype=np.float32)
    scores *= 1.0 / math.sqrt(size or 1)
    np.exp(scores - scores.max(), out=scores)
    scores /= scores.sum()
    for i, j in identifier._alias_pairs:
        scores[i] += scores[j]
        scores[j] = 0.0
    best = int(scores.argmax())
    return identifier.nb_classes[best], float(scores[best])


def _identify_batch(batch: tuple[LanguageConfig, tuple[str, ...]]) -> list[Identified]:
    """One engine task: identify a batch of texts."""
    config, texts = batch
    return identify_texts(texts, config)


def identify_posts(
    posts: Sequence[Post], config: LanguageConfig, engine: Engine | None = None
) -> list[Post]:
    """The posts, in order, with `language` and `language_confidence` identified."""
    check_candidates(config)
    texts = [detector_text(post.title, post.text) for post in posts]
    batches = [
        (config, tuple(texts[k : k + BATCH_POSTS])) for k in range(0, len(texts), BATCH_POSTS)
    ]
    engine = engine_for(engine, len(batches), len(posts) >= PARALLEL_MIN_POSTS)
    results = [
        found for batch in engine.map(_identify_batch, batches, "language") for found in batch
    ]
    return [
        replace(post, language=found.language, language_confidence=found.confidence)
        for post, found in zip(posts, results, strict=True)
    ]


def primary_subtag(tag: str) -> str:
    """The language subtag of a BCP 47 tag: "en" of "en-GB"."""
    return tag.split("-", 1)[0].lower()


def language_counts(posts: Sequence[Post]) -> LanguageCounts:
    """Count the posts' identified languages against their declarations."""
    identified = Counter(post.language for post in posts)
    pairs = Counter(
        f"{post.declared_language}->{post.language}"
        for post in posts
        if post.language != UNDETERMINED
        and primary_subtag(post.language) != primary_subtag(post.declared_language)
    )
    return LanguageCounts(
        seen=len(posts),
        identified=dict(sorted(identified.items())),
        undetermined=identified[UNDETERMINED],
        differs_from_declared=sum(pairs.values()),
        differs_by_pair=dict(sorted(pairs.items())),
    )


def merge_language_counts(parts: Sequence[LanguageCounts]) -> LanguageCounts:
    """The `language_counts` of several parts' posts (e.g. one per file), added up."""
    identified: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for part in parts:
        identified.update(part.identified)
        pairs.update(part.differs_by_pair)
    return LanguageCounts(
        seen=sum(part.seen for part in parts),
        identified=dict(sorted(identified.items())),
        undetermined=identified[UNDETERMINED],
        differs_from_declared=sum(pairs.values()),
        differs_by_pair=dict(sorted(pairs.items())),
    )
