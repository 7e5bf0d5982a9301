# Two entry points: `make run` opens the app on the bundled sample tree, `make test` runs everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-lowest check lint bench bench-full clean fuzz docs docs-rules docs-reference

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kpitui

lint: $(STAMP)
	$(BIN)/ruff check kpitui tests benchmarks docs
	$(BIN)/ruff format --check kpitui tests benchmarks docs
	$(BIN)/mypy --strict kpitui
	$(BIN)/lint-imports

test: lint docs
	$(BIN)/pytest -q

# The smoke tests (tests/test_smoke.py) in a second venv holding the lowest versions pyproject.toml
# admits (uv's lowest-direct resolution): a minimum declared lower than what kpitui uses fails here.
LOWEST := .venv-lowest
test-lowest: $(STAMP)
	rm -rf $(LOWEST)
	UV_PYTHON_DOWNLOADS=never $(BIN)/uv venv --quiet --python $(PYTHON) $(LOWEST)
	VIRTUAL_ENV=$(LOWEST) $(BIN)/uv pip install --quiet --resolution lowest-direct -e '.[dev]'
	$(LOWEST)/bin/python -m pytest -q -p no:cacheprovider tests/test_smoke.py

# run.py runs every section (measurements included); bench-full adds 100k nodes and 10M rows.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/timetravel.py

bench-full: $(STAMP)
	$(BIN)/python benchmarks/run.py --full
	$(BIN)/python benchmarks/timetravel.py

clean:
	rm -rf $(VENV) $(LOWEST) .pytest_cache .mypy_cache .ruff_cache .site

# The mutation fuzzer, the edit-and-save fuzzer and the hang-up test at length (make test runs a few cases of each).
fuzz: $(STAMP)
	FUZZ_CASES=$${FUZZ_CASES:-5000} HANGUP_TRIES=$${HANGUP_TRIES:-50} HANGUP_NODES=$${HANGUP_NODES:-50000} \
		$(BIN)/pytest -q tests/cli/test_fuzz.py tests/core/test_edit_fuzz.py tests/tui/test_hangup.py

# The docs' page per finding code, from the rules registry (a test fails when they are out of date).
docs-rules: $(STAMP)
	$(BIN)/python -c "from kpitui.cli.rule import write_pages; write_pages('docs/rules')"

# The reference pages of the docs (tree format, command line, keys, config, exit codes) and the nav of
# the finding pages, from the code (a test fails when they are out of date).
docs-reference: $(STAMP)
	$(BIN)/python docs/gen_reference.py

# The docs site (mkdocs.yml), built strictly: a broken link or anchor, or a page left out of the nav,
# fails `make test`. Offline, in seconds. SITE=DIR builds it there instead of .site/.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $(or $(SITE),.site)
