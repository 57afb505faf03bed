"""Benchmark the parsers: every raw format at a given size (default 10 MB), not a test.

For each format a file is generated in that format from invented sentences (deterministic: a
seeded `random.Random` over a fixed word list; nothing is copied from a real article), then parsed
twice: by the checked parser alone (signature, parser, record and date checks) and by
`statemedia.stages.parse_file` (parse, clean and line account, what the build runs per file). Each
timing is the best of `--repeat` runs. With several `--sizes` the per-MB time shows whether a
parser is linear: it stays flat.

`telegram_forwards (no repeat)` is the input that made `telegram_forwards@1` quadratic before the
repeat search became a Z-function: a post whose body is not shown twice, so that the search for
its copy ran to the next "Forwarded from" header (here: the end of the file) for every block size,
copying two slices each time.

    python -m statemedia_bench.parse --sizes 2.5,5,10 [--results bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from statemedia.inputs import FileDecl, RawFile
from statemedia.parse import FileContext, registry, split_lines
from statemedia.stages import parse_file
from statemedia_bench.dedup import machine_facts

# An invented paragraph: the words the generated texts are drawn from.
_PARAGRAPH = (
    "the minister said talks on trade energy security and transport would continue next week "
    "while delegations discussed a joint plan for grain rail corridors ports customs and visas "
    "officials noted that cooperation between the two countries had grown steadily this year "
    "and that a working group would prepare proposals for the summit in the autumn the ministry "
    "called on partners to respect agreements reached earlier and to resume dialogue on all "
    "open issues including fisheries education culture science tourism and regional projects"
)
WORDS = _PARAGRAPH.split()
CITIES = ("MOSCOW", "MINSK", "BAKU", "ST. PETERSBURG", "KAZAN", "VLADIVOSTOK")
CHANNEL = "ExampleMinistry"


def sentence(rng: random.Random, low: int = 8, high: int = 24) -> str:
    """An invented sentence of `low` to `high` words."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def heading(rng: random.Random) -> str:
    """An invented headline: a few words, no final punctuation."""
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))).capitalize()


def until(size: int, first: str, more: Callable[[], str]) -> str:
    """`first`, then pieces from `more()` until the text holds `size` bytes (roughly)."""
    parts, total = [first], len(first.encode())
    while total < size:
        piece = more()
        parts.append(piece)
        total += len(piece.encode())
    return "".join(parts)


def gen_tass_dump(size: int, rng: random.Random) -> str:
    def article() -> str:
        day = rng.randint(1, 28)
        body = "\n".join(sentence(rng, 15, 40) for _ in range(rng.randint(2, 6)))
        return (
            f"{heading(rng)}\n{heading(rng)}\nA minister at the talks Example Photographer/TASS\n\n"
            f"{rng.choice(CITIES)}, May {day}. /TASS/. {sentence(rng, 15, 40)}\n{body}\n"
        )

    return until(size, " date 2024-05-30 Example page title\n", article)


def gen_tass_page(size: int, rng: random.Random) -> str:
    body = "\n\n".join(sentence(rng, 20, 40) for _ in range(20))
    head = (
        " date 2024-05-30 {{newsPoint.title}}\n{{newsPoint.subtitle}}\nAll news\n\n"
        f"{heading(rng)}\n\n{heading(rng)}\nA minister Example Photographer/TASS\n\n"
        f"MOSCOW, May 30. /TASS/. {body}\n\n"
    )
    return until(size, head, lambda: f"{heading(rng)}\n{sentence(rng)}\nRead more\n\n")


def gen_sputnik(size: int, rng: random.Random) -> str:
    head = f"{heading(rng)}\n\nThursday, 30 May, 2024 - 10:00\n\n"
    return until(size, head, lambda: sentence(rng, 20, 60) + "\n\n") + "Source: example\n"


def _forwarded_post(rng: random.Random, repeated: bool, lines: int) -> str:
    header = "Forwarded from Example Mission\n" if rng.random() < 0.8 or not repeated else ""
    lead = "🤝 " + sentence(rng)
    body = [sentence(rng) for _ in range(lines)]
    if rng.random() < 0.5:
        body.append("Read in full")
    copy = body if repeated else []
    return header + "\n".join([lead, *body, *copy]) + "\n"


def gen_forwards(size: int, rng: random.Random) -> str:
    return until(size, "", lambda: _forwarded_post(rng, True, rng.randint(1, 12)))


def gen_forwards_no_repeats(size: int, rng: random.Random) -> str:
    # One forwarded post whose body is never shown twice: the repeat search runs to the file's end.
    head = f"Forwarded from Example Mission\n🤝 {sentence(rng)}\n"
    return until(size, head, lambda: sentence(rng) + "\n")


def gen_web_preview(size: int, rng: random.Random) -> str:
    head = (
        "Example Ministry 🇷🇺\n12.3K subscribers\n4.1K photos\n950 videos\n"
        "Official channel of an example ministry\nDownload Telegram\n"
    )

    def post() -> str:
        kind = rng.random()
        if kind < 0.2:
            return (
                "Please open Telegram to view this post\nVIEW IN TELEGRAM\n"
                f"🔴 #LIVE: {heading(rng)}\n\n🔴 X (ex-Twitter)\n\n🔴 Ruptly\n"
            )
        lines = [sentence(rng) for _ in range(rng.randint(1, 8))]
        opener = rng.choice(("🎙", "✍️", "🗓", "🇷🇺"))
        return f"{opener} {heading(rng)}\n\n" + "\n\n".join(lines) + "\n\nRead in full\n"

    return until(size, head, post)


def _message_text(rng: random.Random) -> tuple[Any, list[dict[str, str]]]:
    if rng.random() < 0.5:
        text = "\n".join(sentence(rng) for _ in range(rng.randint(1, 5)))
        return text, [{"type": "plain", "text": text}]
    parts: list[Any] = [
        {"type": "bold", "text": heading(rng)},
        "\n\n" + sentence(rng) + " ",
        {"type": "hashtag", "text": "#Example"},
    ]
    entities = [p if isinstance(p, dict) else {"type": "plain", "text": p} for p in parts]
    return parts, entities


def gen_export(size: int, rng: random.Random) -> str:
    messages: list[dict[str, Any]] = []
    total, start = 0, datetime(2024, 1, 1, tzinfo=UTC)
    while total < size:
        mid = len(messages) + 1
        moment = start + timedelta(minutes=17 * mid)
        text, entities = _message_text(rng)
        message = {
            "id": mid,
            "type": "message",
            "date": moment.strftime("%Y-%m-%dT%H:%M:%S"),
            "date_unixtime": str(int(moment.timestamp())),
            "from": "Example Ministry",
            "from_id": "channel1000000001",
            "text": text,
            "text_entities": entities,
        }
        if rng.random() < 0.3:
            message["reactions"] = [{"type": "emoji", "count": rng.randint(0, 900), "emoji": "👍"}]
        messages.append(message)
        total += len(json.dumps(message, ensure_ascii=False, indent=1).encode()) + 8
    root = {"name": "Example Ministry", "type": "public_channel", "id": 1, "messages": messages}
    return json.dumps(root, ensure_ascii=False, indent=1) + "\n"


def gen_jsonl(size: int, rng: random.Random) -> str:
    counter = iter(range(1, 10**9))

    def record() -> str:
        mid = next(counter)
        moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=17 * mid)
        text = "\n".join(sentence(rng) for _ in range(rng.randint(1, 5)))
        row = {
            "_": "Message",
            "id": mid,
            "peer": {"_": "PeerChannel", "username": CHANNEL},
            "date": moment.isoformat(),
            "message": text,
            "fwd_from": None,
            "views": rng.randint(100, 90000),
        }
        return json.dumps(row, ensure_ascii=False) + "\n"

    return until(size, "", record)


def gen_tme_html(size: int, rng: random.Random) -> str:
    head = (
        '<!DOCTYPE html>\n<html>\n  <head>\n    <meta charset="utf-8">\n'
        "    <title>Example Ministry – Telegram</title>\n  </head>\n"
        '  <body class="widget_frame_base tgme_webpreview_frame" data-channel="ExampleMinistry">\n'
        '    <main class="tgme_main">\n      <section class="tgme_channel_history">\n'
    )
    counter = iter(range(1, 10**9))

    def message() -> str:
        mid = next(counter)
        when = (date(2024, 1, 1) + timedelta(days=mid // 50)).isoformat()
        text = "<br/>".join(sentence(rng) for _ in range(rng.randint(1, 5)))
        return (
            '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
            f'<div class="tgme_widget_message js-widget_message" data-post="{CHANNEL}/{mid}">\n'
            '  <div class="tgme_widget_message_bubble">\n'
            f'    <div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>\n'
            '    <div class="tgme_widget_message_footer compact js-message_footer">\n'
            f'      <span class="tgme_widget_message_views">{rng.randint(1, 99)}.{mid % 10}K</span>'
            f'<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" '
            f'href="https://t.me/{CHANNEL}/{mid}"><time datetime="{when}T10:00:00+00:00" '
            'class="time">10:00</time></a></span>\n    </div>\n  </div>\n</div></div>\n'
        )

    return until(size, head, message) + "      </section>\n    </main>\n  </body>\n</html>\n"


@dataclass(frozen=True)
class Case:
    """One benchmarked input: its label, its format and how it is declared, and its generator."""

    label: str
    format: str
    platform: str
    options: dict[str, Any]
    generate: Callable[[int, random.Random], str]


CASES = (
    Case("tass_dump", "tass_dump", "web", {}, gen_tass_dump),
    Case("tass_page", "tass_page", "web", {}, gen_tass_page),
    Case("sputnik_article", "sputnik_article", "web", {}, gen_sputnik),
    Case("telegram_forwards", "telegram_forwards", "telegram", {}, gen_forwards),
    Case(
        "telegram_forwards (no repeat)",
        "telegram_forwards",
        "telegram",
        {},
        gen_forwards_no_repeats,
    ),
    Case("telegram_web_preview", "telegram_web_preview", "telegram", {}, gen_web_preview),
    Case("telegram_export", "telegram_export", "telegram", {"channel": CHANNEL}, gen_export),
    Case(
        "jsonl",
        "jsonl",
        "telegram",
        {"fields": {"text": "message", "id": "id", "date": "date", "channel": "peer.username"}},
        gen_jsonl,
    ),
    Case("tme_html", "tme_html", "telegram", {}, gen_tme_html),
)


@dataclass(frozen=True)
class Timing:
    """One case at one size: bytes, lines, records, best seconds of the parser and of parse_file."""

    label: str
    megabytes: float
    lines: int
    records: int
    parse_s: float
    file_s: float


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The shortest wall time of `repeat` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(case: Case, megabytes: float, seed: int, repeat: int) -> Timing:
    """Generate the case's file at `megabytes` and time its parser and `parse_file` on it."""
    text = case.generate(int(megabytes * 1_000_000), random.Random(seed))
    decl = FileDecl(
        "bench.txt", "0" * 64, "mfa_russia", case.platform, case.format, "en", "benchmark",
        case.options,
    )  # fmt: skip
    raw = RawFile(decl, "seeds/bench.txt", "0" * 64, text=text)
    ctx = FileContext(raw.repo_path, decl.source, decl.platform, decl.language, decl.options)
    _, parser = registry()[case.format]
    lines = split_lines(text)
    parsed = parser(lines, ctx)
    parse_s = best_of(repeat, lambda: parser(split_lines(text), ctx))
    file_s = best_of(repeat, lambda: parse_file(raw))
    size = len(text.encode()) / 1_000_000
    return Timing(case.label, size, len(lines), len(parsed.drafts), parse_s, file_s)


def table(timings: list[Timing]) -> str:
    """A Markdown table: one row per case and size."""
    rows = [
        "| input | MB | lines | records | parse s | parse+clean+account s | s per MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t in timings:
        rows.append(
            f"| {t.label} | {t.megabytes:.1f} | {t.lines:,} | {t.records:,} | {t.parse_s:.2f} | "
            f"{t.file_s:.2f} | {t.file_s / t.megabytes:.3f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Time every format's parser at each size; print a table and the slowest format."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10", help="comma-separated sizes in MB (default: 10)")
    ap.add_argument("--formats", default=None, help="comma-separated input labels (default: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs (default: 3)")
    ap.add_argument("--results", type=Path, default=None, help="append the table to this file")
    args = ap.parse_args(argv)
    sizes = [float(s) for s in args.sizes.split(",")]
    wanted = set(args.formats.split(",")) if args.formats else None
    cases = [c for c in CASES if wanted is None or c.label in wanted or c.format in wanted]
    if not cases:
        ap.error(f"no such input; known: {', '.join(c.label for c in CASES)}")
    timings = []
    for case in cases:
        for megabytes in sizes:
            timing = measure(case, megabytes, args.seed, args.repeat)
            timings.append(timing)
            print(
                f"{timing.label} {timing.megabytes:.1f} MB: parse {timing.parse_s:.2f} s, "
                f"parse+clean+account {timing.file_s:.2f} s",
                flush=True,
            )
    text = table(timings)
    print(text)
    largest = max(sizes)
    slowest = max((t for t in timings if t.megabytes >= 0.99 * largest), key=lambda t: t.file_s)
    summary = (
        f"SUMMARY slowest at {slowest.megabytes:.1f} MB: {slowest.label}, parse "
        f"{slowest.parse_s:.2f} s, parse+clean+account {slowest.file_s:.2f} s "
        f"({slowest.megabytes / slowest.file_s:.1f} MB/s)"
    )
    if args.results:
        command = (
            f".venv/bin/python scripts/bench_parse.py --sizes {args.sizes} --seed {args.seed} "
            f"--repeat {args.repeat}" + (f" --formats {args.formats}" if args.formats else "")
        )
        with args.results.open("a", encoding="utf-8") as f:
            f.write(
                f"\n## Parsers, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
                f"Command: `{command}`\n\nMachine: {machine_facts()}\n\n{text}\n\n{summary}\n"
            )
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
