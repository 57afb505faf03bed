# Two commands set everything up on a fresh machine: `make dataset` and `make test`.
# Both create .venv from the pinned requirements.lock (pyarrow is pinned: byte-identical Parquet depends on it).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: dataset release test lint typecheck format annotate card verify bench bench-build lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.9.*
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $@

dataset: $(STAMP)
	$(VENV)/bin/statemedia build

release: $(STAMP)
	$(VENV)/bin/statemedia release --version $(VERSION)

verify: $(STAMP)
	$(VENV)/bin/statemedia verify

card: $(STAMP)
	$(VENV)/bin/statemedia card

# Prints a progress line every few seconds while Label Studio starts (the first start builds its
# database: 1.5-5 min). A failure is the CLI's one-line reason and exit code (README, Exit codes);
# the line after it only says so, so that make's "Error N" is never the only output.
annotate: $(STAMP)
	@$(VENV)/bin/statemedia annotate up || { code=$$?; \
	  echo "make annotate: statemedia annotate up failed with exit code $$code (reason above)" >&2; \
	  exit $$code; }

lint: $(STAMP)
	$(VENV)/bin/ruff check
	$(VENV)/bin/ruff format --check

typecheck: $(STAMP)
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format
	$(VENV)/bin/ruff check --fix

test: $(STAMP) lint typecheck
	$(VENV)/bin/python -m pytest

bench-build: $(STAMP)
	$(PY) scripts/bench_build.py --posts $(or $(POSTS),200000)

bench: $(STAMP)
	$(PY) scripts/bench_dedup.py --posts $(or $(POSTS),200000)

.PHONY: bench-parse
bench-parse: $(STAMP)
	$(PY) scripts/bench_parse.py --sizes $(or $(SIZES),10)

lock: $(STAMP)
	$(VENV)/bin/uv pip compile --python $(PY) pyproject.toml --extra test -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build
