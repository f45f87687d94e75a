# Two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: run test unit integration contract contract-tests bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e . 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import connexion, orjson" && touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]' 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import connexion, schemathesis, openapi_core, hypothesis" && touch $@ $(VENV)/.installed

## Start the server on SQLite with a ready demo tenant; prints base URL and token.
run: $(VENV)/.installed
	$(BIN)/scimdock serve --demo --host $(HOST) --port $(PORT)

## Install everything and run every test: unit, integration over HTTP, contract.
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 tests contract_tests

unit: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q tests/unit

integration: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q tests/integration

contract-tests: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q contract_tests

## Rewrite the User and Group schemas of openapi/scim.yaml from core/schema.py
## (scimdock/contract.py); commit the result (a unit test checks it is current).
contract: $(VENV)/.installed
	$(BIN)/python -m scimdock.contract

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
