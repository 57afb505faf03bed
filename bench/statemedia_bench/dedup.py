"""Benchmark near-duplicate detection on a synthetic Telegram-export corpus with ground truth.

Generates N posts into bench/.work/dedup-<N>/corpus (see `statemedia_bench.corpus`), computes the
ground truth, then runs each method in its own subprocess (so peak RSS is per method): our
`statemedia.dedup`, datasketch MinHashLSH without and with exact verification of its hits, and HF
datatrove's MinHash pipeline (in bench/.venv-datatrove, created on demand; its input is written
first, in a child of its own, and timed as its own row). All take shingles, threshold, bands and
boilerplate from the `[dedup]` table of the config. Each row has wall and CPU seconds of the timed
step, the child's whole CPU, the cores other processes used meanwhile and the load average before
and after, so that a busy machine shows. It prints Markdown tables (methods, datatrove's stages,
pair counts, ratios to statemedia) and one SUMMARY line per row.

    python -m statemedia_bench.dedup --posts 200000 [--results bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from statemedia.config import DedupConfig, load_config
from statemedia_bench import DEFAULT_CONFIG, WORK_DIR
from statemedia_bench.clock import (
    PROC_LOADAVG,
    Timing,
    children_cpu_seconds,
    load_average,
    machine_busy_seconds,
)
from statemedia_bench.corpus import N_CHANNELS, generate
from statemedia_bench.datatrove_env import ensure_datatrove_env
from statemedia_bench.methods import METHODS, PREPARATION
from statemedia_bench.score import Score, pairs_in, score
from statemedia_bench.truth import ground_truth


@dataclass(frozen=True)
class Measured:
    """One child process (or two run one after the other), as the child and the driver saw it."""

    step: Timing  # the timed step, measured in the child: its own CPU plus its reaped children's
    process_wall_s: float  # the child's whole life, measured by the driver
    process_cpu_s: float  # user + sys of the child process tree (start-up, imports, reading)
    others_cpu_s: float  # busy CPU seconds of the machine meanwhile, less process_cpu_s
    load_before: float  # 1-minute load average when the child started
    load_after: float  # and when it ended
    peak_rss_mib: float
    stages: dict[str, Timing] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def then(first: Measured, second: Measured) -> Measured:
    """Two children run one after the other (datatrove's input preparation, then its stages)."""
    return Measured(
        step=Timing(first.step.wall_s + second.step.wall_s, first.step.cpu_s + second.step.cpu_s),
        process_wall_s=first.process_wall_s + second.process_wall_s,
        process_cpu_s=first.process_cpu_s + second.process_cpu_s,
        others_cpu_s=first.others_cpu_s + second.others_cpu_s,
        load_before=first.load_before,
        load_after=second.load_after,
        peak_rss_mib=max(first.peak_rss_mib, second.peak_rss_mib),
        stages={**first.stages, **second.stages},
        counts={**first.counts, **second.counts},
    )


@dataclass(frozen=True)
class Row:
    """One method's line of the results table."""

    method: str
    measured: Measured
    score: Score


PREPARATION_STAGE = "0 input preparation"
WITH_PREPARATION = " incl. input prep"


def settings(config: DedupConfig, path: Path) -> str:
    """The `[dedup]` values every method ran with, for the output and RESULTS.md."""
    values = ", ".join(f"{k} = {v}" for k, v in asdict(config).items())
    return f"[dedup] of {path.name}: {values}"


def machine_facts(load_at_start: float | None = None) -> str:
    """Cores, CPU, Python, load (at the start, if given, and now) and memory (Markdown)."""
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.rstrip()
    cpu = platform.processor() or platform.machine()
    load = " ".join(PROC_LOADAVG.read_text().split()[:3])
    start = (
        "" if load_at_start is None else f"1-minute load average at the start {load_at_start:.2f}, "
    )
    return (
        f"nproc = {os.cpu_count()}, {cpu}, Python {platform.python_version()}, {start}load "
        f"average at the end {load}\n\n```\n{free}\n```"
    )


def others_cores(m: Measured) -> float:
    """Cores that other processes kept busy, on average, while the child ran (0 on a quiet
    machine; up to the number of cores)."""
    return m.others_cpu_s / m.process_wall_s if m.process_wall_s > 0 else 0.0


def per_second(n: int, seconds: float) -> str:
    """n / seconds with thousands separators, or a dash for no time."""
    return f"{n / seconds:,.0f}" if seconds > 0 else "-"


def table(rows: list[Row], n: int) -> str:
    """The results as a Markdown table."""
    lines = [
        "| method | wall s | CPU s | CPU/wall | posts/s | posts/CPU-s | process CPU s "
        "| others' cores | load 1m before → after | peak RSS (MiB) | precision | recall | F1 "
        "| hard-negative merges |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        m, s = r.measured, r.score
        wall, cpu = m.step.wall_s, m.step.cpu_s
        ratio = f"{cpu / wall:.2f}" if wall > 0 else "-"
        lines.append(
            f"| {r.method} | {wall:.1f} | {cpu:.1f} | {ratio} | {per_second(n, wall)} | "
            f"{per_second(n, cpu)} | {m.process_cpu_s:.1f} | {others_cores(m):.2f} | "
            f"{m.load_before:.2f} → {m.load_after:.2f} | {m.peak_rss_mib:,.0f} | "
            f"{s.precision:.4f} | {s.recall:.4f} | {s.f1:.4f} | {s.hard_negative_merges} |"
        )
    return "\n".join(lines)


def stage_table(rows: list[Row], n: int) -> str:
    """The parts of each method that reports them (datatrove's stages), as a Markdown table."""
    lines = [
        "| method | stage | wall s | CPU s | CPU/wall | posts/s | posts/CPU-s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        stages = r.measured.stages
        if not stages or r.method.endswith(WITH_PREPARATION):
            continue
        prepared = next((p for p in rows if p.method == r.method + WITH_PREPARATION), None)
        named = dict(stages)
        if prepared is not None:
            named = {PREPARATION_STAGE: prepared.measured.stages[PREPARATION_STAGE], **named}
        named[f"stages together (the `{r.method}` row)"] = r.measured.step
        if prepared is not None:
            named[f"all (the `{prepared.method}` row)"] = prepared.measured.step
        for name, t in named.items():
            ratio = f"{t.cpu_s / t.wall_s:.2f}" if t.wall_s > 0 else "-"
            lines.append(
                f"| {r.method} | {name} | {t.wall_s:.1f} | {t.cpu_s:.1f} | {ratio} | "
                f"{per_second(n, t.wall_s)} | {per_second(n, t.cpu_s)} |"
            )
    return "\n".join(lines) if len(lines) > 2 else ""


def counts_text(rows: list[Row]) -> str:
    """One line per method that counted something (LSH hits, pairs verified and rejected)."""
    return "\n".join(
        f"- {r.method}: " + ", ".join(f"{k} {v:,}" for k, v in r.measured.counts.items())
        for r in rows
        if r.measured.counts and not r.method.endswith(WITH_PREPARATION)
    )


def ratios_text(rows: list[Row]) -> str:
    """statemedia's posts/s and posts/CPU-s as a multiple of every other row's."""
    ours = next((r for r in rows if r.method == "statemedia"), None)
    if ours is None:
        return ""
    out = []
    for r in rows:
        if r is ours or r.measured.step.wall_s <= 0 or r.measured.step.cpu_s <= 0:
            continue
        wall = r.measured.step.wall_s / ours.measured.step.wall_s
        cpu = r.measured.step.cpu_s / ours.measured.step.cpu_s
        out.append(f"- statemedia vs {r.method}: {wall:.2f}x posts/s, {cpu:.2f}x posts/CPU-s")
    return "\n".join(out)


class MethodFailed(Exception):
    """A method's child process exited with an error (the message holds its stderr's end)."""


def run_child(python: str, args: list[str], result: Path, what: str) -> Measured:
    """Run `python -m statemedia_bench.child ARGS`, and read what it left in `result`."""
    cmd = [python, "-m", "statemedia_bench.child", *args]
    load_before, busy_before = load_average(), machine_busy_seconds()
    cpu_before, wall_before = children_cpu_seconds(), time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    process_wall = time.perf_counter() - wall_before
    process_cpu = children_cpu_seconds() - cpu_before  # the child's tree, waited for by now
    busy, load_after = machine_busy_seconds() - busy_before, load_average()
    if done.returncode != 0:
        raise MethodFailed(f"{what} failed:\n{done.stderr[-3000:]}")
    stats = json.loads(result.read_text())
    return Measured(
        step=Timing(**stats["dedup"]),
        process_wall_s=process_wall,
        process_cpu_s=process_cpu,
        others_cpu_s=max(0.0, busy - process_cpu),
        load_before=load_before,
        load_after=load_after,
        peak_rss_mib=stats["peak_rss_mib"],
        stages={name: Timing(**t) for name, t in stats.get("stages", {}).items()},
        counts=stats.get("counts", {}),
    )


def run_method(method: str, work: Path, config_path: Path) -> list[tuple[str, Measured]] | None:
    """Run one method in a child process (after its input preparation, in another, if it has one):
    its rows' names and measurements; None if it is skipped."""
    python = sys.executable
    prepared = None
    if method == "datatrove":
        dt_python = ensure_datatrove_env()
        if dt_python is None:
            return None
        python = str(dt_python)
    if method in PREPARATION:
        args = ["--prepare", method, str(work), str(config_path)]
        prepared = run_child(
            sys.executable, args, work / f"{method}.prepare.json", f"{method} input preparation"
        )
        prepared = replace(prepared, stages={PREPARATION_STAGE: prepared.step})
    measured = run_child(
        python, [method, str(work), str(config_path)], work / f"{method}.json", method
    )
    rows = [(method, measured)]
    if prepared is not None:
        rows.append((method + WITH_PREPARATION, then(prepared, measured)))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Generate the corpus, run every method in a subprocess, score and print one line each."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0, help="seed of the corpus generator")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="default: statemedia.toml")
    ap.add_argument("--workdir", type=Path, default=None, help="default: bench/.work/dedup-<posts>")
    ap.add_argument("--results", type=Path, default=None, help="append the table to this file")
    argv_used = sys.argv[1:] if argv is None else list(argv)
    args = ap.parse_args(argv_used)
    methods = args.methods.split(",")
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        ap.error(f"unknown method(s) {', '.join(unknown)}; known: {', '.join(METHODS)}")
    config_path = args.config.resolve()
    config = load_config(config_path)
    work = (args.workdir or WORK_DIR / f"dedup-{args.posts}").resolve()

    load_at_start = load_average()
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
        result = score(np.load(work / f"{method}.labels.npy"), truth)
        rows += [Row(name, m, result) for name, m in measured]
        step = measured[0][1].step
        print(f"{method}: done in {step.wall_s:.1f} s, {step.cpu_s:.1f} CPU s", flush=True)
    text = "\n\n".join(
        part
        for part in (table(rows, n), stage_table(rows, n), counts_text(rows), ratios_text(rows))
        if part
    )
    print(text)
    if args.results:
        command = shlex.join([".venv/bin/python", "scripts/bench_dedup.py", *argv_used])
        with args.results.open("a", encoding="utf-8") as f:
            f.write(
                f"\n## {n:,} posts, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
                f"Command: `{command}`\n\nSettings: `{settings(config.dedup, config_path)}`\n\n"
                f"Machine: {machine_facts(load_at_start)}\n\n{text}\n"
            )
    for r in rows:
        m, s = r.measured, r.score
        print(
            f"SUMMARY {r.method}: {per_second(n, m.step.wall_s)} posts/s, "
            f"{per_second(n, m.step.cpu_s)} posts/CPU-s, peak RSS {m.peak_rss_mib:,.0f} MiB, "
            f"P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f}, hard-negative merges "
            f"{s.hard_negative_merges}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
