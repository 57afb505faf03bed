"""Run one method (or the input preparation it needs) in this process and leave its result in the
work folder, for the driver.

    python -m statemedia_bench.child METHOD WORKDIR CONFIG
    python -m statemedia_bench.child --prepare METHOD WORKDIR CONFIG

Writes WORKDIR/METHOD.labels.npy and WORKDIR/METHOD.json (timings, counts and this process's peak
RSS); with `--prepare`, only WORKDIR/METHOD.prepare.json. The driver starts one child per method,
so that peak RSS is per method.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from statemedia.config import load_config
from statemedia_bench.methods import METHODS, PREPARATION


def peak_rss_mib() -> float:
    """Peak resident memory of this process (or its children, if larger), in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def main(argv: list[str] | None = None) -> int:
    """Run METHOD (or its preparation) on WORKDIR/corpus with the `[dedup]` settings of CONFIG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true", help="only write the method's input")
    parser.add_argument("method", choices=sorted(METHODS))
    parser.add_argument("workdir", type=Path)
    parser.add_argument("config", type=Path)
    args = parser.parse_args(argv)
    config = load_config(args.config).dedup
    if args.prepare:
        timing = PREPARATION[args.method](args.workdir, config)
        stats = {"dedup": asdict(timing), "peak_rss_mib": peak_rss_mib()}
        (args.workdir / f"{args.method}.prepare.json").write_text(json.dumps(stats))
        return 0
    run = METHODS[args.method](args.workdir, config)
    np.save(args.workdir / f"{args.method}.labels.npy", run.labels)
    stats = {
        "read_s": run.read_s,
        "dedup": asdict(run.dedup),
        "stages": {name: asdict(t) for name, t in run.stages.items()},
        "counts": run.counts,
        "peak_rss_mib": peak_rss_mib(),
    }
    (args.workdir / f"{args.method}.json").write_text(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
