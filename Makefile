# The two commands of the README, and their parts.
.PHONY: setup run test lint mutation

setup:
	./scripts/setup.sh

# Set up, check questionnaire.yaml, build the site into dist/ and serve it with the collector
# on http://127.0.0.1:8000/ (submissions in data/; Ctrl-C stops).
run: setup
	manyi check
	manyi build
	manyi serve

# checkov lives in its own virtualenv (scripts/setup.sh makes it): it pins an old boto3.
CHECKOV ?= .tools/checkov/bin/checkov

lint:
	ruff check .
	ruff format --check .
	mypy
	cfn-lint infra/template.yaml
	$(CHECKOV) --file infra/template.yaml --framework cloudformation --quiet --compact \
		--skip-download

# Set up, then lint, type-check and run the whole test suite.
test: setup lint
	python3 -m pytest

# Mutation testing of the office's figures (docs/testing.md): slow (7 to 15 minutes on two quiet
# cores), so not part of `make test`. Needs `pip install -e '.[mutation]'`.
MUTMUT ?= mutmut
MUTATION_TARGET ?= 0.97

mutation:
	rm -rf mutants
	$(MUTMUT) run --max-children 2
	$(MUTMUT) results --all true | python3 scripts/mutation_score.py --target $(MUTATION_TARGET)
