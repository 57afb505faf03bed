"""The separate environment for datatrove (bench/.venv-datatrove), created on demand.

datatrove's MinHash dedup needs xxhash<4 while the project pins xxhash 4, so it cannot share .venv.
The environment gets bench/requirements-datatrove.txt and this project without its dependencies
(`--no-deps -e`), so that `python -m statemedia_bench.child datatrove ...` imports there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from statemedia.vocab import REPO_ROOT
from statemedia_bench import BENCH_DIR

DT_VENV = BENCH_DIR / ".venv-datatrove"
DT_REQUIREMENTS = BENCH_DIR / "requirements-datatrove.txt"


def ensure_datatrove_env() -> Path | None:
    """The environment's python, creating it first if needed; None (and a message) if that fails."""
    python = DT_VENV / "bin" / "python"
    stamp = DT_VENV / ".installed"
    wanted = f"{DT_REQUIREMENTS.read_text()}\n# and: --no-deps -e {REPO_ROOT}\n"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"creating {DT_VENV} from {DT_REQUIREMENTS.name} ...", flush=True)
    uv = Path(sys.executable).with_name("uv")  # `make` installs uv into .venv; pip is the fallback
    if uv.exists():
        install = [str(uv), "pip", "install", "--quiet", "--python", str(python)]
        steps = [[str(uv), "venv", "--quiet", "--clear", "--python", sys.executable, str(DT_VENV)]]
    else:
        install = [str(python), "-m", "pip", "install", "--quiet"]
        steps = [[sys.executable, "-m", "venv", "--clear", str(DT_VENV)]]
    steps += [[*install, "-r", str(DT_REQUIREMENTS)], [*install, "--no-deps", "-e", str(REPO_ROOT)]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"datatrove skipped: `{' '.join(step)}` failed:\n{done.stderr[-2000:]}")
            return None
    stamp.write_text(wanted)
    return python
