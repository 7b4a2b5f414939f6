# The two commands the README opens with. Both build .venv from scratch if it is missing.
PY ?= python3
VENV ?= .venv
PIP = $(VENV)/bin/pip
# torch==2.13.0 is the CPU build on this machine's disk; an unpinned torch pulls a multi-GB CUDA build.
TORCH = torch==2.13.0

.PHONY: setup browser demo test test-all bench

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

setup: $(VENV)/bin/python
	$(PIP) install -q $(TORCH) -e '.[all]'

demo: setup
	$(VENV)/bin/losslens demo

# The report's browser tests need Debian's chromium; installed when missing and we are root (as CI is).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } || \
		echo "chromium not installed: the browser tests will be skipped"

# Both suites on 2 workers: the slow one trains small models on one torch thread each (tests/conftest.py
# one_torch_thread), so two at once use both cores; serial, it alone took ~7 of CI's ~15 minutes.
# --dist loadgroup: tests that read one shared training (a module fixture) carry one xdist_group, so one
# worker trains it once; the others are dealt out as with the default --dist load.
test: setup browser
	KERAS_BACKEND=torch $(VENV)/bin/python -m pytest -q -n 2 --dist loadgroup tests
	KERAS_BACKEND=torch $(VENV)/bin/python -m pytest -q -n 2 --dist loadgroup -m "slow and not slower" --maxfail=3 tests

# Everything, the `slower` tests too: checks of the benchmarks' own protocols, which the benchmarks rerun
# (a 90-s learned-classifier evaluation alone set CI's longest pole). Not in CI's bounded set.
test-all: setup browser
	KERAS_BACKEND=torch $(VENV)/bin/python -m pytest -q -n 2 --dist loadgroup tests
	KERAS_BACKEND=torch $(VENV)/bin/python -m pytest -q -n 2 --dist loadgroup -m slow tests

bench: setup
	$(VENV)/bin/python -m benchmarks
