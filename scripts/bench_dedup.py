"""Near-duplicate benchmark (`make bench`); the code is the `statemedia_bench` package in bench/.

.venv/bin/python scripts/bench_dedup.py --posts 200000 [--results bench/RESULTS.md]
"""

import sys

from statemedia_bench.dedup import main

if __name__ == "__main__":
    sys.exit(main())
