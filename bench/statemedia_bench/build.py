"""Benchmark the whole build, from Telegram Desktop exports to release Parquet (not a test).

Generates (or reuses) the corpus of the dedup benchmark — N posts in 300 channel exports —, writes
each export the way Telegram Desktop does (pretty-printed JSON), declares them in a scratch
repository's seeds manifest next to a copy of the config, and runs `statemedia build --quiet` there
once per engine of `--engines` (default `local,dask`), one after the other, each in a child process
writing to its own `--out` folder (`<workdir>/out-<engine>`): `local` is the build as it runs by
default, `dask` is `--engine dask --workers 2` (a local Dask cluster of 2 worker processes).

Per engine it reports:

- wall seconds of the child and posts/s (N / wall);
- CPU seconds: user + system of the whole process tree, from the `os.wait4` rusage of the child
  (the child and every descendant it waited for, so Dask's nanny and worker processes count once
  they are reaped); a psutil sample of every process in the tree every 0.2 s checks it, and
  replaces it if the tree's sampled CPU is larger (a process that was never reaped);
- peak memory of the tree, sampled every 0.2 s with psutil (so it can miss a peak shorter than
  that): the sum of the RSS of the child and all its descendants, which counts a page shared by
  forked workers once per process, and the sum of their PSS (proportional set size: a shared page
  split among its sharers), which is what the tree takes from the machine; and the sampled peak
  RSS of the build process itself and of its largest worker. (Not the rusage's `ru_maxrss`:
  Linux carries it across execve, so a child started by this large driver would report the
  driver's peak as its own. The build's `peak_mib.json` reads VmHWM, which exec resets.)
- the per-stage `seconds.json` of the build and the kept rows;
- how busy other processes kept the machine (/proc/stat) and the 1-minute load before and after.

Then the I/O floor, in the same run: (a) read every export declared in the seeds manifest and
parse it whole (`orjson.loads` if orjson is installed, else `json.loads`); (b) read every Parquet
file of the local build's output (else the first engine's) with pyarrow and name its list items
`item` again, as the build's tables do (pyarrow reads them back as `element`; untimed), then encode
it with the build's own `statemedia.release.writer.parquet_bytes` and write the bytes to a
temporary file (timed; the notes say how many came out byte-identical to the build's files).
Floor = (a) + (b); each engine's row shows wall / floor. With two engines or more it reports
whether every Parquet file of every output is byte-identical to the first's (manifest `files`
sha256 equal, and the files on disk hashed again). Prints a Markdown table and one SUMMARY line
per engine, and appends a section to `--results` (default bench/RESULTS.md; `--no-results` to
skip). Each child's stdout and stderr go to `<workdir>/out-<engine>.log`.

    python -m statemedia_bench.build --posts 1000000 [--engines local,dask]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from statemedia.config import load_config
from statemedia.release.layout import sha256_file
from statemedia_bench import BENCH_DIR, DEFAULT_CONFIG, WORK_DIR
from statemedia_bench.clock import load_average, machine_busy_seconds
from statemedia_bench.corpus import generate
from statemedia_bench.dedup import machine_facts, per_second

ENGINES = ("local", "dask")
DASK_WORKERS = 2
SAMPLE_EVERY_S = 0.2
MIB = 2**20
CPU_CHECK_SLACK_S = 0.5  # sampled CPU may exceed the rusage by this much before it is trusted


def corpus_dir(posts: int, seed: int, work: Path, seeds_dir: Path) -> Path:
    """`work/corpus`, generated unless a complete one is there (it is written, then renamed)."""
    corpus = work / "corpus"
    if not corpus.is_dir():
        partial = work / "corpus.partial"
        shutil.rmtree(partial, ignore_errors=True)
        generate(posts, seed, partial, seeds_dir)
        partial.rename(corpus)
    return corpus


def prepare(posts: int, seed: int, work: Path, config_path: Path) -> Path:
    """A scratch repository whose seeds are the benchmark corpus as Telegram Desktop exports."""
    seeds_dir = config_path.parent / load_config(config_path).build.seeds_dir
    corpus = corpus_dir(posts, seed, work, seeds_dir)
    repo = work / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    seeds = repo / "seeds"
    seeds.mkdir(parents=True)
    entries = []
    for path in sorted(corpus.glob("channel_*/result.json")):
        name = f"{path.parent.name}.json"
        export = json.loads(path.read_text(encoding="utf-8"))
        data = json.dumps(export, ensure_ascii=False, indent=1).encode("utf-8")  # as tdesktop does
        (seeds / name).write_bytes(data)
        entries.append(
            f'[[files]]\npath = "{name}"\nsha256 = "{hashlib.sha256(data).hexdigest()}"\n'
            'source = "unidentified_telegram_channel"\nplatform = "telegram"\n'
            'format = "telegram_export"\nlanguage = "en"\ncollection = "synthetic benchmark"\n'
            f'options = {{ channel = "{path.parent.name}" }}\n'
        )
    (seeds / "manifest.toml").write_text("\n".join(entries), encoding="utf-8")
    shutil.copy(config_path, repo / "statemedia.toml")
    return repo


class TreeSampler(threading.Thread):
    """Samples a process and all its descendants every `SAMPLE_EVERY_S` seconds until stopped:
    the largest summed RSS, the largest single RSS, and each process's last user + system CPU."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self._pid = pid
        self._done = threading.Event()
        self.peak_tree_rss = 0
        self.peak_tree_pss = 0
        self.peak_process_rss = 0  # any one process
        self.peak_build_rss = 0  # the child itself
        self.peak_worker_rss = 0  # its largest descendant
        self.cpu_by_process: dict[tuple[int, float], float] = {}  # (pid, start time) -> seconds

    def run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(SAMPLE_EVERY_S)

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._done.set()
        self.join()

    def sample(self) -> None:
        """One look at the tree (processes that vanish meanwhile are skipped)."""
        try:
            root = psutil.Process(self._pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        total = total_pss = 0
        for proc in procs:
            try:
                with proc.oneshot():
                    memory = proc.memory_full_info()  # rss, and pss from /proc/<pid>/smaps_rollup
                    times = proc.cpu_times()
                    key = (proc.pid, proc.create_time())
            except psutil.Error:  # gone, or a zombie
                continue
            total += memory.rss
            total_pss += memory.pss
            self.peak_process_rss = max(self.peak_process_rss, memory.rss)
            if proc.pid == self._pid:
                self.peak_build_rss = max(self.peak_build_rss, memory.rss)
            else:
                self.peak_worker_rss = max(self.peak_worker_rss, memory.rss)
            self.cpu_by_process[key] = times.user + times.system  # own CPU only, not its children
        self.peak_tree_rss = max(self.peak_tree_rss, total)
        self.peak_tree_pss = max(self.peak_tree_pss, total_pss)

    @property
    def cpu_s(self) -> float:
        """User + system seconds of every process seen, as last sampled (a lower bound)."""
        return sum(self.cpu_by_process.values())


@dataclass(frozen=True)
class EngineRun:
    """One build, measured by the driver."""

    engine: str
    out: Path
    wall_s: float
    cpu_s: float  # what the table shows: the rusage, or the sampled CPU if that is larger
    rusage_cpu_s: float  # user + sys of the child and its reaped descendants (os.wait4)
    sampled_cpu_s: float  # the psutil samples' sum over every process seen
    processes: int  # processes seen in the tree
    peak_tree_mib: float  # sampled sum of RSS (a page shared by forked workers counts in each)
    peak_tree_pss_mib: float  # sampled sum of PSS (a shared page split among its sharers)
    build_process_mib: float  # sampled peak RSS of the build process itself
    largest_worker_mib: float  # sampled peak RSS of its largest descendant
    others_cpu_s: float
    load_before: float
    load_after: float
    kept: int
    stages: dict[str, Any]
    peak_mib: dict[str, Any]  # the build process's own peak RSS after each stage (workers apart)


@dataclass(frozen=True)
class Floor:
    """The I/O floor: reading and parsing the exports, encoding and writing the Parquet."""

    parser: str  # "orjson" or "json"
    read_s: float
    read_bytes: int
    write_s: float
    write_bytes: int
    files: int
    same_bytes: int  # re-encoded files equal to the build's

    @property
    def wall_s(self) -> float:
        return self.read_s + self.write_s


class BuildFailed(Exception):
    """A build child exited with an error (the message holds the end of its log)."""


def build_command(repo: Path, out: Path, engine: str) -> list[str]:
    """The child's command line: the build as `make dataset` runs it, or on a 2-worker Dask
    local cluster."""
    cmd = [sys.executable, "-m", "statemedia.cli", "--root", str(repo), "build", "--quiet"]
    cmd += ["--out", str(out)]
    if engine == "dask":
        cmd += ["--engine", "dask", "--workers", str(DASK_WORKERS)]
    return cmd


def run_tree(cmd: list[str], log: Path) -> tuple[float, int, Any, TreeSampler]:
    """Run `cmd` (stdout and stderr to `log`) while sampling its process tree: wall seconds, exit
    code, the `os.wait4` rusage (the child and its reaped descendants) and the sampler."""
    with log.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=err, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        sampler.stop()
    return wall, proc.returncode, usage, sampler


def run_build(repo: Path, out: Path, engine: str) -> EngineRun:
    """Build into `out` with `engine` in a child process and measure it."""
    shutil.rmtree(out, ignore_errors=True)
    log = out.parent / f"{out.name}.log"
    load_before, busy_before = load_average(), machine_busy_seconds()
    wall, code, usage, sampler = run_tree(build_command(repo, out, engine), log)
    busy, load_after = machine_busy_seconds() - busy_before, load_average()
    if code != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BuildFailed(f"build with engine {engine} exited with {code}:\n{tail}")
    rusage_cpu = usage.ru_utime + usage.ru_stime
    sampled_cpu = sampler.cpu_s
    cpu = sampled_cpu if sampled_cpu > rusage_cpu + CPU_CHECK_SLACK_S else rusage_cpu
    manifest = json.loads((out / "manifest.json").read_text())  # read at the file boundary
    return EngineRun(
        engine=engine,
        out=out,
        wall_s=wall,
        cpu_s=cpu,
        rusage_cpu_s=rusage_cpu,
        sampled_cpu_s=sampled_cpu,
        processes=len(sampler.cpu_by_process),
        peak_tree_mib=sampler.peak_tree_rss / MIB,
        peak_tree_pss_mib=sampler.peak_tree_pss / MIB,
        build_process_mib=sampler.peak_build_rss / MIB,
        largest_worker_mib=sampler.peak_worker_rss / MIB,
        others_cpu_s=max(0.0, busy - cpu),
        load_before=load_before,
        load_after=load_after,
        kept=manifest["stage_counts"]["dedup"]["kept"],
        stages=json.loads((out / "seconds.json").read_text()),
        peak_mib=json.loads((out / "peak_mib.json").read_text()),
    )


def parquet_files(out: Path) -> dict[str, str]:
    """path -> sha256 of every Parquet file a build output's manifest lists."""
    manifest = json.loads((out / "manifest.json").read_text())
    return {e["path"]: e["sha256"] for e in manifest["files"] if e["path"].endswith(".parquet")}


def output_problems(out: Path) -> tuple[dict[str, str], list[str]]:
    """The Parquet files of one output, hashed on disk, and where they disagree with its manifest
    (a file missing or unlisted, or a sha256 that differs)."""
    listed = parquet_files(out)
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*.parquet")}
    problems = [f"{out.name}: {p} not in manifest.json" for p in sorted(on_disk - set(listed))]
    hashed: dict[str, str] = {}
    for path, sha in listed.items():
        if not (out / path).is_file():
            problems.append(f"{out.name}: {path} listed but missing")
            continue
        hashed[path] = sha256_file(out / path)
        if hashed[path] != sha:
            problems.append(f"{out.name}: {path} sha256 {hashed[path]} != manifest {sha}")
    return hashed, problems


def compare_outputs(outs: list[Path]) -> tuple[bool, int, list[str]]:
    """Whether every Parquet file of every output is byte-identical to the first output's (same
    files, same manifest sha256, same bytes on disk): the verdict, the first's file count and the
    differences."""
    first_listed = parquet_files(outs[0])
    first_hashed, problems = output_problems(outs[0])
    for out in outs[1:]:
        listed = parquet_files(out)
        hashed, more = output_problems(out)
        problems += more
        for path in sorted(set(first_listed) | set(listed)):
            if path not in listed or path not in first_listed:
                problems.append(
                    f"{path}: only in {outs[0].name if path in first_listed else out.name}"
                )
            elif listed[path] != first_listed[path] or hashed.get(path) != first_hashed.get(path):
                problems.append(f"{path}: {outs[0].name} and {out.name} differ")
    return not problems, len(first_listed), problems


def json_parser() -> tuple[str, Callable[[bytes], Any]]:
    """orjson's `loads` if it is installed (it is not a dependency of the project), else json's."""
    if importlib.util.find_spec("orjson") is not None:
        import orjson

        return "orjson", orjson.loads
    return "json", json.loads


def read_floor(repo: Path) -> tuple[str, float, int]:
    """Read and parse every export of the seeds manifest whole: the parser, seconds and bytes."""
    seeds = repo / "seeds"
    declared = tomllib.loads((seeds / "manifest.toml").read_text(encoding="utf-8"))["files"]
    name, loads = json_parser()
    size = 0
    start = time.perf_counter()
    for entry in declared:
        data = (seeds / entry["path"]).read_bytes()
        size += len(data)
        loads(data)
    return name, time.perf_counter() - start, size


def with_item_names(table: Any) -> Any:
    """`table` with every list's item field named `item`, as pyarrow builds lists (a Parquet file
    read back names them `element`, which changes the Arrow schema the encoder stores)."""
    import pyarrow as pa

    def renamed(kind: Any) -> Any:
        if pa.types.is_list(kind):
            value = kind.value_field
            return pa.list_(pa.field("item", renamed(value.type), value.nullable, value.metadata))
        if pa.types.is_struct(kind):
            return pa.struct(
                [pa.field(f.name, renamed(f.type), f.nullable, f.metadata) for f in kind]
            )
        return kind

    fields = [pa.field(f.name, renamed(f.type), f.nullable, f.metadata) for f in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def write_floor(out: Path, scratch: Path) -> tuple[float, int, int, int]:
    """Encode every Parquet file of `out` again with the build's encoder and write it to a
    temporary file, timing only the encoding and the write: seconds, bytes, files, and how many
    came out byte-identical to the build's."""
    import pyarrow.parquet as pq

    from statemedia.release.writer import parquet_bytes  # imported here: src/ is being rewritten

    seconds, size, same = 0.0, 0, 0
    listed = parquet_files(out)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        target = Path(tmp) / "table.parquet"
        for path, sha in listed.items():
            table = with_item_names(pq.read_table(out / path))
            start = time.perf_counter()
            data = parquet_bytes(table)
            target.write_bytes(data)
            seconds += time.perf_counter() - start
            size += len(data)
            same += hashlib.sha256(data).hexdigest() == sha
    return seconds, size, len(listed), same


def measure_floor(repo: Path, out: Path, scratch: Path) -> Floor:
    """The I/O floor of this corpus and this output."""
    parser, read_s, read_bytes = read_floor(repo)
    write_s, write_bytes, files, same = write_floor(out, scratch)
    return Floor(parser, read_s, read_bytes, write_s, write_bytes, files, same)


def engine_label(engine: str) -> str:
    """The engine as the table names it."""
    return f"dask ({DASK_WORKERS} workers)" if engine == "dask" else engine


def table(runs: list[EngineRun], floor: Floor | None, n: int) -> str:
    """One row per engine plus the floor, as a Markdown table."""
    lines = [
        "| engine | wall s | CPU s | posts/s | peak PSS tree (MiB) | peak RSS tree (MiB) "
        "| build process (MiB) | largest worker (MiB) | × I/O floor | kept rows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        times = f"{r.wall_s / floor.wall_s:.1f}" if floor and floor.wall_s > 0 else "-"
        lines.append(
            f"| {engine_label(r.engine)} | {r.wall_s:.1f} | {r.cpu_s:.1f} | "
            f"{per_second(n, r.wall_s)} | {r.peak_tree_pss_mib:,.0f} | {r.peak_tree_mib:,.0f} | "
            f"{r.build_process_mib:,.0f} | {r.largest_worker_mib:,.0f} | {times} | {r.kept:,} |"
        )
    if floor is not None:
        lines.append(
            f"| I/O floor ({floor.parser}.loads + parquet_bytes) | {floor.wall_s:.2f} | - | "
            f"{per_second(n, floor.wall_s)} | - | - | - | - | 1.0 | - |"
        )
    return "\n".join(lines)


def notes(runs: list[EngineRun], floor: Floor | None, identical: str, size: int) -> str:
    """What the table leaves out: the floor's parts, the CPU check, the machine's load."""
    lines = [f"- exports: {size / MIB:,.1f} MiB; byte-identical: {identical}"]
    if floor is not None:
        lines.append(
            f"- I/O floor {floor.wall_s:.2f} s = read + {floor.parser}.loads of "
            f"{floor.read_bytes / MIB:,.1f} MiB {floor.read_s:.2f} s (page cache warm) + "
            f"parquet_bytes and write of {floor.files} files, {floor.write_bytes / MIB:,.1f} MiB "
            f"{floor.write_s:.2f} s ({floor.same_bytes} of {floor.files} re-encoded files "
            "byte-identical to the build's)"
        )
    for r in runs:
        lines.append(
            f"- {engine_label(r.engine)}: CPU s from wait4 rusage {r.rusage_cpu_s:.1f}, psutil "
            f"samples of {r.processes} process(es) {r.sampled_cpu_s:.1f}; build process peak "
            f"after each stage (VmHWM, MiB) {r.peak_mib}; others' cores "
            f"{r.others_cpu_s / r.wall_s if r.wall_s > 0 else 0:.2f}, load 1m "
            f"{r.load_before:.2f} → {r.load_after:.2f}"
        )
    return "\n".join(lines)


def append_results(path: Path, n: int, argv: list[str], load_at_start: float, text: str) -> None:
    """Append one section to RESULTS.md: date, N, command, machine and load, the table."""
    command = shlex.join([".venv/bin/python", "scripts/bench_build.py", *argv])
    with path.open("a", encoding="utf-8") as f:
        f.write(
            f"\n## Whole build, {n:,} posts, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
            f"Command: `{command}`\n\nMachine: {machine_facts(load_at_start)}\n\n{text}\n"
        )


def parse_engines(ap: argparse.ArgumentParser, value: str) -> list[str]:
    """`--engines a,b` as a list, each known and once."""
    engines = [e for e in value.split(",") if e]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown or not engines or len(set(engines)) != len(engines):
        ap.error(f"--engines: a comma-separated list of distinct {', '.join(ENGINES)}")
    return engines


def main(argv: list[str] | None = None) -> int:
    """Build with every engine, measure the I/O floor, print and append the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0, help="seed of the corpus generator")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="its build settings")
    parser.add_argument("--workdir", type=Path, default=None, help="default: bench/.work/<posts>")
    parser.add_argument("--engines", default=",".join(ENGINES), help="default: local,dask")
    parser.add_argument("--results", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--no-results", action="store_true", help="append nothing")
    argv_used = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv_used)
    engines = parse_engines(parser, args.engines)
    work = (args.workdir or WORK_DIR / str(args.posts)).resolve()
    load_at_start = load_average()
    repo = prepare(args.posts, args.seed, work, args.config.resolve())
    size = sum(p.stat().st_size for p in (repo / "seeds").iterdir())
    runs, failed = [], []
    for engine in engines:
        print(f"building with engine {engine} ...", flush=True)
        try:
            run = run_build(repo, work / f"out-{engine}", engine)
        except BuildFailed as err:
            print(err, flush=True)
            failed.append(engine)
            continue
        runs.append(run)
        print(f"stages ({engine}): {run.stages}", flush=True)
        print(f"main-process peak MiB after each stage ({engine}): {run.peak_mib}", flush=True)
    local = next((r for r in runs if r.engine == "local"), runs[0] if runs else None)
    floor = measure_floor(repo, local.out, work) if local else None
    if len(runs) < 2:
        identical = "n/a (fewer than two outputs)"
    else:
        same, files, problems = compare_outputs([r.out for r in runs])
        identical = f"{'yes' if same else 'no'} ({files} Parquet files)"
        for problem in problems:
            print(f"differs: {problem}")
    text = f"{table(runs, floor, args.posts)}\n\n{notes(runs, floor, identical, size)}"
    if failed:
        text += f"\n- failed: {', '.join(failed)} (see {work}/out-<engine>.log)"
    print(text)
    if not args.no_results and runs:
        append_results(args.results, args.posts, argv_used, load_at_start, text)
    for r in runs:
        times = f"{r.wall_s / floor.wall_s:.1f}x" if floor and floor.wall_s > 0 else "-"
        print(
            f"SUMMARY {engine_label(r.engine)}: {args.posts:,} posts ({size / MIB:,.0f} MiB of "
            f"exports) -> {r.kept:,} kept rows in {r.wall_s:,.1f} s "
            f"({per_second(args.posts, r.wall_s)} posts/s), {r.cpu_s:,.1f} CPU s, peak RSS tree "
            f"{r.peak_tree_mib:,.0f} MiB (PSS {r.peak_tree_pss_mib:,.0f} MiB), build process "
            f"{r.build_process_mib:,.0f} MiB, largest worker {r.largest_worker_mib:,.0f} MiB, "
            f"{times} the I/O floor"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
