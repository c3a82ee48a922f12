# Two commands for a fresh machine (Python 3.10+ and make): `make demo` and `make test`.
VENV  := .venv
BIN   := $(VENV)/bin
# torchvision is the oracle of the zoo's torchvision networks (tests only), pinned with its torch
TORCH := torch==2.13.0 torchvision==0.28.0

.PHONY: demo test lint bench fuzz clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH) -e '.[all,test,lint]'
	touch $@

demo: $(VENV)/.installed  ## install into .venv and print the VGG-16 report
	$(BIN)/netspec report specs/vgg16.yaml

test: lint  ## install into .venv if needed, lint, and run the whole test suite
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed  ## ruff, mypy and the import contracts (the suite runs the contracts too)
	$(BIN)/ruff check netspec tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(VENV)/.installed  ## speed benchmarks, printing ratios against baselines from the same run
	$(BIN)/python benchmarks/run.py

fuzz: $(VENV)/.installed  ## a longer fuzzing campaign (minutes, seeded): counts by outcome, docs/fuzzing.md
	$(BIN)/python -m tests.fuzz.campaign --seed 0

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
