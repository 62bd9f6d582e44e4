# The single entry point: every job a developer or CI runs starts here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LAMBDA_PYTHON_VERSION := 3.13
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := 1
export CDK_DISABLE_VERSION_CHECK := 1
export AWS_PORT ?= 4566
export API_PORT ?= 3000
export CDN_PORT ?= 8080
CDK := npx --no-install cdk --no-notices
# Locally, as on AWS, short links start at the CDN (localcloud serves the distribution there).
CDK_LOCAL := -c local=true -c short_base_url=http://127.0.0.1:$(CDN_PORT)

# `make synth|deploy|diff|bootstrap STAGE=prod CONTEXT="email_sender=no-reply@example.org k=v"`:
# the stage is one of cdk.json's context.stages; each CONTEXT pair becomes `-c k=v` (values
# without spaces), and any context key may be given so, a stage's own settings included.
STAGE ?= dev
CONTEXT ?=
CDK_STAGE_GOALS := synth deploy diff bootstrap
ifeq ($(origin ARGS),command line)
$(error ARGS is not read by this Makefile: use STAGE=<stage> and CONTEXT="k=v ..." (make synth STAGE=prod CONTEXT="alarm_email=ops@example.com"))
endif
ifneq ($(filter $(CDK_STAGE_GOALS),$(MAKECMDGOALS)),)
STAGES := $(shell $(PYTHON) -c 'import json; print(" ".join(json.load(open("cdk.json"))["context"]["stages"]))')
ifneq ($(words $(STAGE)),1)
$(error STAGE="$(STAGE)": give one stage of cdk.json's context.stages: $(STAGES))
endif
ifeq ($(filter $(STAGE),$(STAGES)),)
$(error unknown STAGE=$(STAGE): cdk.json's context.stages has $(STAGES))
endif
CONTEXT_NOT_PAIRS := $(strip $(foreach item,$(CONTEXT),$(if $(findstring =,$(item)),$(filter =%,$(item)),$(item))))
ifneq ($(CONTEXT_NOT_PAIRS),)
$(error CONTEXT="$(CONTEXT)": every item must be k=v, space-separated (not: $(CONTEXT_NOT_PAIRS)))
endif
ifneq ($(filter stage=%,$(CONTEXT)),)
$(error CONTEXT sets the stage: use STAGE=$(patsubst stage=%,%,$(firstword $(filter stage=%,$(CONTEXT)))) instead)
endif
endif
CDK_CONTEXT := -c stage=$(STAGE) $(foreach pair,$(CONTEXT),-c $(pair))

.PHONY: help setup run test test-unit test-infra test-integration lint format synth synth-local layer bench bootstrap deploy diff openapi clean

help:
	@echo "make run      set up, then serve the whole stack locally (CDN on :$(CDN_PORT), API on :$(API_PORT), AWS on :$(AWS_PORT))"
	@echo "             CONTEXT=\"k=v ...\" adds context to its synthesis, e.g. make run CONTEXT=\"waf=true\""
	@echo "make test     set up, then lint and run every test"
	@echo "make synth    synthesize the stack (offline);  make deploy  deploy it;  make diff  compare"
	@echo "make bootstrap  prepare the AWS account and region for CDK deployments (once)"
	@echo "             (all four: STAGE=dev|prod, CONTEXT=\"k=v ...\": each pair is a -c k=v of cdk context)"
	@echo "             context: email_sender (required for deploys) email_identity=address|domain|external"
	@echo "                      alarm_email short_base_url webhook_retry_delays_seconds=[30,120]"
	@echo "                      and a stage's own: redirect_cache_ttl_seconds throttle_rate_limit"
	@echo "                      throttle_burst_limit redirect_throttle_rate_limit"
	@echo "                      redirect_throttle_burst_limit retain_data log_retention_days"
	@echo "                      plans='{\"free\":{\"rate\":10,\"burst\":20,\"quota_per_day\":10000},...}'"
	@echo "                      clicks: click_retention_days click_batch_size click_batching_window_seconds"
	@echo "                      webhooks: webhook_disable_after={\"failing_for_seconds\":432000,\"failures\":1}"
	@echo "                      short domain: domain_name certificate_arn (ACM, us-east-1) [hosted_zone_id]"
	@echo "                      WAF: waf=true|false (on in prod; needs us-east-1) waf_redirect_rate_limit"
	@echo "                      waf_api_rate_limit waf_evaluation_window_seconds=60|120|300|600"
	@echo "             e.g. make deploy STAGE=prod CONTEXT=\"email_sender=no-reply@example.org alarm_email=ops@example.org\""
	@echo "make bench    run the benchmarks and write docs/benchmarks.md"

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	# The shortener-ops command (pyproject.toml's [project.scripts]), usable from any folder.
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The Dependencies layer: requirements.txt built for the Lambda runtime, not for this machine.
build/layer-deps/.installed: requirements.txt $(VENV)/.installed
	rm -rf build/layer-deps && mkdir -p build/layer-deps/python
	$(PY) -m pip install --quiet --target build/layer-deps/python \
		--platform manylinux2014_x86_64 --implementation cp --only-binary=:all: \
		--python-version $(LAMBDA_PYTHON_VERSION) -r requirements.txt
	# The Lambda runtime ships the AWS SDK; a second copy would only grow every cold start.
	cd build/layer-deps/python && rm -rf boto3 boto3-* botocore botocore-* s3transfer s3transfer-* bin
	touch $@

setup: $(VENV)/.installed node_modules/.installed build/layer-deps/.installed

layer: build/layer-deps/.installed

synth: setup
	$(CDK) synth --quiet $(CDK_CONTEXT)

synth-local: setup
	$(CDK) synth --quiet $(CDK_LOCAL)

run: setup
	$(PY) -m localcloud --aws-port $(AWS_PORT) --api-port $(API_PORT) --cdn-port $(CDN_PORT) \
		$(foreach pair,$(CONTEXT),--context $(pair))

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .

format: $(VENV)/.installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

test: setup lint
	$(PY) -m pytest

test-unit: setup
	$(PY) -m pytest tests/unit

test-infra: setup
	$(PY) -m pytest tests/infra

test-integration: setup
	$(PY) -m pytest tests/integration

openapi: setup
	$(PY) -m tools.openapi > docs/openapi.json

bench: setup
	$(PY) -m bench

# `cdk bootstrap` synthesizes the app to find its environment: it needs the same context.
bootstrap: setup
	$(CDK) bootstrap $(CDK_CONTEXT)

deploy: setup
	$(CDK) deploy --all $(CDK_CONTEXT)

diff: setup
	$(CDK) diff --all $(CDK_CONTEXT)

clean:
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache
