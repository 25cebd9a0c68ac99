# The two commands of the README: `make demo` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Keep Prefect's own state (the temporary server's database, logs) inside the project.
export PREFECT_HOME ?= $(CURDIR)/var/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
# The temporary server's first boot creates its database: allow it more than the default 20 s.
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: demo test lint typecheck unit install clean demo-data ui ui-stop bench lock

# `make ui`: a local Prefect server (history in $(PREFECT_HOME)), the process work pool, the
# deployments of prefect.yaml and a worker, all in the background; `make ui-stop` ends them.
UI_HOST ?= 127.0.0.1
UI_PORT ?= 4200
UI_POOL ?= jzplan
UI_API := http://$(UI_HOST):$(UI_PORT)/api
UI_LOG := var/log

# requirements.lock pins every package to the versions tested here (constraints, so pyproject's
# ranges still say what the code needs); `make lock` rewrites it from a fresh resolution.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	mkdir -p "$(PREFECT_HOME)"
	# Run logs go to the Prefect server (see the UI); the console shows one line per month.
	PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL=WARNING $(BIN)/python -m flows.demo

# pytest-xdist: TEST_WORKERS processes (each with its own Prefect test server); 0 runs in one.
TEST_WORKERS ?= 2

test: $(STAMP) lint typecheck
	mkdir -p "$(PREFECT_HOME)"
	$(BIN)/pytest -n $(TEST_WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy jzplan flows tasks

ui: $(STAMP)
	mkdir -p "$(PREFECT_HOME)" $(UI_LOG)
	$(BIN)/prefect server start --host $(UI_HOST) --port $(UI_PORT) --background
	PREFECT_API_URL=$(UI_API) $(BIN)/prefect server status --wait --timeout 180
	PREFECT_API_URL=$(UI_API) $(BIN)/prefect work-pool create $(UI_POOL) --type process --overwrite
	PREFECT_API_URL=$(UI_API) $(BIN)/prefect --no-prompt deploy --all
	# The worker runs scheduled and manual runs; flow runs inherit this shell's JZPLAN_* variables.
	PREFECT_API_URL=$(UI_API) nohup $(BIN)/prefect worker start --pool $(UI_POOL) \
		> $(UI_LOG)/worker.log 2>&1 & echo $$! > "$(PREFECT_HOME)/worker.pid"
	@echo "Prefect UI: http://$(UI_HOST):$(UI_PORT)  (worker log: $(UI_LOG)/worker.log; stop: make ui-stop)"

# The worker is asked to stop (SIGTERM) and killed after 10 s if it has not; then the server.
ui-stop:
	-@pid=$$(cat "$(PREFECT_HOME)/worker.pid" 2>/dev/null); if [ -n "$$pid" ]; then \
		kill $$pid 2>/dev/null; \
		for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 $$pid 2>/dev/null || break; sleep 1; done; \
		kill -9 $$pid 2>/dev/null; rm -f "$(PREFECT_HOME)/worker.pid"; echo "worker $$pid stopped"; fi
	-$(BIN)/prefect server stop

# Every stage timed on synthetic tiers (six townships, a province, the country) against raw
# floors; needs PostgreSQL on 127.0.0.1:5432 (database jzplan_bench is dropped and recreated).
# Generated data is cached in var/bench/data; results in var/bench/results-*.json. BENCH_ARGS
# passes options, e.g. make bench BENCH_ARGS="--tier national --db postgresql".
BENCH_ARGS ?=
bench: $(STAMP)
	mkdir -p "$(PREFECT_HOME)"
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Regenerate the bundled demo submissions in data/inbox (byte-identical for the same code).
demo-data: $(STAMP)
	$(BIN)/python -m jzplan.demo.data --out data/inbox

lock:
	rm -rf var/lock-venv
	$(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/python -m pip install --quiet --upgrade pip
	var/lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ sed -n 1,2p requirements.lock; var/lock-venv/bin/python -m pip freeze --exclude-editable \
		| grep -v '^-e'; } > requirements.lock.new && mv requirements.lock.new requirements.lock
	rm -rf var/lock-venv

clean:
	rm -rf var
