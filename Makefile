# buurt: `make demo` opens the console on a running demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast lint format bench server clean catalogs constraints

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install when the project's dependencies change; versions pinned by constraints.txt.
$(VENV)/.dev-installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[server,web,dev]'
	touch $@

$(VENV)/.server-installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[server,web]'
	touch $@

# Move the pins to the newest releases the ranges in pyproject.toml allow (then run make test).
constraints: | $(BIN)/python
	rm -rf .venv-constraints && $(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet --upgrade pip
	.venv-constraints/bin/python -m pip install --quiet -e '.[server,web,dev]'
	{ head -2 constraints.txt; .venv-constraints/bin/pip freeze --exclude-editable | grep -v '^-e'; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-constraints

demo: $(VENV)/.server-installed
	$(BIN)/buurt demo

server: $(VENV)/.server-installed
	$(BIN)/buurt-server migrate
	$(BIN)/buurt-server seed --demo
	$(BIN)/buurt-server serve

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# In parallel, one worker per core: each worker starts its own PostgreSQL, SQLite files and
# servers on free ports, so no two tests share a database.
test: lint
	$(BIN)/pytest -q -n auto

# The quick loop before a commit: SQLite only, no `slow` test (over 2 s alone: server
# processes, a wheel, the console walked through screens); `make test` runs those and the
# PostgreSQL leg of every `dialect` test.
test-fast: $(VENV)/.dev-installed
	$(BIN)/pytest -q -n auto -m "not slow and not postgresql"

bench: $(VENV)/.dev-installed
	@for script in bench/*.py; do \
		case $$script in */common.py) continue;; esac; \
		echo "== $$script"; $(BIN)/python $$script || exit 1; \
	done

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache

# Translations: extract the strings, merge them into nl/fr, compile the .mo files we ship.
catalogs: $(VENV)/.dev-installed
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 --no-location --sort-output -o console/locale/buurt.pot .
	$(BIN)/pybabel update -i console/locale/buurt.pot -d console/locale -D buurt --width 100
	$(BIN)/pybabel compile -d console/locale -D buurt --statistics
