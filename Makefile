# The two commands a newcomer needs: `make run` and `make test`.
# Each creates (or reuses) .venv and installs what it needs first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck check flows-check flows-eval bench-questions bench-understanding bench-reading bench bench-engine bench-telegram bench-telegram-floor bench-slack bench-reminders bench-serve bench-web fuzz chat clean

RUN_STAMP := $(VENV)/.installed-run
PIP := $(BIN)/python -m pip --disable-pip-version-check

$(BIN)/python:
	@$(PY) -m venv $(VENV)

# Development: the project editable, with the test and lint tools (make test, make lint...).
$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $(STAMP)

# Running only: what the bot needs, no test tools, no editable install (setuptools warns about
# those); `python -m bot.cli` from here runs this checkout's code. A development install
# already has all of it.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@echo "kneecheck: first run, installing what it needs into $(VENV) (about a minute, once)"
	@if [ ! $(STAMP) -nt pyproject.toml ]; then \
		$(PIP) install --quiet --upgrade pip && $(PIP) install --quiet . ; fi
	@touch $(RUN_STAMP)

## run: start the bot (terminal chat and web chat when no Telegram/Slack token is configured)
run: $(RUN_STAMP)
	@$(BIN)/python -m bot.cli run

## test: lint, type-check, validate flows and run the whole suite
test: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy
	$(BIN)/kneecheck flows check
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

flows-check: $(STAMP)
	$(BIN)/kneecheck flows check

## flows-eval: recall per warning sign, false escalations, answers, every miss, on the corpus
flows-eval: $(STAMP)
	$(BIN)/kneecheck flows eval

## bench-questions: questions each kind of person answers, and how many triage added
bench-questions: $(STAMP)
	$(BIN)/python -m bench.questions

## bench-understanding: CPU per typed message over the corpus, at the length cap, and start-up
bench-understanding: $(STAMP)
	$(BIN)/python -m bench.understanding

## bench-reading: Flesch-Kincaid grade of every content string and of the golden replies
bench-reading: $(STAMP)
	$(BIN)/python -m bench.reading

## bench: conversation turns through Conversations on a real redis-server
bench: $(STAMP)
	$(BIN)/python -m bench.turns

## bench-engine: the pure engine alone, whole checks, CPU per turn
bench-engine: $(STAMP)
	$(BIN)/python -m bench.engine

## bench-telegram: webhook JSON in to Bot API requests out, against a PTB ConversationHandler reference
bench-telegram: $(STAMP)
	PTB_TIMEDELTA=true $(BIN)/python -m bench.telegram

## bench-telegram-floor: PTB's request stack alone per turn, and the import RSS of the required libraries
bench-telegram-floor: $(STAMP)
	PTB_TIMEDELTA=true $(BIN)/python -m bench.telegram_floor

## bench-slack: /kneecheck ack latency and button-press turns/s, against a plain bolt reference
bench-slack: $(STAMP)
	$(BIN)/python -m bench.slack

## bench-reminders: 100k reminders scheduled, Redis bytes per reminder, delivery at 30/s and unlimited
bench-reminders: $(STAMP)
	$(BIN)/python -m bench.reminders

## bench-serve: kneecheck serve as a process under Telegram webhook posts and Slack requests
bench-serve: $(STAMP)
	PTB_TIMEDELTA=true $(BIN)/python -m bench.serve

## bench-web: 200 web chat page clients (event stream + posts) through whole checks, turns/s and p99
bench-web: $(STAMP)
	$(BIN)/python -m bench.web

## fuzz: 10,000 hostile requests at a real kneecheck serve: no 5xx, no leaked data, nothing stored
fuzz: $(STAMP)
	PTB_TIMEDELTA=true $(BIN)/python -m bench.fuzz

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
