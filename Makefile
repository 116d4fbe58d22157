# The only entry points: run, test, lint, fmt, bench. Each sets up what it needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
# Postgres leg of `make test`: used when it answers on loopback.
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run test test-sqlite test-postgres lint fmt bench demo docs sysdeps clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.8

$(VENV)/.synced: $(BIN)/uv pyproject.toml uv.lock
	@scripts/install-system-deps
	$(BIN)/uv sync --frozen --quiet --python $(BIN)/python
	touch $@

sysdeps:
	@scripts/install-system-deps

# The development server, and beside it a worker for queued cross-match runs, which
# stops when the server does (Ctrl-C).
run: $(VENV)/.synced sysdeps
	EMPACT_DEBUG=true EMPACT_DEMO=true $(BIN)/empact demo --print-logins
	@export EMPACT_DEBUG=true EMPACT_DEMO=true; \
	$(BIN)/empact worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(BIN)/empact runserver 127.0.0.1:8000

demo: $(VENV)/.synced
	EMPACT_DEMO=true $(BIN)/empact demo --print-logins

# The two legs run side by side, one per core: SQLite in the foreground, PostgreSQL
# (when it answers) in the background with its output shown when it ends. The
# PostgreSQL leg runs the tests that reach the database; the others (the engine,
# parsers, pure functions) give the same result on either, and run in the SQLite leg.
test: $(VENV)/.synced sysdeps
	@mkdir -p var
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		$(MAKE) --no-print-directory test-postgres > var/test-postgres.log 2>&1 & pg=$$!; \
	else echo "PostgreSQL does not answer on 127.0.0.1:5432: PostgreSQL leg skipped"; pg=; fi; \
	$(MAKE) --no-print-directory test-sqlite; sqlite=$$?; pgstatus=0; \
	if [ -n "$$pg" ]; then wait $$pg; pgstatus=$$?; \
		echo "--- PostgreSQL leg (var/test-postgres.log) ---"; cat var/test-postgres.log; fi; \
	echo "SQLite leg: exit $$sqlite; PostgreSQL leg: exit $$pgstatus"; \
	[ $$sqlite -eq 0 ] && [ $$pgstatus -eq 0 ]

test-sqlite: $(VENV)/.synced
	EMPACT_TESTING=true $(BIN)/pytest --durations=10 --basetemp=var/pytest-sqlite

test-postgres: $(VENV)/.synced
	EMPACT_TESTING=true EMPACT_DATABASE_TESTS_ONLY=true DATABASE_URL=$(PG_URL) $(BIN)/pytest --durations=10 --basetemp=var/pytest-postgres

lint: $(VENV)/.synced
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(VENV)/.synced
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# One benchmark alone: make bench BENCH=matching (sizes: EMPACT_BENCH_MATCHING_SIZES)
bench: $(VENV)/.synced
	EMPACT_TESTING=true $(BIN)/python -m bench $(BENCH)

docs: $(VENV)/.synced
	EMPACT_TESTING=true $(BIN)/python -m empact.web.clidocs docs/cli.md

clean:
	rm -rf $(VENV) var/*.sqlite3
