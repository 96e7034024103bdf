# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
EVENTS ?= $(CURDIR)/events.csv
PORT   ?= 8501
# The dashboard listens on this machine only; `make run ADDRESS=0.0.0.0 READ_ONLY=1` shares a read-only map.
ADDRESS ?= 127.0.0.1
READ_ONLY ?=

.PHONY: run test lint pytest bench serve clean gazetteer screenshots basemap

# The venv is rebuilt only when pyproject.toml changes (stamp files).
$(VENV)/.stamp-run: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.stamp-test: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.stamp-run

run: $(VENV)/.stamp-run
	@echo "Kirkuk Control Map: open http://$(ADDRESS):$(PORT)  (events: $(EVENTS))"
	KCM_EVENTS="$(EVENTS)" KCM_ADDRESS="$(ADDRESS)" KCM_READ_ONLY="$(READ_ONLY)" $(PY) -m dashboard.serve \
		--server.port $(PORT)

lint: $(VENV)/.stamp-test
	$(VENV)/bin/ruff check geodata dashboard tests
	$(VENV)/bin/ruff format --check geodata dashboard tests

pytest: $(VENV)/.stamp-test
	KCM_EVAL_TEST_SPLIT=1 $(PY) -m pytest

test: lint pytest

bench: $(VENV)/.stamp-test
	$(PY) -m tests.bench

# Refresh the README's screenshots (dashboard/screenshots/) from the browser tests.
screenshots: $(VENV)/.stamp-test
	KCM_SCREENSHOTS=1 $(PY) -m pytest tests/browser -k screenshot

gazetteer: $(VENV)/.stamp-test
	$(VENV)/bin/kcm gazetteer build

# Rebuild the packaged outlines (geodata/data/basemap.geojson) from Natural Earth in npm packages (needs npm).
basemap: $(VENV)/.stamp-test
	$(PY) -m geodata.basemap_build

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
