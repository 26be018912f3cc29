# The Python package (python/doku_direct, bindings/python). Included by the Makefile.
#   make python-test   clippy on bindings/python, builds the wheel (`pip install .`) into .venv,
#                      then runs the pytest suite (tests/python), mypy --strict (the package,
#                      the tests and a typed usage file, against _native.pyi) and stubtest
#                      (_native.pyi against the compiled module).
#   make bench-python  the Python benchmarks (bench/python/bench.py): ratios, no timing
#                      assertions.
# .venv is created on first use with python3 -m venv (scripts/install-deps.sh installs
# python3-venv when a Debian machine lacks it).

PYTHON ?= python3
PY_VENV := .venv
PY := $(PY_VENV)/bin/python
# fastapi + httpx: the README's FastAPI app runs under FastAPI's TestClient.
PY_TOOLS := maturin==1.16.0 pytest==9.2.0 mypy==2.4.1 fastapi==0.165.0 httpx==0.28.1
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: python-venv python-install python-clippy python-test bench-python

$(PY):
	$(PYTHON) -m venv $(PY_VENV) || { scripts/install-deps.sh apt && $(PYTHON) -m venv --clear $(PY_VENV); }

python-venv: $(PY)
	$(PIP) install -q $(PY_TOOLS)

# The release wheel, built as a user's `pip install .` builds it (maturin, fat LTO: slow).
python-install: python-venv
	$(PIP) install -q --force-reinstall .

# bindings/python (the extension crate) is in the Makefile's workspace clippy too; this
# target keeps `make python-test` self-sufficient.
python-clippy:
	$(CARGO) clippy -p doku-python -- -D warnings

python-test: python-clippy python-install
	$(PY) -m pytest -q tests/python
	$(PY) -m mypy
	$(PY) -m mypy.stubtest doku_direct._native

bench-python: python-install
	$(PY) bench/python/bench.py

EXTRA_TESTS += python-test
EXTRA_BENCHES += bench-python
