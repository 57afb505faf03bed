"""Benchmark of translation linking (`statemedia.translations`): quality on the hand-labelled gold
set and throughput on a synthetic scaled set.

    .venv/bin/python scripts/bench_translations.py [--posts 100000] [--results bench/RESULTS.md]

Quality: pair precision / recall (over the pairs of posts that share a group) and group-level
precision / recall (a predicted group counts when its member set equals a gold group's) on
tests/fixtures/translations/ (posts.jsonl, gold.json; see its README.md) and on its `heldout/`
set (written after the thresholds were fixed), plus the hard-negative pairs merged (target 0).
Throughput: `link_translations` on `--posts` synthetic Ministry posts over four language channels
(messages of 1-4 languages, translations 10 min-6 h after the Russian post, about 120 posts a
day), whose true groups are known, so pair precision / recall are reported there too. Settings:
the `[translations]` table of the config (`--config`).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

from statemedia.clean import extract_hashtags
from statemedia.config import TranslationConfig, load_config
from statemedia.records import Post, Provenance
from statemedia.translations import link_translations
from statemedia.vocab import REPO_ROOT, DateConfidence, MediaKind, RecordKind
from statemedia_bench import DEFAULT_CONFIG

GOLD_DIR = REPO_ROOT / "tests" / "fixtures" / "translations"


# --------------------------------------------------------------------------------------------------
# Posts and gold groups.


def make_post(
    post_id: str,
    source: str,
    language: str,
    text: str,
    published_at: datetime | None = None,
    published_date: date | None = None,
    channel: str | None = None,
    platform: str = "telegram",
    links: Sequence[str] = (),
    media: Sequence[str] = (),
) -> Post:
    """A `Post` as a parser and cleaning would make it from the given fields (the rest empty)."""
    values: dict[str, Any] = {
        "post_id": post_id,
        "record_kind": RecordKind.TELEGRAM_POST if platform == "telegram" else RecordKind.ARTICLE,
        "source": source,
        "platform": platform,
        "channel": channel,
        "native_id": post_id.rsplit("/", 1)[-1],
        "title": None,
        "title_source": None,
        "subtitle": None,
        "text": text,
        "published_date": published_date or (published_at.date() if published_at else None),
        "published_at": published_at,
        "edited_at": None,
        "date_confidence": DateConfidence.STATED if published_at else DateConfidence.INFERRED,
        "date_evidence": None,
        "date_note": None,
        "event_dates": (),
        "forwarded_from": None,
        "reply_to_native_id": None,
        "hashtags": extract_hashtags(text),
        "mentions": (),
        "links": tuple(links),
        "media": tuple(MediaKind(m) for m in media),
        "views": None,
        "forwards": None,
        "replies": None,
        "reactions": (),
        "metrics_observed_at": None,
        "language": language,
        "language_confidence": None,  # fields being added to Post: filled only where they exist
        "declared_language": language,
        "url": None,
        "provenance": Provenance(
            f"fixture:{post_id}", "0" * 64, 1, 1, 0, len(text), 0, 0, "fixture"
        ),
    }
    names = {f.name for f in fields(Post)}
    missing = sorted(names - set(values))
    if missing:
        raise TypeError(f"make_post: Post has new field(s) {', '.join(missing)}; add them here")
    return Post(**{k: v for k, v in values.items() if k in names})


def read_posts(path: Path) -> list[Post]:
    """The posts of a fixture JSONL file (one object per line; see the fixture README)."""
    posts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        stamp = record["published_at"]
        posts.append(
            make_post(
                post_id=record["post_id"],
                source=record["source"],
                language=record["language"],
                text=record["text"],
                published_at=datetime.fromisoformat(stamp) if stamp else None,
                published_date=date.fromisoformat(record["published_date"]),
                channel=record["channel"],
                platform=record["platform"],
                links=record["links"],
                media=record["media"],
            )
        )
    return posts


@dataclass(frozen=True)
class Gold:
    """Gold groups (name -> sorted member ids) and hard-negative pairs of the fixture."""

    groups: dict[str, tuple[str, ...]]
    hard_negatives: tuple[tuple[str, str], ...]


def read_gold(folder: Path = GOLD_DIR) -> tuple[list[Post], Gold]:
    """The gold set: posts.jsonl and gold.json of `folder`."""
    posts = read_posts(folder / "posts.jsonl")
    data = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    gold = Gold(
        groups={name: tuple(sorted(g["members"])) for name, g in data["groups"].items()},
        hard_negatives=tuple((h["a"], h["b"]) for h in data["hard_negatives"]),
    )
    return posts, gold


# --------------------------------------------------------------------------------------------------
# Scores.


@dataclass(frozen=True)
class Quality:
    """Pair and group precision / recall of predicted groups against gold groups."""

    pair_precision: float
    pair_recall: float
    group_precision: float  # predicted groups equal to a gold group / predicted groups
    group_recall: float  # gold groups predicted exactly / gold groups
    predicted_pairs: int
    gold_pairs: int
    hard_negative_merges: int


def _pairs(groups: Iterable[Sequence[str]]) -> set[tuple[str, str]]:
    return {pair for g in groups for pair in combinations(sorted(g), 2)}


def quality(
    predicted: Iterable[Sequence[str]],
    gold: Iterable[Sequence[str]],
    hard_negatives: Iterable[tuple[str, str]] = (),
) -> Quality:
    """Pair- and group-level precision and recall, and hard-negative pairs merged."""
    pred_groups = {tuple(sorted(g)) for g in predicted}
    gold_groups = {tuple(sorted(g)) for g in gold}
    pred_pairs, gold_pairs = _pairs(pred_groups), _pairs(gold_groups)
    hits = len(pred_pairs & gold_pairs)
    exact = len(pred_groups & gold_groups)
    merged = sum(tuple(sorted(pair)) in pred_pairs for pair in hard_negatives)
    return Quality(
        pair_precision=hits / len(pred_pairs) if pred_pairs else 1.0,
        pair_recall=hits / len(gold_pairs) if gold_pairs else 1.0,
        group_precision=exact / len(pred_groups) if pred_groups else 1.0,
        group_recall=exact / len(gold_groups) if gold_groups else 1.0,
        predicted_pairs=len(pred_pairs),
        gold_pairs=len(gold_pairs),
        hard_negative_merges=merged,
    )


# --------------------------------------------------------------------------------------------------
# The synthetic scaled set.

_CHANNELS = {"ru": "MID_Russia", "en": "MFARussia", "es": "MAERusia", "fr": "MAErusse"}
_SURNAMES = {  # (ru, en, es, fr) spellings of invented surnames
    "ru": ["Кузнецов", "Орлова", "Жуков", "Хабаров", "Шипилов", "Чернов", "Зайцева", "Рябов"],
    "en": [
        "Kuznetsov",
        "Orlova",
        "Zhukov",
        "Khabarov",
        "Shipilov",
        "Chernov",
        "Zaitseva",
        "Ryabov",
    ],
    "es": ["Kuznetsov", "Orlova", "Zhúkov", "Jabárov", "Shipílov", "Chernov", "Záitseva", "Riábov"],
    "fr": [
        "Kouznetsov",
        "Orlova",
        "Joukov",
        "Khabarov",
        "Chipilov",
        "Tchernov",
        "Zaïtseva",
        "Riabov",
    ],
}
_TEMPLATES = {
    "ru": "{name} провёл встречу с делегацией. Обсуждены {a} проектов на сумму {b} млн рублей, "
    "следующая встреча {day} {month_ru}.",
    "en": "{name} held a meeting with a delegation. They discussed {a} projects worth {b} million "
    "roubles; the next meeting is on {month_en} {day}.",
    "es": "{name} se reunió con una delegación. Se abordaron {a} proyectos por valor de {b} "
    "millones de rublos; la próxima reunión será el {day} de {month_es}.",
    "fr": "{name} a rencontré une délégation. {a} projets d'une valeur de {b} millions de roubles "
    "ont été examinés ; la prochaine réunion aura lieu le {day} {month_fr}.",
}
_MONTHS = {
    "month_ru": ["января", "февраля", "марта", "апреля", "мая", "июня"],
    "month_en": ["January", "February", "March", "April", "May", "June"],
    "month_es": ["enero", "febrero", "marzo", "abril", "mayo", "junio"],
    "month_fr": ["janvier", "février", "mars", "avril", "mai", "juin"],
}


def synthetic(n_posts: int, seed: int = 0) -> tuple[list[Post], list[tuple[str, ...]]]:
    """About `n_posts` Ministry posts in messages of 1-4 languages, and the true groups.

    30% of messages repeat the previous message's person and date with other figures (hard
    negatives), 10% appear in one foreign-language channel only.
    """
    rnd = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    posts: list[Post] = []
    groups: list[tuple[str, ...]] = []
    counter = 0
    minute = 0
    while len(posts) < n_posts:
        minute += rnd.randint(1, 48)  # ~30 messages a day, ~120 posts a day over four channels
        if not posts or rnd.random() >= 0.3:
            k, month, day = (
                rnd.randrange(len(_SURNAMES["ru"])),
                rnd.randrange(6),
                rnd.randint(1, 28),
            )
        # else a hard negative: the previous message's person and date, other figures
        fill = {
            "a": rnd.randint(2, 60),
            "b": rnd.randint(10, 9000),
            "day": day,
            **{key: names[month] for key, names in _MONTHS.items()},
        }
        if rnd.random() < 0.1:  # a message in one foreign channel only
            languages = [rnd.choice(["en", "es", "fr"])]
        else:
            languages = ["ru", *rnd.sample(["en", "es", "fr"], rnd.randint(0, 3))]
        members = []
        for i, lang in enumerate(languages):
            counter += 1
            post_id = f"{_CHANNELS[lang]}/{counter}"
            at = start + timedelta(minutes=minute + (rnd.randint(10, 360) if i else 0))
            text = _TEMPLATES[lang].format(name=_SURNAMES[lang][k], **fill)
            posts.append(make_post(post_id, "mfa_russia", lang, text, at, None, _CHANNELS[lang]))
            members.append(post_id)
        if len(members) > 1:
            groups.append(tuple(members))
    return posts, groups


# --------------------------------------------------------------------------------------------------
# The benchmark.


def _quality_row(name: str, q: Quality, hard: bool = True) -> str:
    merges = q.hard_negative_merges if hard else "n/a"
    return (
        f"| {name} | {q.pair_precision:.3f} | {q.pair_recall:.3f} | {q.group_precision:.3f} | "
        f"{q.group_recall:.3f} | {q.predicted_pairs:,} / {q.gold_pairs:,} | {merges} |"
    )


def run(config: TranslationConfig, n_posts: int, seed: int) -> str:
    """The benchmark's Markdown report."""
    lines = [
        f"[translations]: {config}",
        "",
        "| set | pair P | pair R | group P | group R | pairs predicted / gold "
        "| hard-negative merges |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, folder in (("gold", GOLD_DIR), ("held-out gold", GOLD_DIR / "heldout")):
        posts, gold = read_gold(folder)
        result = link_translations(posts, config)
        q = quality([g.members for g in result.groups], gold.groups.values(), gold.hard_negatives)
        lines.append(_quality_row(f"{name} ({len(posts)} posts, {len(gold.groups)} groups)", q))
    timing = ""
    if n_posts:
        synth, truth = synthetic(n_posts, seed)
        began, cpu_began = time.perf_counter(), time.process_time()
        scaled = link_translations(synth, config)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        synth_q = quality([g.members for g in scaled.groups], truth)
        lines.append(
            _quality_row(f"synthetic ({len(synth):,} posts, seed {seed})", synth_q, hard=False)
        )
        timing = (
            f"\nThroughput (one process): {len(synth):,} posts in {seconds:.1f} s wall, "
            f"{cpu:.1f} s CPU ({len(synth) / seconds:,.0f} posts/s wall, "
            f"{len(synth) / cpu:,.0f} per CPU second), {scaled.counts.candidate_pairs:,} "
            f"candidate pairs, {scaled.counts.groups:,} groups; load average "
            f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}."
        )
    return "\n".join(lines) + "\n" + timing


def main(argv: Sequence[str] | None = None) -> int:
    """Print (and optionally append to a results file) the translation benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000, help="synthetic posts (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--results", type=Path, help="append the report to this Markdown file")
    args = parser.parse_args(argv)
    report = run(load_config(args.config).translations, args.posts, args.seed)
    print(report)
    if args.results:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        command = f"scripts/bench_translations.py --posts {args.posts} --seed {args.seed}"
        with args.results.open("a", encoding="utf-8") as handle:
            handle.write(f"\n## Translation linking, {stamp}\n\n`{command}`\n\n{report}\n")
    return 0
