# flowlake: `make demo` and `make test` do all their own set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo test lint bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-build-isolation --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) ## Create .venv with the pinned dependencies and flowlake itself

demo: $(STAMP) ## Generate a sample lake and run reject-by-port on it (DuckDB, in-process)
	$(BIN)/flowlake demo

test: $(STAMP) ## Run the test suite (moto's S3/Athena/Glue server is started by the tests)
	$(BIN)/python -m pytest -q

lint: $(STAMP) ## ruff (lint and format check) and mypy
	$(BIN)/ruff check flowlake tests bench
	$(BIN)/ruff format --check flowlake tests bench
	$(BIN)/mypy flowlake

bench: $(STAMP) ## Benchmarks named in the issues, ratios against their baselines (1M, 10M, 30M records; BENCH_ARGS=--records 1M for a quick run)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-build-isolation -e ".[bench]"
	@# byte-compiled as a wheel install is (this machine may set PYTHONDONTWRITEBYTECODE)
	$(BIN)/python -m compileall -q flowlake
	$(BIN)/python -m bench --keep $(BENCH_ARGS)

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
