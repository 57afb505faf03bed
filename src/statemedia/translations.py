"""Translation linking `translation@1`: groups of posts that are one message in several languages.

Contract: `link_translations(posts, config)` is pure and deterministic (the same posts in any order
give the same result). It returns `TranslationGroup` records, each of two or more posts of one
publisher in distinct languages, with a group id derived from the sorted member post ids, every
member pair's score and evidence, and the stage's counts. Nothing is translated by machine: posts
are compared through what survives translation.

Definitions (they decide what is linked; change one and bump `TRANSLATION_VERSION`):

- Publisher: a post's `source` (the manifest declares one source per file, e.g. `mfa_russia` for
  every language edition of the Ministry's channels), or `publishers[source]` when the caller maps
  sources to publishers. Only posts of one publisher in different languages are compared.
- Language: `post.language`; posts whose language is empty or `und` (undetermined) are not linked.
- Candidate pair: both posts have `published_at` and are at most `window_minutes` apart (a sorted
  sweep over each publisher's posts: never all pairs); or, when either lacks a time, both have
  `published_date` at most ceil(window / 1 day) days apart; and the two share at least one link,
  number or name (below). Posts with neither time nor date are not linked.
- Features (each a set, compared by Jaccard |A & B| / |A | B|; a set feature empty on both sides
  does not count, empty on one side counts as 0):
  - links: URLs without scheme, `www.`, query, fragment, trailing '/', and language path segments
    (`/ru/`, `/en/`, ...), so `mid.ru/ru/foreign_policy/news/1/` equals `mid.ru/en/.../1/`;
  - numbers: figures with thousands separators removed ("1 000", "1,000", "1.000" -> 1000; a
    separator before exactly three digits groups thousands, other ',' or '.' are decimal points:
    "2,5" and "2.5" -> 2.5), and day-month dates in ru/en/es/fr ("28 июня", "June 28", "28 de
    junio", "28 juin", "28.06.2025") -> "06-28";
  - names: capitalised words of three letters or more (and hashtags) reduced to a consonant
    skeleton, so that one name in Cyrillic and in the English, Spanish and French romanisations
    gives one key: "Захаровой", "Zakharova", "Zajárova" -> "zhrv". Russian words longer than five
    letters lose a consonant case ending (-ами, -ом, -ым, -ах, ...); Latin spellings are read per
    language as the Russian sound they write (`_DIGRAPHS`: en/fr "kh" and es "j" -> х; en/es "sh"
    and fr "ch" -> ш; en/es "ch" and fr "tch" -> ч; en "j" -> дж, fr "j" -> ж); vowels, й and
    signs are dropped, doubled classes collapsed; keys of fewer than three consonants are dropped;
  - hashtags: casefolded; media: the same set of media kinds (1) or not (0), not counted when
    neither post has media; length ratio: shorter / longer text in characters; time: 1 - |dt| /
    window (not counted without times).
- Score: the weighted mean of the counted features, weights `WEIGHTS`, in [0, 1], rounded to six
  digits. A pair is accepted when its score >= `min_score`, it shares at least `min_anchors` links
  + numbers + names (hashtags are shared by same-day hard negatives too: they add to the score,
  not to the anchors) and its length ratio >= `min_length_ratio`.
- Groups: accepted pairs in order of score (ties by post ids) merge two groups when the groups share
  no language (a post has at most one translation per other language, so a hard negative cannot
  chain in: the one-to-one rule) and the mean score over every cross pair of the two groups
  (pairs that are not candidates count 0) is >= `min_score` (average linkage).
- Known limits: a message rewritten rather than translated (no shared figures, names or links) is
  not linked, and neither is a short notice sharing a single name ("#LIVE Briefing by Maria
  Zakharova" / "#LIVE Rueda de prensa de ... María Zajárova": one anchor); names that translate
  rather than transliterate (Германия / Germany) or are short (Куба, Ялта) do not count; two
  same-day posts that differ only in a figure can score as translations when neither has its
  true counterpart in the data, though the one-to-one rule keeps them out of a group that has one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from hashlib import sha256
from itertools import combinations
from typing import Any

import numpy as np

from statemedia.config import TranslationConfig
from statemedia.records import UNDETERMINED, Post

TRANSLATION_VERSION = "translation@1"
# Weight of each feature in the score (see the module doc).
WEIGHTS: Mapping[str, float] = {
    "links": 3.0,
    "numbers": 3.0,
    "names": 2.0,
    "hashtags": 1.0,
    "media": 1.0,
    "length": 1.0,
    "time": 1.0,
}

__all__ = [
    "TRANSLATION_VERSION",
    "PairEvidence",
    "TranslationCounts",
    "TranslationGroup",
    "TranslationResult",
    "group_id_for",
    "link_translations",
    "name_keys",
    "normalise_link",
    "number_tokens",
    "score_pair",
    "translation_column",
]


# --------------------------------------------------------------------------------------------------
# Records.


@dataclass(frozen=True, slots=True)
class PairEvidence:
    """Why two posts are (or are not) translations: what they share, and the score."""

    post_a: str  # the smaller post_id
    post_b: str
    score: float  # weighted mean of the counted features, in [0, 1]
    minutes_apart: int | None  # |published_at difference|; None when a post has no time
    shared_links: tuple[str, ...]  # normalised, sorted
    shared_numbers: tuple[str, ...]
    shared_names: tuple[str, ...]  # consonant-skeleton keys
    shared_hashtags: tuple[str, ...]  # casefolded
    same_media: bool | None  # None when neither post has media
    length_ratio: float  # shorter / longer text, in characters

    @property
    def anchors(self) -> int:
        """Shared links, numbers and names: the evidence a pair needs beyond time and hashtags."""
        return len(self.shared_links) + len(self.shared_numbers) + len(self.shared_names)


@dataclass(frozen=True, slots=True)
class TranslationGroup:
    """Posts of one publisher that are one message in distinct languages."""

    group_id: str  # "tr-" + 16 hex digits of sha256 over the sorted member post ids
    method: str  # TRANSLATION_VERSION
    publisher: str
    members: tuple[str, ...]  # post ids, sorted
    languages: tuple[str, ...]  # the language of each member, aligned with `members`
    score: float  # mean score over every member pair (the average linkage)
    pairs: tuple[PairEvidence, ...]  # every member pair, sorted by (post_a, post_b)


@dataclass(frozen=True, slots=True)
class TranslationCounts:
    """What the stage saw: posts compared or left out (by reason), pairs, groups."""

    seen: int
    no_language: int  # language empty or "und"
    undated: int  # neither published_at nor published_date
    candidate_pairs: int  # scored pairs (same publisher, different languages, in the window)
    accepted_pairs: int  # pairs passing min_score, min_anchors and min_length_ratio
    groups: int
    posts_grouped: int


@dataclass(frozen=True, slots=True)
class TranslationResult:
    """Groups sorted by group id, and the counts."""

    groups: tuple[TranslationGroup, ...]
    counts: TranslationCounts

    def group_of(self) -> dict[str, TranslationGroup]:
        """post_id -> its group, for the posts in a group."""
        return {member: group for group in self.groups for member in group.members}


# --------------------------------------------------------------------------------------------------
# Features.

_SPACES = "\u00a0\u202f\u2009 "
_NUMBER = re.compile(r"\d+(?:[,.'" + _SPACES + r"]\d+)*")
_MONTHS: dict[str, tuple[str, ...]] = {
    "ru": (
        r"январ[ьяе]",
        r"феврал[ьяе]",
        r"март[ае]?",
        r"апрел[ьяе]",
        r"ма[йяе]",
        r"июн[ьяе]",
        r"июл[ьяе]",
        r"август[ае]?",
        r"сентябр[ьяе]",
        r"октябр[ьяе]",
        r"ноябр[ьяе]",
        r"декабр[ьяе]",
    ),
    "en": (
        r"jan(?:uary)?",
        r"feb(?:ruary)?",
        r"mar(?:ch)?",
        r"apr(?:il)?",
        r"may",
        r"june?",
        r"july?",
        r"aug(?:ust)?",
        r"sep(?:t|tember)?",
        r"oct(?:ober)?",
        r"nov(?:ember)?",
        r"dec(?:ember)?",
    ),
    "es": (
        r"enero",
        r"febrero",
        r"marzo",
        r"abril",
        r"mayo",
        r"junio",
        r"julio",
        r"agosto",
        r"se?ptiembre",
        r"octubre",
        r"noviembre",
        r"diciembre",
    ),
    "fr": (
        r"janvier",
        r"février",
        r"mars",
        r"avril",
        r"mai",
        r"juin",
        r"juillet",
        r"août",
        r"septembre",
        r"octobre",
        r"novembre",
        r"décembre",
    ),
}


@cache
def _month_patterns() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, int]]:
    """Day-month and month-day patterns over the months of every language, and month numbers."""
    alternatives: list[str] = []
    for names in _MONTHS.values():
        alternatives.extend(f"(?P<m{len(alternatives)}>{name})" for name in names)
    number_of = {f"m{i}": i % 12 + 1 for i in range(len(alternatives))}
    months = "|".join(alternatives)
    day = r"(?P<{}>[0-3]?\d)(?:er|st|nd|rd|th|\.?º|\.?ª|-?го)?"
    # "4–5 декабря", "du 4 au 11 février", "3 y 4 de marzo", "March 3–4": both days take the month.
    day_range = (
        day.format("day") + r"(?:\s*(?:[–—-]|и|по|and|to|et|au|y|al)\s*" + day.format("day2") + ")?"
    )
    day_first = re.compile(r"(?<!\d)" + day_range + r"\s+(?:de\s+)?(?:" + months + r")(?!\w)")
    months_second = months.replace("(?P<m", "(?P<n")
    month_first = re.compile(r"(?<!\w)(?:" + months_second + r")\.?\s+" + day_range + r"(?!\d)")
    number_of.update({f"n{i}": i % 12 + 1 for i in range(len(alternatives))})
    return day_first, month_first, number_of


_NUMERIC_DATE = re.compile(r"(?<![\d.])([0-3]?\d)\.([01]?\d)\.((?:19|20)\d\d)(?![\d])")


def _canonical_number(integer: str, decimal: str) -> str:
    integer = integer.lstrip("0") or "0"
    decimal = decimal.rstrip("0")
    return f"{integer}.{decimal}" if decimal else integer


def _numbers_in(run: str) -> list[str]:
    """The numbers of one run of digits and separators ("1 000,5", "28 2025", "2.5")."""
    parts = re.split(r"([,.'" + _SPACES + r"])", run)
    groups, seps = parts[0::2], parts[1::2]
    out: list[str] = []
    integer, decimal, thousands = groups[0], "", None
    for sep, group in zip(seps, groups[1:], strict=True):
        kind = " " if sep in _SPACES else sep
        grouping = (
            not decimal
            and len(group) == 3
            and thousands in (None, kind)
            and integer != "0"
            and (thousands is not None or len(integer) <= 3)
        )
        if grouping:
            integer += group
            thousands = kind
        elif kind in ",." and not decimal and kind != thousands:
            decimal = group
        else:
            out.append(_canonical_number(integer, decimal))
            integer, decimal, thousands = group, "", None
    out.append(_canonical_number(integer, decimal))
    return out


def number_tokens(text: str) -> frozenset[str]:
    """Numbers and day-month dates of a text in canonical form ("1000", "2.5", "06-28")."""
    folded = unicodedata.normalize("NFC", text).casefold()
    tokens: set[str] = set()
    day_first, month_first, number_of = _month_patterns()

    def take_date(match: re.Match[str]) -> str:
        found = match.groupdict()
        month = next(number_of[k] for k, v in found.items() if v and k[0] in "mn")
        days = [int(found[k]) for k in ("day", "day2") if found[k]]
        if not all(1 <= d <= 31 for d in days):
            return match.group(0)
        tokens.update(f"{month:02d}-{d:02d}" for d in days)
        return " "

    def take_numeric(match: re.Match[str]) -> str:
        day, month = int(match.group(1)), int(match.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            tokens.add(f"{month:02d}-{day:02d}")
            return f" {match.group(3)} "
        return match.group(0)

    folded = _NUMERIC_DATE.sub(take_numeric, folded)
    folded = day_first.sub(take_date, folded)
    folded = month_first.sub(take_date, folded)
    for match in _NUMBER.finditer(folded):
        tokens.update(_numbers_in(match.group(0)))
    return frozenset(tokens)


_LANGUAGE_SEGMENT = re.compile(r"/(?:ru|en|es|fr|de|ar|zh|pt|it)(?=/|$)")


def normalise_link(url: str) -> str:
    """A URL without scheme, `www.`, query, fragment, trailing '/' and language path segments."""
    url = url.strip().casefold()
    url = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url)
    url = re.sub(r"^www\.", "", url)
    url = re.split(r"[?#]", url, maxsplit=1)[0]
    host, _, path = url.partition("/")
    path = _LANGUAGE_SEGMENT.sub("", "/" + path).rstrip("/")
    return host + path


# Consonant classes: Latin letters for most; Z ж, C ч, S ш/щ, c ц. Vowels, й and signs: nothing.
_CYRILLIC = dict(zip("бвгджзклмнпрстфхцчшщґ", "bvgdZzklmnprstfhcCSSg", strict=True))
# Latin spellings of Russian sounds per language, tried longest first at each position; a letter
# that starts none maps through `_LATIN`.
_DIGRAPHS: dict[str, tuple[tuple[str, str], ...]] = {
    language: tuple(tuple(pair.split("=")) for pair in table.split())  # type: ignore[misc]
    for language, table in {
        "en": "shch=S zh=Z kh=h ts=c ch=C sh=S ck=k ph=f j=dZ",
        "fr": "chtch=S tch=C dj=dZ kh=h ch=S ts=c gu=g qu=k ph=f j=Z",
        "es": "shch=S zh=Z ch=C sh=S ts=c gu=g qu=k ll=l ph=f j=h",
    }.items()
}
_LATIN = {**{c: c for c in "bdfghklmnprstvz"}, "c": "k", "q": "k", "w": "v", "x": "ks", "j": "Z"}
_RU_ENDING = re.compile(r"(?:ами|ями|ого|его|ому|ему|ым|им|ом|ем|ам|ям|ах|ях)$")
_WORD = re.compile(r"[^\W\d_]+")
MIN_NAME_CONSONANTS = 3


def _ascii_fold(word: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)
    ).casefold()


@lru_cache(maxsize=1 << 16)
def _skeleton(word: str, language: str) -> str:
    """The consonant skeleton of one word, read with the romanisation of `language`."""
    lower = word.casefold()
    if any("\u0400" <= c <= "\u04ff" for c in lower):
        if len(lower) > 5:
            lower = _RU_ENDING.sub("", lower)
        classes = "".join(_CYRILLIC.get(c, "") for c in lower)
    else:
        folded = _ascii_fold(lower)
        digraphs = _DIGRAPHS.get(language, _DIGRAPHS["en"])
        out: list[str] = []
        i = 0
        while i < len(folded):
            for spelling, sound in digraphs:
                if folded.startswith(spelling, i):
                    out.append(sound)
                    i += len(spelling)
                    break
            else:
                out.append(_LATIN.get(folded[i], ""))
                i += 1
        classes = "".join(out)
    return re.sub(r"(.)\1+", r"\1", classes)


def name_keys(text: str, hashtags: Iterable[str], language: str) -> frozenset[str]:
    """Consonant-skeleton keys of a text's capitalised words and of its hashtags."""
    words = [w for w in _WORD.findall(text) if w[0].isupper() and len(w) >= 3]
    words.extend(w for tag in hashtags for w in _WORD.findall(tag) if len(w) >= 3)
    keys = {_skeleton(w, language) for w in words}
    return frozenset(k for k in keys if len(k) >= MIN_NAME_CONSONANTS)


@dataclass(frozen=True, slots=True)
class _Features:
    post_id: str
    publisher: str
    language: str
    minute: int | None  # minutes since the epoch (UTC)
    day: int | None  # published_date ordinal
    links: frozenset[str]
    numbers: frozenset[str]
    names: frozenset[str]
    hashtags: frozenset[str]
    media: frozenset[str]
    length: int
    anchor_set: frozenset[str]  # links, numbers and names, tagged: a candidate pair shares one


def _features(post: Post, publisher: str) -> _Features:
    text = "\n".join(part for part in (post.title, post.text) if part)
    minute = None
    if post.published_at is not None:
        minute = int(post.published_at.timestamp()) // 60
    links = frozenset(normalise_link(u) for u in post.links)
    numbers = number_tokens(text)
    names = name_keys(text, post.hashtags, post.language)
    return _Features(
        post_id=post.post_id,
        publisher=publisher,
        language=post.language,
        minute=minute,
        day=post.published_date.toordinal() if post.published_date else None,
        links=links,
        numbers=numbers,
        names=names,
        hashtags=frozenset(h.casefold() for h in post.hashtags),
        media=frozenset(str(m) for m in post.media),
        length=len(text),
        anchor_set=frozenset(
            [*(f"l:{x}" for x in links), *(f"n:{x}" for x in numbers), *(f"p:{x}" for x in names)]
        ),
    )


# --------------------------------------------------------------------------------------------------
# Scoring.


_SET_FEATURES = ("links", "numbers", "names", "hashtags")


def _measure(a: _Features, b: _Features, window_minutes: int) -> tuple[float, int, float]:
    """Score, anchors (shared links + numbers + names) and length ratio of a pair."""
    weighted = total = 0.0
    anchors = 0
    for name in _SET_FEATURES:
        left, right = getattr(a, name), getattr(b, name)
        if left or right:
            both = len(left & right)
            weighted += WEIGHTS[name] * both / len(left | right)
            total += WEIGHTS[name]
            if name != "hashtags":
                anchors += both
    if a.media or b.media:
        weighted += WEIGHTS["media"] * (a.media == b.media)
        total += WEIGHTS["media"]
    length_ratio = min(a.length, b.length) / max(a.length, b.length, 1)
    weighted += WEIGHTS["length"] * length_ratio
    total += WEIGHTS["length"]
    if a.minute is not None and b.minute is not None:
        weighted += WEIGHTS["time"] * max(0.0, 1.0 - abs(a.minute - b.minute) / window_minutes)
        total += WEIGHTS["time"]
    return round(weighted / total, 6), anchors, round(length_ratio, 6)


def _evidence(a: _Features, b: _Features, window_minutes: int) -> PairEvidence:
    if b.post_id < a.post_id:
        a, b = b, a
    score, _, length_ratio = _measure(a, b, window_minutes)
    shared = {name: tuple(sorted(getattr(a, name) & getattr(b, name))) for name in _SET_FEATURES}
    timed = a.minute is not None and b.minute is not None
    return PairEvidence(
        post_a=a.post_id,
        post_b=b.post_id,
        score=score,
        minutes_apart=abs(a.minute - b.minute) if timed else None,  # type: ignore[operator]
        shared_links=shared["links"],
        shared_numbers=shared["numbers"],
        shared_names=shared["names"],
        shared_hashtags=shared["hashtags"],
        same_media=a.media == b.media if a.media or b.media else None,
        length_ratio=length_ratio,
    )


def score_pair(a: Post, b: Post, config: TranslationConfig) -> PairEvidence:
    """Evidence and score of two posts as a translation pair (publisher and window not checked)."""
    return _evidence(_features(a, a.source), _features(b, b.source), config.window_minutes)


def _passes(score: float, anchors: int, length_ratio: float, config: TranslationConfig) -> bool:
    """Whether a scored pair is accepted as a translation link (before the grouping rules)."""
    return (
        score >= config.min_score
        and anchors >= config.min_anchors
        and length_ratio >= config.min_length_ratio
    )


def _candidate_pairs(
    feats: Sequence[_Features], window_minutes: int
) -> Iterable[tuple[_Features, _Features]]:
    """Pairs of one publisher's posts in different languages within the window (sorted sweeps)."""
    timed = sorted((f.minute, f.post_id, f) for f in feats if f.minute is not None)
    minutes = [minute for minute, _, _ in timed]
    for i, (minute, _, a) in enumerate(timed):
        for j in range(i + 1, bisect_right(minutes, minute + window_minutes)):
            b = timed[j][2]
            if a.language != b.language:
                yield a, b
    days = math.ceil(window_minutes / (24 * 60))
    by_day: dict[int, list[_Features]] = defaultdict(list)
    for f in feats:
        if f.day is not None:
            by_day[f.day].append(f)
    for a in sorted((f for f in feats if f.minute is None), key=lambda f: f.post_id):
        assert a.day is not None
        for day in range(a.day - days, a.day + days + 1):
            for b in by_day.get(day, ()):
                # A pair with two untimed posts is yielded once, from its smaller post id.
                untimed_twice = b.minute is None and b.post_id <= a.post_id
                if b.language != a.language and not untimed_twice:
                    yield a, b


def group_id_for(members: Iterable[str]) -> str:
    """Deterministic group id: "tr-" and 16 hex digits of sha256 over the sorted member ids."""
    return "tr-" + sha256("\n".join(sorted(members)).encode()).hexdigest()[:16]


def translation_status(language: str | None, dated: bool) -> str | None:
    """Why a post cannot join a group ("no_language", "undated"), or None if it can."""
    if not language or language == UNDETERMINED:
        return "no_language"
    return None if dated else "undated"


def link_translations(
    posts: Sequence[Post],
    config: TranslationConfig,
    publishers: Mapping[str, str] | None = None,
) -> TranslationResult:
    """Group posts that are one message in different languages of one publisher (module doc)."""
    ids = [p.post_id for p in posts]
    if len(set(ids)) != len(ids):
        raise ValueError("link_translations: post_id values must be unique")
    publishers = publishers or {}
    status = Counter[str]()
    feats: list[_Features] = []
    for post in posts:
        why = translation_status(
            post.language, post.published_at is not None or post.published_date is not None
        )
        if why:
            status[why] += 1
        else:
            feats.append(_features(post, publishers.get(post.source, post.source)))
    return link_features(feats, len(posts), status["no_language"], status["undated"], config)


def translation_features(post: Post, publisher: str) -> _Features:
    """What the scoring compares of one post (computed where the post is read)."""
    return _features(post, publisher)


def features_needed(
    candidates: Sequence[tuple[str, str, int | None, int | None]], window_minutes: int
) -> list[bool]:
    """For (publisher, language, minute, day) of each groupable post: whether it can be in any
    candidate pair, i.e. a post of the same publisher in another language is within the window
    (by minute, or by day when either is untimed). Only those posts' features are needed."""
    days = math.ceil(window_minutes / (24 * 60))
    by_publisher: dict[str, list[int]] = defaultdict(list)
    for k, (publisher, _, _, _) in enumerate(candidates):
        by_publisher[publisher].append(k)
    needed = [False] * len(candidates)
    for members in by_publisher.values():
        languages = {candidates[k][1] for k in members}
        if len(languages) < 2:
            continue  # one language: no pair at all
        for language in languages:
            mine = [k for k in members if candidates[k][1] == language]
            others = [k for k in members if candidates[k][1] != language]
            other_minutes = np.sort([m for k in others if (m := candidates[k][2]) is not None])
            other_days = np.sort([d for k in others if (d := candidates[k][3]) is not None])
            untimed_days = np.sort(
                [
                    d
                    for k in others
                    if candidates[k][2] is None and (d := candidates[k][3]) is not None
                ]
            )
            for k in mine:
                _, _, minute, day = candidates[k]
                by_minute = minute is not None and _within(other_minutes, minute, window_minutes)
                # An untimed post pairs by day with any post; a timed one, with untimed ones.
                day_pool = untimed_days if minute is not None else other_days
                needed[k] = by_minute or (day is not None and _within(day_pool, day, days))
    return needed


def _within(sorted_values: np.ndarray, value: int, radius: int) -> bool:
    """Whether any of `sorted_values` lies in [value - radius, value + radius]."""
    i = int(np.searchsorted(sorted_values, value - radius, "left"))
    return i < len(sorted_values) and int(sorted_values[i]) <= value + radius


def link_features(
    feats: Sequence[_Features],
    seen: int,
    no_language: int,
    undated: int,
    config: TranslationConfig,
) -> TranslationResult:
    """`link_translations` over the features of the groupable posts (`seen` posts in all, of
    which `no_language` and `undated` could not be grouped). Features of posts that can be in no
    candidate pair (`features_needed`) may be left out: the result is the same."""
    by_publisher: dict[str, list[_Features]] = defaultdict(list)
    for feature in sorted(feats, key=lambda f: f.post_id):
        by_publisher[feature.publisher].append(feature)

    groups: list[TranslationGroup] = []
    candidates = accepted_count = 0
    for publisher in sorted(by_publisher):
        feats_of = by_publisher[publisher]
        scored: dict[tuple[str, str], float] = {}
        accepted: list[tuple[float, str, str]] = []
        for a, b in _candidate_pairs(feats_of, config.window_minutes):
            if a.anchor_set.isdisjoint(b.anchor_set):
                continue  # not a candidate: nothing that survives translation is shared
            score, anchors, length_ratio = _measure(a, b, config.window_minutes)
            key = (a.post_id, b.post_id) if a.post_id < b.post_id else (b.post_id, a.post_id)
            scored[key] = score
            if _passes(score, anchors, length_ratio, config):
                accepted.append((-score, *key))
        candidates += len(scored)
        accepted_count += len(accepted)
        accepted.sort()
        by_id = {f.post_id: f for f in feats_of}
        groups.extend(_merge(accepted, scored, by_id, publisher, config))
    groups.sort(key=lambda g: g.group_id)
    return TranslationResult(
        groups=tuple(groups),
        counts=TranslationCounts(
            seen=seen,
            no_language=no_language,
            undated=undated,
            candidate_pairs=candidates,
            accepted_pairs=accepted_count,
            groups=len(groups),
            posts_grouped=sum(len(g.members) for g in groups),
        ),
    )


def _merge(
    accepted: Sequence[tuple[float, str, str]],
    scored: Mapping[tuple[str, str], float],
    by_id: Mapping[str, _Features],
    publisher: str,
    config: TranslationConfig,
) -> list[TranslationGroup]:
    """Greedy merges in score order: one post per language per group, average linkage."""
    group_of: dict[str, list[str]] = {}
    for _, post_a, post_b in accepted:
        left = group_of.get(post_a, [post_a])
        right = group_of.get(post_b, [post_b])
        if left is right:
            continue
        if {by_id[m].language for m in left} & {by_id[m].language for m in right}:
            continue  # the one-to-one rule: a group holds one post per language
        cross = [scored.get((x, y) if x < y else (y, x), 0.0) for x in left for y in right]
        if sum(cross) / len(cross) < config.min_score:
            continue  # average linkage: the groups as a whole are not one message
        merged = left + right
        for member in merged:
            group_of[member] = merged
    out: list[TranslationGroup] = []
    done: set[str] = set()
    for first, members_list in group_of.items():
        if first in done:
            continue
        done.update(members_list)
        members = tuple(sorted(members_list))
        pairs = tuple(
            _evidence(by_id[x], by_id[y], config.window_minutes)
            if (x, y) in scored
            else _missing_pair(x, y)
            for x, y in combinations(members, 2)
        )
        out.append(
            TranslationGroup(
                group_id=group_id_for(members),
                method=TRANSLATION_VERSION,
                publisher=publisher,
                members=members,
                languages=tuple(by_id[m].language for m in members),
                score=round(sum(p.score for p in pairs) / len(pairs), 6),
                pairs=pairs,
            )
        )
    return out


def _missing_pair(a: str, b: str) -> PairEvidence:
    """A member pair that is not a candidate (outside the window, nothing shared): score 0."""
    return PairEvidence(a, b, 0.0, None, (), (), (), (), None, 0.0)


def translation_column(group: TranslationGroup | None) -> dict[str, Any] | None:
    """The `translation_group` value of a row: its group as plain data, or None (no group)."""
    if group is None:
        return None
    return {
        "group_id": group.group_id,
        "method": group.method,
        "score": group.score,
        "members": [
            {"post_id": m, "language": lang}
            for m, lang in zip(group.members, group.languages, strict=True)
        ],
        "pairs": [
            {
                "post_a": p.post_a,
                "post_b": p.post_b,
                "score": p.score,
                "minutes_apart": p.minutes_apart,
                "shared_links": list(p.shared_links),
                "shared_numbers": list(p.shared_numbers),
                "shared_names": list(p.shared_names),
                "shared_hashtags": list(p.shared_hashtags),
                "same_media": p.same_media,
                "length_ratio": p.length_ratio,
            }
            for p in group.pairs
        ],
    }
