# Two commands on a fresh machine: `make demo` and `make test`. Everything else is installed here.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo
N      ?= 200000
SEED   ?= 7

export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: install demo test bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: install
	mkdir -p $(DEMO)
	$(BIN)/triage simulate --config configs/simulation/default.yaml --n $(N) --seed $(SEED) --out $(DEMO)/cohort.parquet
	$(BIN)/triage calibration --data $(DEMO)/cohort.parquet

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench_simulate.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(DEMO) .pytest_cache
