# The two commands of README.rst: `make demo` and `make test`.
# Everything they need is installed here: a virtualenv for swiftsvc in .venv,
# and the Swift / Keystone server virtualenvs under $SWIFTSVC_CACHE_DIR
# (default ~/.cache/swiftsvc), built on first use by swiftsvc.testing.
#
#   make demo       the backup/restore demo (builds the Swift virtualenv only)
#   make quick      server-free tests and the fast real-server ones (< 2 min)
#   make test       everything: lint, types, every test (CI runs this: .ci/run)
#   make durations  every test, re-recording tests/durations.json (what `quick` skips)
#   make dist       the sdist (with the whole test suite) and the wheel, in dist/

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# tests recorded slower than pyproject's swiftsvc_slow_after are marked slow
QUICK := -m "not slow and not keystone"

.PHONY: demo test quick durations unit lint type bench servers dist clean

$(STAMP): pyproject.toml
	@start=$$(date +%s); \
	test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip; \
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'; \
	touch $(STAMP); \
	echo "[phase] client virtualenv ready in $$(( $$(date +%s) - start )) s"

# build (or check) the Swift and Keystone server virtualenvs; prints phase times
servers: $(STAMP)
	$(PY) -m swiftsvc.testing install

# the demo runs Swift only: no Keystone virtualenv to build
demo: $(STAMP)
	$(PY) -m swiftsvc.testing install swift
	$(PY) examples/demo.py

lint: $(STAMP)
	$(PY) -m ruff check swiftsvc tests examples bench

# the tests too, one run per folder: each has its own conftest and helper
# modules (imported as "from _seed import ..."), which one run cannot tell apart
type: $(STAMP)
	$(PY) -m mypy --strict swiftsvc
	@for dir in tests $(patsubst %/,%,$(sort $(dir $(wildcard tests/*/*.py)))); do \
		echo "mypy --strict $$dir"; \
		MYPYPATH=$$dir $(PY) -m mypy --strict $$dir/*.py || exit 1; \
	done

unit: $(STAMP)
	$(PY) -m pytest -q tests

quick: $(STAMP)
	$(PY) -m swiftsvc.testing install swift
	@start=$$(date +%s); \
	$(PY) -m pytest -q $(QUICK) tests; status=$$?; \
	echo "[phase] quick tests took $$(( $$(date +%s) - start )) s"; exit $$status

# the whole test suite: lint, types, then every test against the real servers
# (TEST_ARGS adds pytest options: make test TEST_ARGS=--record-durations)
TEST_ARGS ?=
test: servers lint type
	@start=$$(date +%s); \
	$(PY) -m pytest -q --durations=15 $(TEST_ARGS) tests; status=$$?; \
	echo "[phase] tests took $$(( $$(date +%s) - start )) s"; exit $$status

durations: servers
	$(PY) -m pytest -q --record-durations tests

dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --outdir dist .

bench: servers
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist
