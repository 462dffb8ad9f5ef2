# Two commands matter: `make demo` and `make test`. Both install first (idempotent).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install test demo airflow lint bench clean

install: $(STAMP)

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

lock:
	uv pip compile pyproject.toml --extra test --extra dev --python-version 3.11 -q -o constraints.txt

test: install
	$(PY) -m pytest -q

demo: install
	$(PY) -m devtools.demo

# Interactive: airflow standalone on http://127.0.0.1:8080 with the DAGs and plugin loaded.
airflow: install
	$(PY) -m devtools.local

lint: install
	$(VENV)/bin/ruff check plugins tests benchmarks dags devtools
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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache airflow_home
