"""Whole-build benchmark (`make bench-build`); the code is the `statemedia_bench` package in bench/.

.venv/bin/python scripts/bench_build.py --posts 1000000
"""

import sys

from statemedia_bench.build import main

if __name__ == "__main__":
    sys.exit(main())
