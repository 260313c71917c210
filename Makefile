# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates/refreshes .venv from pyproject.toml (re-installing only when pyproject.toml changed).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Packages under the type checker (mypy, settings in pyproject.toml): a package joins when it is typed.
TYPED  := geoalloc/access geoalloc/travel geoalloc/demand geoalloc/optimize geoalloc/scenario geoalloc/runs geoalloc/region geoalloc/api.py

.PHONY: demo test bench fuzz lint clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed-run
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(VENV)/.installed-run
	$(BIN)/geoalloc demo

# The browser test drives Debian's chromium with chromedriver. Installed when absent and we are root;
# a failure here is tolerated: the browser test then skips and says why.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "warning: no chromium/chromedriver: the browser test will be skipped" >&2; }

# The suite runs in TEST_WORKERS processes (pytest-xdist), a test file per worker at a time, so
# that a file's module- and session-scoped fixtures are built once; TEST_WORKERS=0 runs in-process.
TEST_WORKERS ?= 2
test: $(VENV)/.installed-test browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The benchmarks (several minutes; figures go to bench/RESULTS.md by hand, with the machine's load).
bench: $(VENV)/.installed-test
	$(BIN)/python bench/travel.py
	$(BIN)/python bench/optimize.py
	$(BIN)/python bench/parallel.py --workers 2

# The fuzz suite at length: CI runs tests/fuzz with a fixed set of ~130 cases (~1 minute); this
# draws FUZZ_SCALE times as many, at random from FUZZ_SEED, goes on past a failure, and writes the
# counts (cases, exit codes, failures, wall time) to bench/fuzz_tally.json; figures to
# bench/RESULTS.md by hand, with the machine's load.
FUZZ_SCALE ?= 10
FUZZ_SEED  ?= 18
fuzz: $(VENV)/.installed-test
	GEOALLOC_FUZZ_SCALE=$(FUZZ_SCALE) GEOALLOC_FUZZ_KEEP_GOING=1 \
	GEOALLOC_FUZZ_TALLY=bench/fuzz_tally.json \
	  $(BIN)/python -m pytest tests/fuzz -m fuzz -q -p no:cacheprovider --hypothesis-seed=$(FUZZ_SEED)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check geoalloc tests bench
	$(BIN)/ruff format --check geoalloc tests bench
	$(BIN)/mypy $(TYPED)

clean:
	rm -rf $(VENV) maps/*/ .pytest_cache
