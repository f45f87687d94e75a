# Two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
HOST   ?= 127.0.0.1
PORT   ?= 8080
SHELL  := /bin/bash
.SHELLFLAGS := -o pipefail -ec
# pip prints a warning for each configured package folder it cannot read.
QUIET_PIP := { grep -v "^WARNING: Location" || true; }

.PHONY: run test check fuzz test-untuned test-postgresql unit integration nginx postgresql chromium contract contract-tests lint typecheck bench lock clean

# The interpreter the venv is made with: a venv made by another Python (or
# whose Python is gone) is made again rather than failing until `make clean`.
PYTAG  := $(shell $(PYTHON) -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)
VENV_STAMP := $(VENV)/.made-with-python-$(PYTAG)

$(VENV_STAMP):
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	touch $@

# Exact versions with hashes (requirements/*.txt, refreshed by `make lock`);
# then scimdock itself, editable, without resolving anything again.
$(VENV)/.installed: pyproject.toml requirements/run.txt | $(VENV_STAMP)
	$(PIP) install --require-hashes -r requirements/run.txt 2>&1 | $(QUIET_PIP)
	$(PIP) install --no-deps -e . 2>&1 | $(QUIET_PIP)
	@$(BIN)/python -c "import scimdock.app" && touch $@

$(VENV)/.installed-test: pyproject.toml requirements/test.txt | $(VENV_STAMP)
	$(PIP) install --require-hashes -r requirements/test.txt 2>&1 | $(QUIET_PIP)
	$(PIP) install --no-deps -e . 2>&1 | $(QUIET_PIP)
	@$(BIN)/python -c "import scimdock.app, schemathesis, openapi_core, hypothesis" \
		&& touch $@ $(VENV)/.installed

## Start the server on SQLite with a ready demo tenant; prints base URL and token.
run: $(VENV)/.installed
	$(BIN)/scimdock serve --demo --host $(HOST) --port $(PORT)

## Install everything, check lint, format and types, and run every test:
## unit, store contract, integration over HTTP, contract (schemathesis on both
## documents, the identity-provider replays, tuned and untuned), on SQLite;
## then what the store can change again on PostgreSQL (docs/architecture.md, "Tests").
test: lint typecheck nginx postgresql chromium
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist worksteal --durations=15 tests contract_tests
	@$(MAKE) --no-print-directory test-postgresql

## The inner loop: lint, types, the unit tests and the store contract on
## SQLite, property tests at a tenth of their budget (SCIMDOCK_FUZZ=quick);
## what needs PostgreSQL is left to `make test`.
check: lint typecheck
	SCIMDOCK_FUZZ=quick $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist worksteal tests/unit \
	  $(foreach f,$(PG_UNIT),--ignore=$(f))

## Before a release: every property test and schemathesis at ten times the
## budget of `make test` (SCIMDOCK_FUZZ=deep), on SQLite.
fuzz: $(VENV)/.installed-test
	SCIMDOCK_FUZZ=deep $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist worksteal tests/unit \
	  contract_tests/test_schemathesis.py contract_tests/test_schemathesis_admin.py

## The integration and contract tests against servers on PostgreSQL (a
## throwaway cluster, tests/postgres_cluster.py), less those marked
## sqlite_only or backend_independent (counted in the summary). Where
## PostgreSQL cannot be had this half is skipped, saying why; with CI=true
## that fails instead.
test-postgresql: $(VENV)/.installed-test postgresql
	@if why=$$($(BIN)/python -m tests.postgres_cluster); then \
	  echo "PostgreSQL half: what the store can change, on a throwaway cluster"; \
	  $(BIN)/python -m pytest -q -p no:cacheprovider --collect-only --backend=postgresql \
	    tests/integration contract_tests | tail -2; \
	  $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist worksteal --durations=15 --backend=postgresql \
	    tests/integration contract_tests; \
	elif [ "$$CI" = true ]; then \
	  echo "PostgreSQL half cannot run (CI=true makes that a failure): $$why" >&2; exit 1; \
	else \
	  echo "PostgreSQL half SKIPPED: $$why"; \
	fi

## The whole integration suite against servers running Connexion and uvicorn
## as shipped (SCIMDOCK_TUNING=off). `make test` already compares every
## replay's answers tuned and untuned (contract_tests/test_replays.py) and
## tests/integration/test_tuning_equivalence.py every kind of answer; run
## this too after a change to scimdock/tuning/.
test-untuned: $(VENV)/.installed-test nginx
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist worksteal --tuning=off tests/integration

## nginx for tests/integration/test_tls_proxy.py: Debian's package, installed
## once as root (the test runs its own nginx process; on a host with systemd the
## package also starts its service: `systemctl disable --now nginx` if unwanted).
## Without root it is left to you: the test skips, or fails when CI=true.
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || [ "$$(id -u)" != 0 ] || \
	  { export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q --no-install-recommends nginx >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends nginx >/dev/null; }; }

## chromium for tests/integration/test_console.py (Playwright drives it; no
## `playwright install`): Debian's package, installed once as root. Without
## root it is left to you: the test skips, or fails when CI=true.
chromium:
	@[ -x /usr/bin/chromium ] || [ "$$(id -u)" != 0 ] || \
	  { export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }; }

## PostgreSQL for `make test-postgresql`: Debian's package, installed once as
## root when absent (the tests start their own throwaway cluster; on a host
## with systemd the package also starts its own: `systemctl disable --now
## postgresql` if unwanted). Without root it is left to you.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
	  { export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q --no-install-recommends postgresql >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && \
	      apt-get install -y -q --no-install-recommends postgresql >/dev/null; }; }

#: The unit tests that start a PostgreSQL cluster.
PG_UNIT := tests/unit/test_store_contract_postgres.py tests/unit/test_postgres_store.py \
	tests/unit/test_filter_pg.py

unit: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q tests/unit

integration: $(VENV)/.installed-test nginx
	$(BIN)/python -m pytest -q tests/integration

contract-tests: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q contract_tests

## ruff: lint and format check of the whole tree.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .

## mypy --strict on the core, the store, `scimdock check` and the mock's pure
## rules (scimdock/mock/rules/), as the installed package names them: a tree
## of links maps core/ and store/ under scimdock/, as setuptools does.
typecheck: $(VENV)/.installed-test
	rm -rf build/typecheck && mkdir -p build/typecheck/scimdock
	for f in scimdock/*; do ln -s "$(CURDIR)/$$f" build/typecheck/scimdock/; done
	for d in core handlers store openapi; do ln -s "$(CURDIR)/$$d" build/typecheck/scimdock/$$d; done
	cd build/typecheck && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml \
		-p scimdock.core -p scimdock.store -p scimdock.check -p scimdock.mock.rules

## Rewrite the User and Group schemas of openapi/scim.yaml from core/schema.py
## (tools/contract.py); commit the result (a unit test checks it is current).
contract: $(VENV)/.installed
	$(BIN)/python tools/contract.py

$(VENV)/.installed-bench: pyproject.toml requirements/bench.txt | $(VENV_STAMP)
	$(PIP) install --require-hashes -r requirements/bench.txt 2>&1 | $(QUIET_PIP)
	$(PIP) install --no-deps -e . 2>&1 | $(QUIET_PIP)
	@$(BIN)/python -c "import scim2_server, scimdock.app" && touch $@ $(VENV)/.installed-test $(VENV)/.installed

## Benchmarks with ratios against peers measured in the same run (docs/performance.md);
## never part of `make test`. BENCH_SECONDS=10 lengthens runs; BENCH_QUICK=1 skips 1M users.
## The Entra-like cycle runs on SQLite and PostgreSQL, 1 and 2 workers, then as a fleet
## of 20 tenants (2 clients each) on SQLite and PostgreSQL with 2 workers; a FAIL there
## still lets the noisy-neighbour figures run, then fails the target.
bench: $(VENV)/.installed-bench
	$(BIN)/python bench/run.py
	$(BIN)/python bench/groups.py
	status=0; $(BIN)/python bench/entra_cycle.py || status=$$?; \
	  BENCH_ENTRA_TENANTS=20 BENCH_ENTRA_CLIENTS=2 BENCH_ENTRA_GROUPS=10 \
	  BENCH_ENTRA_CONFIGS=sqlite:1,postgresql:2 $(BIN)/python bench/entra_cycle.py || status=$$?; \
	  $(BIN)/python bench/noisy.py || status=$$?; \
	  $(BIN)/python bench/journal_cost.py || status=$$?; \
	  $(BIN)/python bench/mock_seed.py || status=$$?; \
	  $(BIN)/python bench/sample_suite.py || status=$$?; exit $$status

## Refresh requirements/*.txt on purpose: the newest versions pyproject.toml
## allows, with hashes, for every platform (uv's universal resolution).
lock: | $(VENV_STAMP)
	$(PIP) install uv 2>&1 | $(QUIET_PIP)
	for set in run test bench; do \
	  case $$set in run) extras="";; test) extras="--extra test";; \
	                bench) extras="--extra test --extra bench";; esac; \
	  $(BIN)/uv pip compile -q --universal --generate-hashes --python-version 3.11 \
	    $$extras pyproject.toml -o requirements/$$set.txt; \
	done
	@echo "requirements/*.txt refreshed: run 'make test' before committing them"

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis
