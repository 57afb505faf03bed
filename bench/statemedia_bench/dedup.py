"""Benchmark near-duplicate detection on a synthetic Telegram-export corpus with ground truth.

Generates N posts into bench/.work/dedup-<N>/corpus (see `statemedia_bench.corpus`), computes the
ground truth, then runs each method in its own subprocess (so peak RSS is per method): our
`statemedia.dedup`, datasketch MinHashLSH and HF datatrove's MinHash pipeline (in
bench/.venv-datatrove, created on demand). All take shingles, threshold, bands and boilerplate from
the `[dedup]` table of the config. It prints a Markdown table and one SUMMARY line per method.

    python -m statemedia_bench.dedup --posts 200000 [--results bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from statemedia.config import DedupConfig, load_config
from statemedia_bench import DEFAULT_CONFIG, WORK_DIR
from statemedia_bench.corpus import N_CHANNELS, generate
from statemedia_bench.datatrove_env import ensure_datatrove_env
from statemedia_bench.methods import METHODS, prepare_datatrove_input
from statemedia_bench.score import Score, pairs_in, score
from statemedia_bench.truth import ground_truth


@dataclass(frozen=True)
class Row:
    """One method's line of the results table."""

    method: str
    dedup_s: float
    peak_rss_mib: float
    score: Score


def settings(config: DedupConfig, path: Path) -> str:
    """The `[dedup]` values every method ran with, for the output and RESULTS.md."""
    values = ", ".join(f"{k} = {v}" for k, v in asdict(config).items())
    return f"[dedup] of {path.name}: {values}"


def machine_facts() -> str:
    """Cores, CPU, Python, load and memory of this machine (Markdown)."""
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.rstrip()
    cpu = platform.processor() or platform.machine()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (
        f"nproc = {os.cpu_count()}, {cpu}, Python {platform.python_version()}, load average at "
        f"the end {load}\n\n```\n{free}\n```"
    )


def table(rows: list[Row], n: int) -> str:
    """The results as a Markdown table."""
    lines = [
        "| method | dedup s | posts/s | peak RSS (MiB) | precision | recall | F1 "
        "| hard-negative merges |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        s = r.score
        lines.append(
            f"| {r.method} | {r.dedup_s:.1f} | {n / r.dedup_s:,.0f} | {r.peak_rss_mib:,.0f} | "
            f"{s.precision:.4f} | {s.recall:.4f} | {s.f1:.4f} | {s.hard_negative_merges} |"
        )
    return "\n".join(lines)


class MethodFailed(Exception):
    """A method's child process exited with an error (the message holds its stderr's end)."""


def run_method(method: str, work: Path, config_path: Path) -> tuple[float, float] | None:
    """Run one method in a child process: (dedup seconds, peak RSS MiB); None if it is skipped."""
    python = sys.executable
    if method == "datatrove":
        dt_python = ensure_datatrove_env()
        if dt_python is None:
            return None
        python = str(dt_python)
        prepare_datatrove_input(work, load_config(config_path).dedup)
    cmd = [python, "-m", "statemedia_bench.child", method, str(work), str(config_path)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise MethodFailed(f"{method} failed:\n{done.stderr[-3000:]}")
    stats = json.loads((work / f"{method}.json").read_text())
    return stats["dedup_s"], stats["peak_rss_mib"]


def main(argv: list[str] | None = None) -> int:
    """Generate the corpus, run every method in a subprocess, score and print one line each."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0, help="seed of the corpus generator")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="default: statemedia.toml")
    ap.add_argument("--workdir", type=Path, default=None, help="default: bench/.work/dedup-<posts>")
    ap.add_argument("--results", type=Path, default=None, help="append the table to this file")
    args = ap.parse_args(argv)
    methods = args.methods.split(",")
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        ap.error(f"unknown method(s) {', '.join(unknown)}; known: {', '.join(METHODS)}")
    config_path = args.config.resolve()
    config = load_config(config_path)
    work = (args.workdir or WORK_DIR / f"dedup-{args.posts}").resolve()

    t0 = time.perf_counter()
    shutil.rmtree(work, ignore_errors=True)
    seeds = config_path.parent / config.build.seeds_dir
    truth = ground_truth(generate(args.posts, args.seed, work / "corpus", seeds), config.dedup)
    np.savez_compressed(work / "truth.npz", **asdict(truth))  # for looking into errors afterwards
    n = len(truth.labels)
    print(settings(config.dedup, config_path), flush=True)
    print(
        f"corpus: {n:,} posts in {N_CHANNELS} channels, {pairs_in(truth.labels):,} truth pairs, "
        f"{len(truth.hard_left):,} hard-negative pairs ({time.perf_counter() - t0:.0f} s)",
        flush=True,
    )
    rows, failed = [], []
    for method in methods:
        try:
            measured = run_method(method, work, config_path)
        except MethodFailed as err:
            print(err, flush=True)
            failed.append(method)
            continue
        if measured is None:  # datatrove without its environment: said so, not an error
            continue
        labels = np.load(work / f"{method}.labels.npy")
        rows.append(Row(method, *measured, score(labels, truth)))
        print(f"{method}: done in {measured[0]:.1f} s", flush=True)
    text = table(rows, n)
    print(text)
    if args.results:
        command = f".venv/bin/python scripts/bench_dedup.py --posts {args.posts} --seed {args.seed}"
        with args.results.open("a", encoding="utf-8") as f:
            f.write(
                f"\n## {n:,} posts, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
                f"Command: `{command}`\n\nSettings: `{settings(config.dedup, config_path)}`\n\n"
                f"Machine: {machine_facts()}\n\n{text}\n"
            )
    for r in rows:
        s = r.score
        print(
            f"SUMMARY {r.method}: {n / r.dedup_s:,.0f} posts/s, peak RSS {r.peak_rss_mib:,.0f} "
            f"MiB, P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f}, hard-negative merges "
            f"{s.hard_negative_merges}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
