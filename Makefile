# Two commands matter: `make demo` and `make test`. Both install first (idempotent).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3
# The React views (ui/) are built into the package; rebuilt only when ui/ changes.
UI_BUNDLE := plugins/bluelabel/web/static/bluelabel.js
UI_SOURCES := $(shell find ui/src -type f) ui/package.json ui/vite.config.ts ui/tsconfig.json

.PHONY: install test check demo airflow cluster cluster-stop lint bench fuzz structure clean dist docs

install: $(STAMP) $(UI_BUNDLE)

# Pinned set: constraints.txt (regenerate with `make lock`). uv when present, else pip.
$(STAMP): pyproject.toml constraints.txt
	@if command -v uv >/dev/null 2>&1; then \
	  uv venv --allow-existing --python $(PYTHON) $(VENV) -q && \
	  uv pip install -q -p $(PY) -c constraints.txt -e ".[dev]"; \
	else \
	  [ -x $(PY) ] || $(PYTHON) -m venv $(VENV); \
	  $(PY) -m pip install -q --upgrade pip && \
	  $(PY) -m pip install -q -c constraints.txt -e ".[dev]"; \
	fi
	@touch $@

# npm ci when the lockfile changed (node_modules/.package-lock.json is npm's own record).
ui/node_modules/.package-lock.json: ui/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make: npm (Node.js >= 20.19) is needed to build ui/" >&2; exit 1; }
	cd ui && npm ci --no-audit --no-fund --loglevel=error

$(UI_BUNDLE): ui/node_modules/.package-lock.json $(UI_SOURCES)
	cd ui && npm run --silent build

# The sdist and the wheel in dist/, the built UI bundle and the example workflows inside
# (setup.py refuses to build without the bundle), checked by twine.
dist: install
	rm -rf dist
	@if command -v uv >/dev/null 2>&1; then uv build -q --out-dir dist; \
	else $(PY) -m build --outdir dist; fi
	$(VENV)/bin/twine check --strict dist/*
	@ls -l dist/*.whl dist/*.tar.gz

# The docs site into site/, strict: a broken link or anchor fails. The reference pages are
# generated from the code at build time (devtools/docs_hooks.py). Material for MkDocs
# announces its end of life (May 2027; Zensical, its successor, reads mkdocs.yml):
# NO_MKDOCS_2_WARNING keeps that notice out of every build.
docs: install
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet --site-dir site

lock:
	uv pip compile pyproject.toml --extra test --extra dev --extra fuzz --python-version 3.11 -q -o constraints.txt

# Everything, as CI runs it: two xdist workers (each with its own Airflow home); the tests of
# one service (the cluster, the API server with the browser, Dovecot) share a worker. The 25
# slowest tests are listed at the end (where the time goes, in every CI log).
test: install
	$(PY) -m pytest -q -n 2 --dist loadgroup --durations=25

# The inner loop: no cluster, browser, IMAP server or slow test (under 5 minutes here).
check: install
	$(PY) -m pytest -q -n 2 --dist loadgroup -m "not cluster and not browser and not imap and not slow"

demo: install
	$(PY) -m devtools.demo

# Interactive: airflow standalone on http://127.0.0.1:8080 with the DAGs and plugin loaded.
airflow: install
	$(PY) -m devtools.local

# The distributed engine as local processes: CeleryExecutor + PostgreSQL + Redis, configured by
# docker/airflow.env like docker compose. CLUSTER_HOME, CLUSTER_PORT, CLUSTER_DB,
# CLUSTER_REDIS_DB, CLUSTER_WORKERS (see devtools/cluster.py). Rerun: starts what is not running.
cluster: install
	$(PY) -m devtools.cluster start

cluster-stop: install
	$(PY) -m devtools.cluster stop

lint: install
	$(VENV)/bin/ruff check plugins tests benchmarks dags devtools fuzz
	$(VENV)/bin/mypy

bench: install
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/summarize.py
	$(PY) benchmarks/digest_query.py
	$(PY) benchmarks/parse.py
	$(PY) benchmarks/run_overhead.py
	$(PY) benchmarks/metrics_overhead.py
	$(PY) benchmarks/periodic_digest.py
	$(PY) benchmarks/batch.py
	$(PY) benchmarks/cluster.py

# The import graph between sub-packages as an SVG (Graphviz); tests/unit/test_structure.py
# checks it has no circle.
structure: install
	@mkdir -p build
	$(PY) -m devtools.structure --packages > build/structure.dot
	dot -Tsvg build/structure.dot -o build/structure.svg && echo "build/structure.svg"

# Fuzz each target for FUZZ_SECONDS (default 10 minutes); findings land in build/fuzz/.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := workflow pdf text document html email
fuzz: install
	$(PY) -m pip install -q -c constraints.txt -e ".[fuzz]" 2>/dev/null || \
	  uv pip install -q -p $(PY) -c constraints.txt -e ".[fuzz]"
	@mkdir -p build/fuzz/artifacts
	@for target in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$target ($(FUZZ_SECONDS) s)"; \
	  $(PY) -m fuzz.$${target}_target -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
	    -timeout=30 -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/$$target- \
	    || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache airflow_home ui/node_modules $(UI_BUNDLE)
