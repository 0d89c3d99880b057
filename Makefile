# The project's interface. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin

# Settings from .env when present (KEY=value lines, as .env.example shows): for `make up`, `make run` and every
# other target. A variable already set in the environment or on the command line wins over the file.
ENV_FILE ?= .env
ifneq ($(wildcard $(ENV_FILE)),)
ENV_FILE_VARS := $(shell sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]*=.*/\1/p' $(ENV_FILE))
ENV_KEPT := $(foreach v,$(ENV_FILE_VARS),$(if $(filter environment command,$(firstword $(origin $(v)))),$(v)))
$(foreach v,$(ENV_KEPT),$(eval ENV_SAVED_$(v) := $$(value $(v))))
include $(ENV_FILE)
$(foreach v,$(ENV_KEPT),$(eval $(v) := $$(ENV_SAVED_$(v))))
export $(ENV_FILE_VARS)
endif

export QUALITY_LANDING_DIR ?= data/landing
export QUALITY_WAREHOUSE ?= data/warehouse/quality.duckdb
export QUALITY_REPORTS_DIR ?= data/reports
export AIRFLOW_HOME ?= $(CURDIR)/airflow_home
override AIRFLOW_HOME := $(abspath $(AIRFLOW_HOME))
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__EXECUTOR ?= LocalExecutor
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS ?= admin:admin
export GX_ANALYTICS_ENABLED := false
export PYTHONWARNINGS ?= ignore::DeprecationWarning

INGEST_DAGS := $(sort $(basename $(notdir $(wildcard dags/ingest_*.py))))
DEMO_ARGS ?= --seed 7 --quarters 4 --rows 120 --defect-rate 0.05
LANDING_ABS := $(abspath $(QUALITY_LANDING_DIR))

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# --compile-bytecode: the packages' .pyc files are written once, here. Without them every Python process
# compiles what it imports from source whenever .pyc files cannot be written (PYTHONDONTWRITEBYTECODE=1, as
# many containers set it): 5-20 s of CPU for each process importing Airflow or Great Expectations.
$(BIN)/.synced-bytecode: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	@echo "installing the locked dependencies into .venv (uv sync --frozen --compile-bytecode) ..."
	@uv sync --frozen --quiet --compile-bytecode --python $(PYTHON)
	@touch $@

install: $(BIN)/.synced-bytecode ## Create .venv from the lock file (installs uv with pip if missing)

$(AIRFLOW_HOME)/.initialized: $(BIN)/.synced-bytecode
	@mkdir -p $(AIRFLOW_HOME)
	@echo "initialising Airflow metadata DB in $(AIRFLOW_HOME) ..."
	@$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (tail -20 $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	@$(BIN)/airflow pools set quality_warehouse 1 "The one writer of the DuckDB warehouse" > /dev/null 2>&1
	@touch $@

airflow-init: $(AIRFLOW_HOME)/.initialized ## Create the embedded Airflow metadata DB (SQLite) and pool

run: airflow-init ## Run every ingest DAG, then quarterly_indicators, once (airflow dags test); one run at a time
	@$(BIN)/python -m quality_pipeline.run $(RUN_ARGS) $(INGEST_DAGS) quarterly_indicators

maintain: airflow-init ## Compact and clean the warehouse's files now (the weekly warehouse_maintenance DAG, once; GRACE_HOURS=24)
	@$(BIN)/python -m quality_pipeline.run $(RUN_ARGS) warehouse_maintenance $(if $(GRACE_HOURS),--conf '{"grace_hours": $(GRACE_HOURS)}')

release: airflow-init ## Publish a held file anyway: make release FILE=product_sampling/2026Q3.xlsx [REASON=… BY=…] (path as in audit.files)
	@$(BIN)/python -m quality_pipeline.release $(RUN_ARGS) --by "$(BY)" --reason "$(REASON)" -- "$(FILE)"

withdraw: airflow-init ## Withdraw a delivery, then recompute the marts: make withdraw FILE=<path as in audit.files> REASON=… [BY=…]
	@$(BIN)/python -m quality_pipeline.withdraw $(RUN_ARGS) --by "$(BY)" --reason "$(REASON)" -- "$(FILE)"

sql: install ## The DuckDB CLI on the published warehouse, read-only (also piped: echo "SELECT ..." | make -s sql)
	@$(BIN)/python -m quality_pipeline.warehouse.shell $(SQL_ARGS)

config: ## Print the settings the targets use (from the environment, .env and the defaults)
	@$(foreach v,QUALITY_LANDING_DIR QUALITY_WAREHOUSE QUALITY_REPORTS_DIR AIRFLOW_HOME AIRFLOW__CORE__EXECUTOR,echo "$(v)=$($(v))";)
	@$(foreach v,QUALITY_REGION_FILE QUALITY_INDEX_FILE QUALITY_FEEDS_DIR QUALITY_FEED_SQL_DIR QUALITY_EXPECTATIONS_DIR QUALITY_WRITER_MEMORY_LIMIT AIRFLOW__API__HOST AIRFLOW__API__PORT,$(if $($(v)),echo "$(v)=$($(v))";))

demo: airflow-init ## Demo extracts, seeds, every DAG, a reported quarter and its correction, then the latest quarter and its report
	@$(BIN)/python -m quality_pipeline.demo.tour --landing $(LANDING_ABS) $(DEMO_ARGS)
	@$(BIN)/python -m quality_pipeline.cli indicators
	@$(BIN)/python -m quality_pipeline.report | sed 's/^/report: /'

up: install ## Airflow standalone (SQLite, LocalExecutor) sized to the machine, DAGs unpaused (UP_ARGS=--keep-paused); prints URL and login
	$(BIN)/python -m quality_pipeline.orchestration.topology up $(UP_ARGS)

generate: install ## Everything generated from the feed declarations: suites, feed SQL, docs
	$(BIN)/python -m quality_pipeline.cli write-suites
	$(BIN)/python -m quality_pipeline.feeds.schema
	$(BIN)/python -m quality_pipeline.dictionary
	$(BIN)/python -m quality_pipeline.contract_doc

expectations: install ## Rewrite expectations/*.json from the feed declarations (part of make generate)
	$(BIN)/python -m quality_pipeline.cli write-suites

report: install ## Write the latest quarter's report (HTML + XLSX) under $QUALITY_REPORTS_DIR/<quarter>/
	$(BIN)/python -m quality_pipeline.report

docs: install ## Regenerate the feed SQL, docs/data-dictionary.md (from the COMMENTs) and the column tables of docs/extracts.md
	$(BIN)/python -m quality_pipeline.feeds.schema
	$(BIN)/python -m quality_pipeline.dictionary
	$(BIN)/python -m quality_pipeline.contract_doc

seeds: install ## Check the hand-kept reference seeds (warehouse/seeds/) and load them into the warehouse
	$(BIN)/python -m quality_pipeline.reference --check
	$(BIN)/python -m quality_pipeline.reference

browser: ## Debian's chromium + CJK fonts for the report and UI screenshot tests (apt, if missing)
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto.*cjk" || { \
	  echo "installing chromium and fonts-noto-cjk with apt ..."; \
	  $$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo) \
	    apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

lint: install ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check dags

# pytest-xdist, one worker per core, a test file at a time per worker (`--dist loadfile`: a module's fixtures
# are built once), the files that take longest first (tests/support/schedule.py; `--no-loadscope-reorder` keeps
# that order instead of xdist's, by number of tests). The service tier starts whole Airflow topologies, which
# mostly wait on Airflow's own loops: `make test` runs each of its files (one topology each) in a pytest process
# of its own *alongside* the other tiers (their output is printed when all end, and kept in
# test-artifacts/service-<file>.log); the target fails if any part fails. SERVICE=after runs the service tier
# afterwards instead, in one process (a slower machine, or a service test to watch alone).
# Hypothesis draws 50 examples per property in test-fast and 300 in make test (HYPOTHESIS_PROFILE).
# PYTEST_ARGS passes options through: `make test-fast PYTEST_ARGS=--lf`.
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=
SERVICE ?= alongside
PYTEST := $(BIN)/python -m pytest
PARALLEL := -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder
SERVICE_FILES := $(sort $(basename $(notdir $(wildcard tests/service/test_*.py))))
# Each service process keeps its own pytest cache, so sessions at once never overwrite each other's last failures.
SERVICE_TIER := $(PYTEST) tests/service -o cache_dir=.pytest_cache/service $(PYTEST_ARGS)

test: install browser lint ## The whole suite: ruff, then every tier of pytest (unit, dags, e2e, hostile; service alongside)
ifeq ($(SERVICE),after)
	HYPOTHESIS_PROFILE=full $(PYTEST) $(PARALLEL) -m "not service" $(PYTEST_ARGS)
	$(SERVICE_TIER)
else
	@mkdir -p test-artifacts
	@echo "tests/service: $(SERVICE_FILES) started alongside the other tiers, each in a process of its own; output in test-artifacts/service-<file>.log (printed when all end)"
	@pids=; for name in $(SERVICE_FILES); do \
	  $(PYTEST) tests/service/$$name.py -o cache_dir=.pytest_cache/service-$$name $(PYTEST_ARGS) \
	    > test-artifacts/service-$$name.log 2>&1 & pids="$$pids $$!"; done; \
	HYPOTHESIS_PROFILE=full $(PYTEST) $(PARALLEL) -m "not service" $(PYTEST_ARGS); tiers=$$?; \
	services=0; for pid in $$pids; do wait $$pid || services=1; done; \
	for name in $(SERVICE_FILES); do \
	  echo "================ tests/service/$$name.py (ran alongside; test-artifacts/service-$$name.log) ================"; \
	  cat test-artifacts/service-$$name.log; done; \
	echo "make test: unit/dags/e2e/hostile exit $$tiers, service exit $$services"; \
	test $$tiers -eq 0 -a $$services -eq 0
endif

test-fast: install lint ## ruff, then the unit and DAG-policy tiers (tests/unit, tests/dags) but the slow tests: no DAG run, no service
	$(PYTEST) $(PARALLEL) -m "not slow" tests/unit tests/dags $(PYTEST_ARGS)

bench: install ## Ingest vs read_csv (1M, 5M, 200k XLSX), a 120-row delivery on the 3 GB history, a no-op night, DAG imports, indicators; writes bench/results.md (~15 min)
	$(BIN)/python bench/history.py
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-history: install ## Build (or reuse) the ~3 GB history warehouse and a 120-row delivery under bench/data/history (git-ignored)
	$(BIN)/python bench/history.py $(HISTORY_ARGS)

bench-storage: install ## The storage prototype (bench/storage_proto.py): whole-file copy vs DuckLake (local and PostgreSQL catalogs)
	$(BIN)/python bench/history.py
	$(BIN)/python bench/storage_proto.py $(STORAGE_ARGS)

bench-memory: install ## Peak RSS of ingesting a 1,000,000-row CSV (the 1.5 GB limit)
	$(BIN)/python bench/memory_1m.py

bench-gx: install ## Great Expectations on 1M rows: pandas frames vs pushdown into DuckDB (needs duckdb-engine, see bench/results.md)
	$(BIN)/python bench/gx_paths.py

clean: ## Remove generated data, Airflow home and caches (keeps .venv)
	rm -rf data airflow_home test-artifacts .pytest_cache .ruff_cache

.PHONY: help install airflow-init run maintain release withdraw sql config demo up test-fast generate expectations report docs seeds browser lint test bench bench-history bench-storage bench-memory bench-gx clean
