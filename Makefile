# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates/refreshes .venv from pyproject.toml (re-installing only when pyproject.toml changed).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Packages under the type checker (mypy, settings in pyproject.toml): a package joins when it is typed.
TYPED  := geoalloc/travel geoalloc/demand geoalloc/optimize geoalloc/scenario geoalloc/runs geoalloc/api.py

.PHONY: demo test bench lint clean browser

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

test: $(VENV)/.installed-test browser
	$(BIN)/python -m pytest

# The benchmarks (several minutes; figures go to bench/RESULTS.md by hand, with the machine's load).
bench: $(VENV)/.installed-test
	$(BIN)/python bench/travel.py
	$(BIN)/python bench/optimize.py
	$(BIN)/python bench/parallel.py --workers 2

lint: $(VENV)/.installed-test
	$(BIN)/ruff check geoalloc tests bench
	$(BIN)/ruff format --check geoalloc tests bench
	$(BIN)/mypy $(TYPED)

clean:
	rm -rf $(VENV) maps/*/ .pytest_cache
