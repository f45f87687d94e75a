# Two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: run test test-untuned unit integration contract bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e . 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import scimdock.app" && touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]' 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import connexion, schemathesis, openapi_core, hypothesis" && touch $@ $(VENV)/.installed

## Start the server on SQLite with a ready demo tenant; prints base URL and token.
run: $(VENV)/.installed
	$(BIN)/scimdock serve --demo --host $(HOST) --port $(PORT)

## Install everything and run every test: unit, integration over HTTP, contract;
## then the integration tests again against servers without scimdock/tuning/.
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 tests contract_tests
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --tuning=off tests/integration

## The integration tests against servers running Connexion and uvicorn as
## shipped (SCIMDOCK_TUNING=off): the tuning must not change any answer.
test-untuned: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --tuning=off tests/integration

unit: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q tests/unit

integration: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q tests/integration

contract: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q contract_tests

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PIP) install scim2-server 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import scim2_server" && touch $@

## Benchmarks with ratios against peers measured in the same run (docs/performance.md);
## never part of `make test`. BENCH_SECONDS=10 lengthens runs; BENCH_QUICK=1 skips 1M users.
bench: $(VENV)/.installed-bench
	$(BIN)/python bench/run.py
	$(BIN)/python bench/groups.py
	$(BIN)/python bench/entra_cycle.py

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis
