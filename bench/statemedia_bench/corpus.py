"""The synthetic corpus: N posts in 300 Telegram Desktop channel exports, with known families.

An order-1 word Markov chain trained on the seeds' text writes originals; copies of them (exact,
edited, truncated, with a channel footer, reprinted, rewritten) and templated hard negatives are
mixed in (bench/README.md lists the shares). `generate` writes `channel_NNN/result.json` files and
returns, for every post in the order `read_corpus` reads them, its family and the text the ground
truth compares. The same arguments always give the same bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

N_CHANNELS = 300
FOOTER_CHANNEL_SHARE = 0.4

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


@dataclass(frozen=True)
class Families:
    """What the generator knows about the posts it wrote, in the order `read_corpus` reads them."""

    compared: list[str]  # each post's text without the lines the generator adds as boilerplate
    family: np.ndarray  # int64: an original and its copies share one id; each template family too
    template_family: np.ndarray  # int64: the template family of a hard negative, else -1


@dataclass(frozen=True)
class Posts:
    """The posts of a written corpus, as dedup sees them (the global order: channel, then time)."""

    ids: list[str]
    sources: list[str]
    texts: list[str]
    ranks: list[tuple[str, str]]  # (posting time, post id): the earliest copy is kept


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


def generate(n_posts: int, seed: int, out: Path, seeds_dir: Path) -> Families:
    """Write the corpus as one Telegram export (result.json) per channel; return its families."""
    rng = np.random.default_rng(seed)
    markov = Markov(seeds_dir)
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
    posted = rng.uniform(0, 365, n)  # day of the year
    fam = np.array(family)
    is_copy = (np.array(kind) != 0) & (np.array(tfamily) < 0)
    posted[is_copy] = posted[fam[is_copy]] + rng.uniform(0.01, 3, int(is_copy.sum()))
    order = np.lexsort((posted, np.array(channel)))  # the global order: by channel, then time
    out.mkdir(parents=True, exist_ok=True)
    epoch = datetime(2024, 1, 1, tzinfo=UTC)
    start = 0
    chan = np.array(channel)[order]
    for c in range(N_CHANNELS):
        stop = int(np.searchsorted(chan, c, "right"))
        messages = []
        for msg_id, i in enumerate(order[start:stop].tolist(), start=1):
            when = epoch + timedelta(days=float(posted[i]))
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
    return Families(compared, fam[order], np.array(tfamily)[order])


def telegram_message(msg_id: int, when: datetime, name: str, c: int, text: str) -> dict[str, Any]:
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


def read_corpus(corpus: Path) -> Posts:
    """Every post of the exports under `corpus`, in the global order (channel, then time)."""
    posts = Posts(ids=[], sources=[], texts=[], ranks=[])
    for path in sorted(corpus.glob("channel_*/result.json")):
        export = json.loads(path.read_text(encoding="utf-8"))
        source = path.parent.name
        for m in export["messages"]:
            post_id = f"{source}:{m['id']}"
            posts.ids.append(post_id)
            posts.sources.append(source)
            posts.texts.append("".join(e["text"] for e in m["text_entities"]))
            posts.ranks.append((m["date_unixtime"], post_id))
    return posts
