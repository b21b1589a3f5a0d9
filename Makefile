# Two commands: `make run` (the product) and `make test` (the suite). Both build or refresh .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0
# the browser tests drive Debian's chromium; installed once when missing (sudo unless root)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run run-ko chat test fuzz lint bench bench-index bench-load eval-banking77 eval-bitext eval-demo eval-korean clean install

install: $(STAMP)

# torch first, pinned, so that the CPU build is taken; then the project with its extras.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet $(TORCH)
	$(PIP) install --quiet -e '.[telegram,slack,dev]'
	$(PY) -m kb.onnx_embedder --int8  # the serving encoder (int8), exported once from the packaged weights
	$(PY) -m kb.onnx_embedder  # its fp32 export (embedding.quantize: false)
	$(PY) -m kb.use_encoder  # the multilingual encoder's word-piece table and lean vocabulary, saved once
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/aftercare run --demo

chat: $(STAMP)
	$(VENV)/bin/aftercare chat --demo

test: $(STAMP) lint
	command -v chromium >/dev/null || ($(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium)
	$(PY) -m pytest -q

# the property-based tests (tests/test_fuzz.py) at 20,000 inputs per property, 10^5 in all (CI runs 300 each)
fuzz: $(STAMP)
	AFTERCARE_FUZZ_EXAMPLES=20000 AFTERCARE_FUZZ_RANDOM=1 $(PY) -m pytest -q tests/test_fuzz.py

lint: $(STAMP)
	$(VENV)/bin/ruff check bot kb classifier handoff tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/pipeline_latency.py

# a million phrasings (IVF vs exact search) and the cold start with 10k cases; minutes, GBs of memory
bench-index: $(STAMP)
	nice -n 10 $(PY) bench/index_scale.py
	nice -n 10 $(PY) bench/index_scale.py --cold-start

# 64 concurrent conversations (web API + Telegram webhook) against 1 and 2 workers on PostgreSQL
bench-load: $(STAMP)
	nice -n 10 $(PY) bench/load.py

eval-banking77: $(STAMP)
	$(PY) bench/banking77.py --run

eval-bitext: $(STAMP)
	$(PY) bench/bitext.py --run

run-ko: $(STAMP)  # the demo with USE multilingual v3 for every message (make run routes Korean to it already)
	AFTERCARE_EMBEDDING__MODEL=use-multilingual-v3 $(VENV)/bin/aftercare run --demo

# the demo knowledge base against kb/demo/test.csv (55 messages: 37 questions, faults, uncovered) and
# kb/demo/test_ko.csv (55 Korean messages), in a fresh data dir, with the default configuration (the pair)
eval-demo: $(STAMP)
	d=$$(mktemp -d) && AFTERCARE_DATA_DIR=$$d $(VENV)/bin/aftercare kb import kb/demo/cases.csv >/dev/null && \
	  AFTERCARE_DATA_DIR=$$d $(VENV)/bin/aftercare eval kb/demo/test.csv && \
	  echo "-- Korean (kb/demo/test_ko.csv)" && \
	  AFTERCARE_DATA_DIR=$$d $(VENV)/bin/aftercare eval kb/demo/test_ko.csv; \
	  s=$$?; rm -rf $$d; exit $$s

# Korean figures per encoder design (the pair, USE alone, MiniLM+USE concatenated, MiniLM alone) on the demo
# KB and its English-only copy, Korean dev and test messages and the English test; tens of minutes
eval-korean: $(STAMP)
	nice -n 10 $(PY) bench/korean.py --designs pair,use,concat,minilm --kbs demo,en --files dev,test,en

clean:
	rm -rf $(VENV) var
