# Factory CRM. `make run` starts the system; `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9

UI_STAMP := ui/node_modules/.installed
UI_SOURCES := $(shell find ui/src -type f) ui/index.html ui/vite.config.js

.PHONY: run test test-setup test-most test-browser-and-more install ui chromium clean

# uv installs the same pinned packages as pip would, several times faster (a test run waits for it).
$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

# The web UI: npm packages from the lock file, built by Vite into ui/dist (served by the gateway).
$(UI_STAMP): ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund --loglevel=error
	touch $(UI_STAMP)

ui/dist/index.html: $(UI_STAMP) $(UI_SOURCES)
	cd ui && npm run build

ui: ui/dist/index.html

# Debian's Chromium for the browser tests (never a browser downloaded by Playwright), and a
# Chinese font so the screenshots show the zh-CN pages as people see them.
chromium:
	{ command -v chromium && fc-list :lang=zh | grep -q . ; } >/dev/null 2>&1 || { apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei; }

run: install ui
	$(PY) -m deploy.run

# Four pytest runs, each with a system of its own, two at a time on the two cores: most tests in
# one; in the other the browser tests (they must not share a process with eventlet), then the fault,
# gateway, integration and customers service tests, the consistency check and the replicas' test
# (a system of its own), which balance the two (without the replicas' test the first ran 50-90 s
# longer in CI, one core idle meanwhile; with it they end within about a minute of each other,
# either first). The tests that stop the whole RabbitMQ node would break the others, so they run
# alone, last; only their files are collected (BROKER_OUTAGE; tests/test_makefile.py checks that
# it names them all).
BESIDE_BROWSER := tests/chaos tests/gateway tests/integration tests/customers tests/e2e/test_consistency_check.py tests/e2e/test_replicas.py
BROKER_OUTAGE := tests/chaos/test_broker_outage.py tests/e2e/test_backbone.py

# Each lane starts as soon as what it needs is installed: most tests need only the venv, so they
# start while the UI builds and Chromium installs for the other lane. Test processes (and the
# services they start) keep their compiled modules, whatever the machine's environment says.
unexport PYTHONDONTWRITEBYTECODE

test:
	$(MAKE) --no-print-directory -j2 --output-sync=target test-most test-browser-and-more
	$(PY) -m pytest -m broker_outage $(BROKER_OUTAGE)

# What the tests need (the venv, the built UI, Chromium), installed side by side.
test-setup:
	$(MAKE) --no-print-directory -j3 install ui chromium

test-most: install
	$(PY) -m pytest -m "not broker_outage" $(addprefix --ignore=,$(BESIDE_BROWSER))

test-browser-and-more: install ui chromium
	CRM_TEST_BROWSER=1 $(PY) -m pytest -p no:pytest_nameko tests/e2e/browser
	$(PY) -m pytest -m "not broker_outage" $(BESIDE_BROWSER)

clean:
	rm -rf $(VENV) var .pytest_cache ui/node_modules ui/dist
