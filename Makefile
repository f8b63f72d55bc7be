# Every routine task of the project. `make help` lists them.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KAFKA_PORT ?= 9092
KAFKA_LIB := dev/kafka/lib
ARTIFACTS := artifacts/default
REPLAY_FILE := data/replay/fcc_complaints_replay.csv

.DEFAULT_GOAL := help
.PHONY: help setup run train compare bench test test-fast kafka-up kafka-down kafka-status lint

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# The stamp files make `make setup` quick when neither pyproject.toml nor the pom changed.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(KAFKA_LIB)/.fetched: dev/kafka/pom.xml
	rm -rf $(KAFKA_LIB)
	mvn -q -B -Dstyle.color=never -f dev/kafka/pom.xml package
	touch $@

setup: $(VENV)/.installed $(KAFKA_LIB)/.fetched  ## Create .venv, install the project, fetch the Kafka broker.

# Trains only when artifacts/default has no model yet; `make train` retrains.
run: setup  ## Replay the real complaints through broker and worker; print a summary.
	@test -f $(ARTIFACTS)/config.json || $(MAKE) --no-print-directory train
	$(PY) -m worker.replay $(REPLAY_FILE) --id-column ticket_id --text-column text $(RUN_ARGS)

train: setup  ## Train the default model from data/Reviews.xlsx into artifacts/default.
	$(PY) -m training --data data/Reviews.xlsx --out $(ARTIFACTS)

compare: setup  ## Compare LSTM, BiLSTM, BiLSTM+attention and TF-IDF over 5 seeds (about 20 min).
	$(PY) -m training --compare --data data/Reviews.xlsx --out runs/comparison

# The benchmark starts its own broker unless KAFKA_BOOTSTRAP_SERVERS is set.
bench: setup  ## Measure worker throughput and latency; write bench/results.json.
	@test -f $(ARTIFACTS)/config.json || $(MAKE) --no-print-directory train
	$(PY) -m bench
	$(PY) -m bench.variants

# The suite picks its broker itself (KAFKA_BOOTSTRAP_SERVERS, Docker, or a local
# broker that it starts and stops), see tests/conftest.py.
test: setup  ## Run the whole test suite against a real Kafka broker.
	$(PY) -m pytest

test-fast: setup  ## Run the unit tests that need no broker.
	$(PY) -m pytest -m 'not kafka'

kafka-up: setup  ## Start the local broker on 127.0.0.1 (port: KAFKA_PORT, default 9092) with the worker's topics.
	$(PY) dev/kafka/localbroker.py up --port $(KAFKA_PORT)
	$(PY) -m worker.topics --bootstrap-servers 127.0.0.1:$(KAFKA_PORT)

kafka-down:  ## Stop the local broker.
	$(PYTHON) dev/kafka/localbroker.py down

kafka-status:  ## Say whether the local broker runs, and where (exit 1: not running).
	$(PYTHON) dev/kafka/localbroker.py status

lint: setup  ## Check style with ruff.
	$(PY) -m ruff check .
