# The two commands a new user needs: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
SAM_VENV := .venv-sam
BENCH_VENV := .venv-bench
BIN := $(VENV)/bin
WORLD_SIZE ?= small
WORLD_SEED ?= 7
DATA_DIR ?= var/world-$(WORLD_SIZE)
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/$(SAM_VENV)/bin:$(PATH)

.PHONY: run test bench browser screenshots site bench-install install sam-install clean up down world models sam-build

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml requirements/dev.txt requirements/training.txt layers/runtime/requirements.txt layers/reporting/requirements.txt layers/nlp/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -r requirements/dev.txt -r requirements/training.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

sam-install: $(SAM_VENV)/.installed
$(SAM_VENV)/.installed: requirements/sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet -r requirements/sam.txt
	touch $@

## make run: install, local AWS stack (moto), small world, trained models, API on 127.0.0.1:8000
## Each step is cached by its output file, so a second `make run` starts in seconds.
run: install
	$(BIN)/nabiyam local up
	$(MAKE) --no-print-directory world models
	$(BIN)/nabiyam world load $(DATA_DIR)
	$(BIN)/nabiyam models publish nlu artifacts/nlu --promote
	$(BIN)/nabiyam models publish ranker artifacts/ranker --promote
	$(BIN)/nabiyam models publish sentiment artifacts/sentiment --promote
	$(MAKE) --no-print-directory simulate
	$(MAKE) --no-print-directory site
	@# the dashboard site beside the API (its URL is printed first); stopping the API stops it too
	$(BIN)/nabiyam dashboard serve --dir $(SITE_DIR) --port $(SITE_PORT) & SITE_PID=$$!; \
		trap 'kill $$SITE_PID 2>/dev/null' EXIT; sleep 1; $(BIN)/nabiyam serve

# The world regenerates when its generator or formula changes (a stale world has an old formula).
WORLD_SOURCES := $(shell find layers/core/nabiyam/world -name '*.py' 2>/dev/null)
world: $(DATA_DIR)/world.json
$(DATA_DIR)/world.json: $(WORLD_SOURCES)
	$(BIN)/nabiyam world generate --size $(WORLD_SIZE) --seed $(WORLD_SEED) --out $(DATA_DIR)

# Models retrain when their training or feature code changes (a stale ranker would fall back). The ranker
# trains without its baselines here (they are comparisons: `make bench BENCH_ARGS="--only peers"`), to stay in 5 minutes.
NLU_SOURCES := $(shell find training_jobs/nlu layers/core/nabiyam/nlu -name '*.py' 2>/dev/null)
RANKER_SOURCES := $(shell find training_jobs/ranker layers/core/nabiyam/recsys -name '*.py' 2>/dev/null)
SENTIMENT_SOURCES := $(shell find training_jobs/sentiment layers/core/nabiyam/sentiment -name '*.py' 2>/dev/null) tests/sentiment/data/food_chat.jsonl
models: artifacts/nlu/model.onnx artifacts/ranker/model.onnx artifacts/sentiment/model.onnx
artifacts/nlu/model.onnx: $(NLU_SOURCES)
	$(BIN)/nabiyam train nlu --out artifacts/nlu
artifacts/ranker/model.onnx: $(DATA_DIR)/world.json $(RANKER_SOURCES)
	$(BIN)/nabiyam train ranker --world $(DATA_DIR) --out artifacts/ranker --no-baselines
# Sentiment: NSMC (../shared/data/nsmc, read in place) + generated neutral requests; a few CPU minutes.
artifacts/sentiment/model.onnx: $(SENTIMENT_SOURCES)
	$(BIN)/nabiyam train sentiment --out artifacts/sentiment

# 28 simulated days of the world's people using the service (steady scenario), then the lake export of
# each day; cached by its run file (delete it, or `make clean`, to simulate again).
SIM_DAYS ?= 28
SIM_PER_DAY ?= 40
SIM_START ?= 2026-11-02
SIM_OUT ?= var/sim/steady-seed$(WORLD_SEED)
simulate: $(SIM_OUT)/run.json
$(SIM_OUT)/run.json: $(DATA_DIR)/world.json artifacts/ranker/model.onnx
	$(BIN)/nabiyam simulate --world $(DATA_DIR) --days $(SIM_DAYS) --start $(SIM_START) --per-day $(SIM_PER_DAY) \
		--seed $(WORLD_SEED) --out $(SIM_OUT)
	@echo "Other scenarios (docs/simulator.md), e.g.:"
	@echo "  $(BIN)/nabiyam simulate --world $(DATA_DIR) --days 14 --start 2026-12-07 --scenario incident --incident-day 7"
	@echo "  $(BIN)/nabiyam simulate --world $(DATA_DIR) --days 14 --start 2026-12-21 --scenario ab"
	@echo "  $(BIN)/nabiyam simulate --world $(DATA_DIR) --days 14 --start 2027-01-04 --scenario growth --growth 0.1"

## make test: install what tests need (app + SAM CLI + Chromium) and run the whole suite
test: install sam-install browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## make browser: Debian's chromium for the dashboard's browser checks (Playwright drives it and never
## downloads a browser); installed with apt-get when /usr/bin/chromium is missing (needs root, as in CI).
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

## make site: the dashboard site (SITE_DIR) from the simulated weeks on the local stack — simulated first when the
## stack's lake lacks those days (a restarted moto server forgets them), then daily metrics, then every week.
SITE_DIR ?= var/site
SITE_PORT ?= 8001
SCREENSHOTS_DIR ?= var/screenshots
site: install
	$(BIN)/nabiyam local up
	$(MAKE) --no-print-directory world
	rm -rf $(SITE_DIR) $(SITE_DIR).work
	POWERTOOLS_LOG_LEVEL=WARNING $(BIN)/nabiyam dashboard build --out $(SITE_DIR) --simulate $(DATA_DIR) \
		--start $(SIM_START) --days $(SIM_DAYS) --per-day $(SIM_PER_DAY)

## make screenshots: build the site, open every page in headless Chromium at desktop and phone width (fails on
## console errors, failed or outside requests, images without alt, sideways scrolling); a PNG of each page.
screenshots: site browser
	$(BIN)/python -m dashboard_site.browser $(SITE_DIR) --screenshots $(SCREENSHOTS_DIR)

## make bench [QUICK=1]: every benchmarks/bench_*.py → benchmarks/results/latest.json + latest.md
bench: install sam-install bench-install
	$(BIN)/python -m benchmarks.run $(if $(QUICK),--quick) $(BENCH_ARGS)

# The peer rankers (LightGBM, pytorch-widedeep, DeepCTR-Torch) for bench_peers, in their own venv:
# their torch/torchvision pair differs from the project's (see benchmarks/peers/requirements.txt).
bench-install: $(BENCH_VENV)/.installed
$(BENCH_VENV)/.installed: benchmarks/peers/requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet -r benchmarks/peers/requirements.txt
	touch $@

up: install
	$(BIN)/nabiyam local up
down:
	$(BIN)/nabiyam local down

sam-build: sam-install
	$(BIN)/python -m nabiyam.infra.sam_build_check

clean:
	rm -rf .aws-sam var artifacts .pytest_cache
