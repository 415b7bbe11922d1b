# Two commands on a fresh machine: `make demo` and `make test`. Everything else is installed here.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo
N      ?= 800000
SEED   ?= 7
PDF_FONTS := fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji

export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: install demo test test-scale bench experiments lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# The app's browser test drives Debian's chromium with Playwright (never `playwright install`).
	@test -x /usr/bin/chromium || { apt-get update -q >/dev/null 2>&1 && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } || \
		echo "warning: could not install chromium with apt-get; the app's browser test will be skipped" >&2
	@# pdftoppm and pdftotext render and read the patient PDFs in the browser test.
	@test -x /usr/bin/pdftoppm || { apt-get update -q >/dev/null 2>&1 && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q poppler-utils >/dev/null 2>&1; } || \
		echo "warning: could not install poppler-utils with apt-get; the PDF check of the browser test will be skipped" >&2
	@# Fonts for the scripts DejaVu lacks in the patient PDFs (Chinese, Japanese, Korean, Devanagari and other Indic
	@# scripts, Thai, emoji) and Noto faces for Arabic and Hebrew; found at run time by patient/_fonts.py.
	@fc-list ':charset=4e2d' file | grep -q . && fc-list ':charset=915' file | grep -q . && \
		fc-list ':charset=1f44d' file | grep -q . || { apt-get update -q >/dev/null 2>&1 && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(PDF_FONTS) >/dev/null 2>&1; } || \
		echo "warning: could not install $(PDF_FONTS) with apt-get; patient PDFs will show Chinese, Hindi and emoji as marks" >&2
	touch $(STAMP)

# Simulate a training cohort (800,000 visits: enough MIs in every guaranteed group for the issue-25 bar) and an
# independent audit cohort, train and register a model, audit it, open the app: `chestpain demo`, which a wheel
# installed anywhere also runs. Everything (MLflow store included) is written under $(DEMO)/.
demo: install
	$(BIN)/chestpain demo --out $(DEMO) --n $(N) --seed $(SEED)

test: install
	$(BIN)/python -m pytest

# Dask engine, xgboost.dask and a team MLflow server on a throw-away PostgreSQL (installed here if missing).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
test-scale: install
	command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql; }
	$(BIN)/python -m pip install --quiet -e '.[scale]'
	@# tests/experiments/test_configs.py has two cases that need dask installed (skipped by `make test`).
	TRIAGE_TEST_SCALE=1 $(BIN)/python -m pytest tests/scale tests/experiments/test_configs.py

bench: install
	$(BIN)/python benchmarks/bench_cli_start.py
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_predict.py
	$(BIN)/python benchmarks/bench_scores.py
	$(BIN)/python benchmarks/bench_audit.py
	$(BIN)/python benchmarks/bench_app_start.py

# Every study in configs/experiments/: results pages in experiments/results/, one MLflow run each.
experiments: install
	for config in configs/experiments/*.yaml; do $(BIN)/chestpain experiment run $$config || exit 1; done

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(DEMO) .pytest_cache
