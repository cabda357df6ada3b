# kioskd: `make run` starts the simulated kiosk, `make test` runs the tests.
# Both create their own virtual environment in .venv (Python >= 3.11 is all they need).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run demo test lint diagram bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/kioskd run --simulate

demo: $(STAMP)
	$(VENV)/bin/kioskd demo

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -n 2

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

diagram: $(STAMP)
	$(PY) -m statemachine.diagram

bench: $(STAMP)
	@for b in bench/*.py; do m=$$(basename $$b .py); echo "== python -m bench.$$m"; $(PY) -m bench.$$m || exit 1; done

# Into /opt/kioskd (own venv), units, udev rules, sysusers/tmpfiles, /etc/kioskd/kioskd.toml.
# `make install DESTDIR=/tmp/stage SKIP_VENV=1` stages the files only (no system changes).
install:
	DESTDIR="$(DESTDIR)" PREFIX="$(or $(PREFIX),/opt/kioskd)" PYTHON="$(PYTHON)" ./install.sh

clean:
	rm -rf $(VENV) var artifacts
