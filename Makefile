# The two commands a newcomer runs: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PORT ?= 8787

.PHONY: serve test lint typecheck bench bench-help clean screenshots

# `serve` needs only the runtime dependencies; `test` adds the dev extra on top.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

serve: $(STAMP)
	$(BIN)/pagetoken db upgrade --json >/dev/null
	$(BIN)/pagetoken serve --demo --port $(PORT)

test: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest --cov --cov-report=term-missing:skip-covered $(PYTEST_ARGS)
	@# lines and branches each on their own; the 95% bar on lines holds for the whole suite, not a selection
	$(BIN)/python -m tests.support.coverage_summary $(if $(PYTEST_ARGS),--lines 0,)

# Refresh the README's pictures in docs/images (the browser tests write to build/screenshots otherwise).
screenshots: $(DEV_STAMP)
	PAGETOKEN_SCREENSHOTS=docs/images $(BIN)/python -m pytest -m browser -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

# Every benchmark against real `pagetoken serve` processes with wrk (installed from Debian when missing),
# then docs/PERFORMANCE.md. A subset: `make bench BENCH=http,validation` (`make bench-help` lists them).
BENCH ?= all
bench: $(DEV_STAMP)
	@command -v wrk >/dev/null 2>&1 || { echo "bench: installing wrk from Debian"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
	$(BIN)/python bench/run.py --only $(BENCH)

bench-help: $(DEV_STAMP)
	@$(BIN)/python bench/run.py --help

clean:
	rm -rf $(VENV) pagetoken-data .pytest_cache .mypy_cache .ruff_cache
