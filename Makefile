# Set-up and checks. `make test` is the README's test command and what CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: install check test bench serve-demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# PDF summaries in Chinese need a CJK font (Debian's fonts-noto-cjk); the tests read PDFs back
# with poppler-utils. Both are installed here when missing and apt-get can; without the font a
# zh-cn summary fails with a message saying so.
install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@{ [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] && \
		command -v pdftotext >/dev/null; } || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y fonts-noto-cjk poppler-utils || \
		echo "note: PDF summaries in zh-cn need fonts-noto-cjk, their tests poppler-utils"

check: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: check
	$(BIN)/pytest -q

# The README's Performance figures (a few minutes; not part of CI). The Describe load needs
# wrk, Debian's package: installed here when missing and apt-get can.
bench: install
	@command -v wrk >/dev/null || apt-get install -y wrk || \
		{ echo "make bench needs wrk: apt-get install -y wrk"; exit 1; }
	$(BIN)/python -m bench

serve-demo: install
	$(BIN)/cdnexport serve --demo

clean:
	rm -rf $(VENV) cdnexport-data .pytest_cache .mypy_cache .ruff_cache
