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

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

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


def detector_text(title: str | None, text: str) -> str:
    """What is identified: title and text, without URLs and @usernames."""
    joined = f"{title}\n{text}" if title else text
    return MENTION.sub(" ", URL.sub(" ", joined))


def identify(text: str, config: LanguageConfig) -> Identified:
    """The language of `text` among the candidates, or "und" when too short or unsure."""
    if len(_LETTER.findall(text)) < config.min_letters:
        return Identified(UNDETERMINED, None)
    language, probability = _identifier(config.candidates).classify(text)
    if probability < config.min_confidence:
        return Identified(UNDETERMINED, None)
    return Identified(language, round(float(probability), CONFIDENCE_DIGITS))


def _identify_batch(batch: tuple[LanguageConfig, tuple[str, ...]]) -> list[Identified]:
    """One engine task: identify a batch of texts."""
    config, texts = batch
    return [identify(text, config) for text in texts]


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
