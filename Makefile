# deadlinewatch — developer entry points. Needs only GNU make and Python >= 3.11.
#   make run    create the environment if needed and run the service on SQLite under data/
#   make test   ruff + mypy --strict + the whole pytest suite
SHELL := /bin/bash
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check

.DEFAULT_GOAL := help
.PHONY: help install run test lint bench clean

help:
	@echo "make run     run deadlinewatch with config/ (SQLite under data/, alerts on the console)"
	@echo "make test    lint, type-check and run the whole test suite"
	@echo "make lint    ruff + mypy --strict only"
	@echo "make bench   run the benchmarks under bench/ (if any)"
	@echo "make clean   remove the virtualenv and caches (keeps data/)"

install: $(STAMP)

# The environment: re-created/updated whenever a lock file or pyproject.toml changes.
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "deadlinewatch needs Python >= 3.11 (PYTHON=$(PYTHON) is older); try: make PYTHON=python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -r requirements-dev.lock
	$(PIP) install -q --no-deps -e .
	touch $@

run: $(STAMP)
	mkdir -p data
	DEADLINEWATCH_DATABASE_URL="$${DEADLINEWATCH_DATABASE_URL:-sqlite:///data/deadlinewatch.db}" \
		$(BIN)/deadlinewatch run --config config/

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy --strict src

# pytest's exit 5 ("no tests collected") is not a failure of the suite.
test: lint
	$(BIN)/pytest; rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

bench: $(STAMP)
	@found=0; for f in bench/*.py; do \
		[ -e "$$f" ] || continue; found=1; \
		echo "== $$f"; $(BIN)/python "$$f" || exit 1; \
	done; [ $$found -eq 1 ] || echo "no benchmarks under bench/ yet"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist src/*.egg-info
	find src tests -name __pycache__ -type d -prune -exec rm -rf {} +
