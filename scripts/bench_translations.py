"""Translation-linking benchmark: gold-set precision / recall and synthetic throughput.

.venv/bin/python scripts/bench_translations.py --posts 100000 [--results bench/RESULTS.md]
"""

import sys

from statemedia_bench.translations import main

if __name__ == "__main__":
    sys.exit(main())
