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

.PHONY: demo test lint typecheck unit install clean demo-data

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	mkdir -p "$(PREFECT_HOME)"
	# Run logs go to the Prefect server (see the UI); the console shows one line per month.
	PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL=WARNING $(BIN)/python -m flows.demo

test: $(STAMP) lint typecheck
	mkdir -p "$(PREFECT_HOME)"
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy jzplan flows tasks

# Regenerate the bundled demo submissions in data/inbox (byte-identical for the same code).
demo-data: $(STAMP)
	$(BIN)/python -m jzplan.demo_data --out data/inbox

clean:
	rm -rf var
