"""Benchmark the whole build, from Telegram Desktop exports to release Parquet (not a test).

Generates (or reuses) the corpus of the dedup benchmark — N posts in 300 channel exports —, writes
each export the way Telegram Desktop does (pretty-printed JSON), declares them in a scratch
repository's seeds manifest next to a copy of the config, and runs `statemedia build` there in a
child process, reporting wall time, per-stage seconds and the child's peak RSS.

    python -m statemedia_bench.build --posts 1000000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from statemedia.config import load_config
from statemedia_bench import DEFAULT_CONFIG, WORK_DIR
from statemedia_bench.corpus import generate


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


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0, help="seed of the corpus generator")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="its build settings")
    parser.add_argument("--workdir", type=Path, default=None, help="default: bench/.work/<posts>")
    args = parser.parse_args(argv)
    work = (args.workdir or WORK_DIR / str(args.posts)).resolve()
    repo = prepare(args.posts, args.seed, work, args.config.resolve())
    size = sum(p.stat().st_size for p in (repo / "seeds").iterdir())
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "statemedia.cli", "--root", str(repo), "build", "--quiet"],
        check=True,
    )
    wall = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    build_dir = repo / load_config(repo / "statemedia.toml").build.dataset_dir / "build"
    seconds = json.loads((build_dir / "seconds.json").read_text())
    manifest = json.loads((build_dir / "manifest.json").read_text())  # read at the file boundary
    kept = manifest["stage_counts"]["dedup"]["kept"]
    print(f"stages: {seconds}")
    print(
        f"build: {args.posts:,} posts ({size / 2**20:,.0f} MiB of exports) -> {kept:,} kept rows "
        f"in {wall:,.1f} s ({args.posts / wall:,.0f} posts/s), peak RSS {peak_mib:,.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
