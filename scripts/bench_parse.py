"""Parser benchmark (`make bench-parse`); the code is the `statemedia_bench` package in bench/.

.venv/bin/python scripts/bench_parse.py --sizes 2.5,5,10 [--results bench/RESULTS.md]
"""

import sys

from statemedia_bench.parse import main

if __name__ == "__main__":
    sys.exit(main())
