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

.PHONY: demo test lint typecheck unit install bytecode clean demo-data ui ui-stop ui-status bench lock soak

# `make ui`: a local Prefect server (history in $(PREFECT_HOME)), the process work pool, the
# deployments of prefect.yaml and a worker, all in the background; `make ui-stop` ends them.
UI_HOST ?= 127.0.0.1
UI_PORT ?= 4200
UI_POOL ?= jzplan
# The address the browser's UI calls: empty means http://UI_HOST:UI_PORT/api (set it when
# UI_HOST is 0.0.0.0, e.g. UI_API_URL=http://jzplan.intranet:4200/api)
UI_API_URL ?=
UI_LOG := var/log
UI_ARGS = --host $(UI_HOST) --port $(UI_PORT) --pool $(UI_POOL) --log-dir $(UI_LOG) --run-dir var/run

# requirements.lock pins every package to the versions tested here (constraints, so pyproject's
# ranges still say what the code needs); `make lock` rewrites it from a fresh resolution.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	$(MAKE) --no-print-directory bytecode
	touch $(STAMP)

# The project's own bytecode, as pip writes it for the packages it installs: an editable
# install has none, and where PYTHONDONTWRITEBYTECODE is set (containers often set it) every
# new process would compile ~135 modules again (0.2-0.3 s of each `jzplan run`). Stale files
# are only ignored, so editing the source is safe; `make bench` refreshes them.
bytecode:
	$(BIN)/python -m compileall -q -j 0 jzplan flows tasks

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

# The server and the worker run detached (own session, stdin /dev/null), output in
# $(UI_LOG)/server.log and worker.log, PID files in var/run (jzplan.ops.prefect_ui).
ui: $(STAMP)
	$(BIN)/jzplan ui start $(UI_ARGS) $(if $(UI_API_URL),--ui-api-url $(UI_API_URL))

# Ends exactly what `make ui` started (by its PID files): the worker, then the server; SIGTERM,
# SIGKILL after 10 s.
ui-stop: $(STAMP)
	$(BIN)/jzplan ui stop $(UI_ARGS)

# What is up: the server and its UI's API address, the worker, the pool, the deployments, the
# store (JZPLAN_DATABASE_URL); exits 1 when something is down.
ui-status: $(STAMP)
	$(BIN)/jzplan doctor $(UI_ARGS)

# Every stage timed on synthetic tiers (six townships, a province, the country) against raw
# floors; needs PostgreSQL on 127.0.0.1:5432 (database jzplan_bench is dropped and recreated).
# Generated data is cached in var/bench/data; results in var/bench/results-*.json. BENCH_ARGS
# passes options, e.g. make bench BENCH_ARGS="--tier national --db postgresql".
BENCH_ARGS ?=
bench: $(STAMP) bytecode
	mkdir -p "$(PREFECT_HOME)"
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The soak (docs/soak.md): every generated year through the real monthly flow, with reruns and
# killed runs, on SQLite and PostgreSQL (JZPLAN_TEST_PG_URL), compared with an independent
# recomputation; exits 1 on any difference. SOAK_ARGS passes options, e.g. SOAK_ARGS="--seed 7".
SOAK_ARGS ?=
soak: $(STAMP)
	mkdir -p "$(PREFECT_HOME)"
	PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL=ERROR PREFECT_SERVER_ANALYTICS_ENABLED=false \
		$(BIN)/python -m tests.soak.run --years 2013 2014 2015 2016 2017 --db sqlite postgresql $(SOAK_ARGS)

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
