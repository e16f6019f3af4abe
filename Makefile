# The two commands of the README, and their parts.
.PHONY: setup run test lint

setup:
	./scripts/setup.sh

# Set up, check questionnaire.yaml and do the main job: build the site into dist/.
run: setup
	manyi check
	manyi build

lint:
	ruff check .
	ruff format --check .
	mypy

# Set up, then lint, type-check and run the whole test suite.
test: setup lint
	python3 -m pytest
