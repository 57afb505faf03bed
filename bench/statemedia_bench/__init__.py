"""Benchmarks of statemedia's dedup stage and whole build on a synthetic corpus with ground truth,
and of its parsers.

Modules: `corpus` (generator and reader), `truth` (ground truth), `score`, `methods` (one adapter
per compared method), `child` (runs one method in its own process), `clock` (wall and CPU
time, machine load), `datatrove_env`, and the three
entry points `dedup` (`python -m statemedia_bench.dedup`), `build`
(`python -m statemedia_bench.build`) and `parse` (`python -m statemedia_bench.parse`, every raw
format's parser at a given size, with its own generators). Every setting the build also has (shingles, threshold, bands,
boilerplate, seeds folder) is read from the loaded `statemedia.toml`, never set here.
"""

from __future__ import annotations

from statemedia.config import CONFIG_FILE
from statemedia.vocab import REPO_ROOT

BENCH_DIR = REPO_ROOT / "bench"
WORK_DIR = BENCH_DIR / ".work"  # generated corpora and results, git-ignored
DEFAULT_CONFIG = REPO_ROOT / CONFIG_FILE
