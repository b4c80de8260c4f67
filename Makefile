# SmartPay: every target installs what it needs first (scripts/bootstrap.sh is idempotent).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
SMARTPAY := $(VENV)/bin/smartpay
SERVICES := fraud routing payment chat webhooks rewards
export AWS_ENDPOINT_URL ?= http://127.0.0.1:4566
export AWS_REGION ?= us-east-1

.PHONY: install test test-unit test-shared test-infra test-e2e test-system test-package test-repo-unit $(addprefix test-,$(SERVICES)) \
        up down status demo scan-secrets chaos bench schemas events-tail clean package

install:
	@scripts/bootstrap.sh

## The README's test command: every package's tests, Terraform included (real applies against moto).
## Each package runs in its own pytest process, as its CI pipeline runs it (no state shared between
## separately versioned packages); the last line sums them up.
TEST_SUITES := shared/tests $(addprefix services/,$(SERVICES)) tests
## A failed suite's FAILED/ERROR lines are repeated at the end, so the last lines of a long log say which test failed.
test: install
	@failed=""; summary=$$(mktemp); log=$$(mktemp); for suite in $(TEST_SUITES); do \
	  echo "==> pytest $$suite"; $(PYTEST) -v --durations=10 $$suite 2>&1 | tee $$log; \
	  if [ "$${PIPESTATUS[0]}" != 0 ]; then failed="$$failed $$suite"; \
	    grep -E "^(FAILED|ERROR) " $$log | cut -c1-400 | sed "s|^|[$$suite] |" >> $$summary; fi; \
	done; rm -f $$log; \
	if [ -n "$$failed" ]; then cat $$summary; rm -f $$summary; echo "FAILED suites:$$failed"; exit 1; fi; \
	rm -f $$summary; echo "all test suites passed"

test-unit: install
	$(PYTEST) -q -m "not integration and not e2e"

test-shared: install
	$(PYTEST) -v shared/tests

test-infra: install
	$(PYTEST) -v tests/infra

test-e2e: install
	$(PYTEST) -v tests/e2e

## The whole stack in one job (.github/workflows/system.yml): e2e sagas, the security suite, the environment contract,
## the Lambda artifacts.
test-system: install
	$(PYTEST) -v tests/e2e tests/security tests/contract tests/package

## The Lambda artifacts alone: build every package, invoke every handler from its unpacked zip (docs/terraform.md, "Packages").
test-package: install
	$(PYTEST) -v tests/package

## The repository's own unit tests (bench, demo report, workflows' helpers).
test-repo-unit: install
	$(PYTEST) -v tests/unit

$(addprefix test-,$(SERVICES)): test-%: install
	$(PYTEST) -v services/$*/tests

## Self-contained Lambda artifacts from pinned wheels for the Lambda platform (docs/terraform.md, "Packages"):
## .local/build/package/<service>.zip (an image's zip holds its Dockerfile too: <service>/package/ is its build
## context), sizes in docs/lambda-packages.json. `make package SERVICE=<name>`: that service's only, nothing recorded
## (the deploy workflow's).
package: install
	$(PY) -m smartpay_shared.local.packaging $(if $(SERVICE),$(SERVICE),--record)

## Local stack on moto (127.0.0.1:4566): Terraform applied, workers, X-Ray relay, gateway (:8080).
up: install
	$(SMARTPAY) stack up

down:
	@if [ -x $(SMARTPAY) ]; then $(SMARTPAY) stack down; else echo "nothing to stop"; fi

status: install
	$(SMARTPAY) stack status

## The main job.
demo: install
	$(PY) scripts/demo.py
	$(PY) scripts/scan_secrets.py

## No card number and no gateway secret in logs, bus archive, queues, tables, index, buckets (stack up).
scan-secrets: install
	$(PY) scripts/scan_secrets.py

## Payments under random faults (open loop; CHAOS_ARGS="--payments 1000 --rate 5" for the scale run), then reconcile: docs/reliability.md, bench/results/chaos.json.
chaos: install
	$(PY) -m bench.chaos $(CHAOS_ARGS)

bench: install
	$(PY) -m bench

schemas: install
	$(PY) -m smartpay_shared.events.schemas

events-tail: install
	$(SMARTPAY) events tail

clean: down
	rm -rf .local
