# Two entry points do all set-up on a fresh clone: `make demo` and `make test`. Both are idempotent and fast
# on a second run (the virtualenv and node_modules are rebuilt only when pyproject.toml / package-lock.json change).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# Type-checked: the modules that carry the rules (models, services, scope, audit, identity documents).
MYPY_FILES := src/fangxian/env.py $(wildcard src/fangxian/*/models.py src/fangxian/*/services.py src/fangxian/*/services/*.py src/fangxian/*/choices.py) \
	src/fangxian/core/scoping.py src/fangxian/core/audit.py src/fangxian/core/masking.py src/fangxian/core/auth.py \
	src/fangxian/core/tabular.py src/fangxian/core/divisions.py src/fangxian/core/exports.py src/fangxian/people/documents.py \
	src/fangxian/core/bulk.py src/fangxian/leads/staging.py src/fangxian/core/capabilities.py \
	src/fangxian/core/listing.py

.PHONY: demo test test-sqlite test-postgres deps lint messages clean

demo: deps
	$(BIN)/fangxian demo

# The two databases' legs run side by side (two cores): each is single-threaded and they share nothing on disk.
test: deps lint
	./scripts/ensure-system-packages
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

deps: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: deps
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench
	MYPYPATH=src $(BIN)/mypy $(MYPY_FILES)
	$(BIN)/fangxian makemigrations --check --dry-run
	$(BIN)/lint-imports --no-cache pyproject.toml

# The embedded database, with the browser tests (real Chromium against a real server).
test-sqlite: deps
	./scripts/ensure-system-packages
	DATABASE_URL=sqlite:///var/test.sqlite3 $(BIN)/pytest -q

# PostgreSQL, the production database: the same suite but the browser leg. Under CI it must run;
# elsewhere it is skipped with a notice when no server answers.
test-postgres: deps
	@if $(BIN)/python scripts/pg_reachable.py "$(PG_URL)"; then \
		DATABASE_URL="$(PG_URL)" $(BIN)/pytest -q -m "not browser"; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL ($(PG_URL)) 不可达：CI 必须运行 PostgreSQL 测试" >&2; exit 1; \
	else \
		echo "注意：PostgreSQL ($(PG_URL)) 不可达，本次未运行 PostgreSQL 测试"; \
	fi

# Re-extract the interface text (Chinese source) and recompile the English catalogue (needs GNU gettext).
messages: deps
	cd src/fangxian && ../../$(BIN)/fangxian makemessages -l en --ignore "*/tests/*" --ignore conftest.py --ignore demo.py
	cd src/fangxian && ../../$(BIN)/fangxian compilemessages -l en

clean:
	rm -rf $(VENV) node_modules var
