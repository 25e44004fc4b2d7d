# deadlinewatch — developer entry points. Needs only GNU make and Python >= 3.11.
#   make run    create the environment (runtime dependencies only) if needed and run the service
#               on SQLite under data/
#   make test   install the development tools too; ruff + mypy --strict + the whole pytest suite
SHELL := /bin/bash
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
PIP    := $(BIN)/python -m pip --disable-pip-version-check

.DEFAULT_GOAL := help
.PHONY: help install run test lint bench clean

help:
	@echo "make run     run deadlinewatch with config/ (SQLite under data/, alerts on the console)"
	@echo "make install build .venv with the runtime and development dependencies"
	@echo "make test    lint, type-check and run the whole test suite"
	@echo "make lint    ruff + mypy --strict only"
	@echo "make bench   run the benchmarks under bench/ (if any)"
	@echo "make clean   remove the virtualenv and caches (keeps data/)"

install: $(DEV_STAMP)

# Two stamps: `make run` needs only the runtime pins (requirements.lock); `make test`/`make lint`
# add the development tools (requirements-dev.lock). Each is rebuilt when its inputs change.
# pip runs without -q, so a first build shows what it downloads and installs.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "deadlinewatch needs Python >= 3.11 (PYTHON=$(PYTHON) is older); try: make PYTHON=python3.11"; exit 1; }
	@test -x $(BIN)/python || { echo "== creating the virtualenv $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "== installing the runtime dependencies (requirements.lock) into $(VENV); the first time takes a minute or two"
	$(PIP) install --progress-bar off -r requirements.lock
	@echo "== installing deadlinewatch itself (editable)"
	$(PIP) install --progress-bar off --no-deps -e .
	@touch $@
	@echo "== environment ready: run commands as $(BIN)/deadlinewatch (or: source $(BIN)/activate)"

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	@echo "== installing the development tools (requirements-dev.lock: pytest, ruff, mypy)"
	$(PIP) install --progress-bar off -r requirements-dev.lock
	@touch $@

run: $(STAMP)
	@mkdir -p data
	@echo "== starting: $(BIN)/deadlinewatch run --config config/  (Ctrl-C stops it)"
	DEADLINEWATCH_DATABASE_URL="$${DEADLINEWATCH_DATABASE_URL:-sqlite:///data/deadlinewatch.db}" \
		$(BIN)/deadlinewatch run --config config/

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy --strict src

# pytest's exit 5 ("no tests collected") is not a failure of the suite.
test: lint
	$(BIN)/pytest; rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

bench: $(DEV_STAMP)
	@found=0; for f in bench/*.py; do \
		[ -e "$$f" ] || continue; found=1; \
		echo "== $$f"; $(BIN)/python "$$f" || exit 1; \
	done; [ $$found -eq 1 ] || echo "no benchmarks under bench/ yet"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist src/*.egg-info
	find src tests -name __pycache__ -type d -prune -exec rm -rf {} +
