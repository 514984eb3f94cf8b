# Mediation Hub — the commands the README names. `make run` serves the app; `make test` runs every test.
PY ?= python3
VENV = .venv
BIN = $(VENV)/bin
PYTHON = $(BIN)/python
STAMP = $(VENV)/.installed-requirements
STAMP_DEV = $(VENV)/.installed-requirements-dev
DEBIAN_TEST_PACKAGES = chromium fonts-noto-cjk zbar-tools nginx
PYTEST_ARGS ?=
# test processes (pytest-xdist), one per core; a module stays in one process, so its fixtures are built once
PYTEST_WORKERS ?= auto
ARGS ?=

ifdef TEST_DATABASE_URL
export TEST_DATABASE_URL
endif
export PIP_DISABLE_PIP_VERSION_CHECK = 1

.DEFAULT_GOAL := help
.PHONY: help venv install run test-deps test lint fmt lock bench screenshots

help:
	@echo "make run          install, migrate, seed demo data when empty, print demo sign-ins, serve on 127.0.0.1:8501"
	@echo "make test         dev deps + Debian chromium/fonts/zbar when missing, then lint, then the whole suite"
	@echo "                  (PostgreSQL too when TEST_DATABASE_URL is set; extra pytest options: PYTEST_ARGS=...)"
	@echo "make lint         ruff check, ruff format --check, mypy"
	@echo "make fmt          ruff format and safe ruff fixes"
	@echo "make lock         requirements*.txt -> requirements.lock, requirements-dev.lock (every package, hashed)"
	@echo "make bench        python bench/run.py"
	@echo "make screenshots  phone screenshots into artifacts/screenshots (ARGS='/ /board --user U --password P')"

$(PYTHON):
	$(PY) -m venv $(VENV)

venv: $(PYTHON)

# Installs come from the locks, every package pinned with its hashes; the stamps make pip run again only when a
# lock changes. requirements*.txt pin what the code imports; `make lock` resolves them into the locks.
$(STAMP): requirements.lock | $(PYTHON)
	$(PYTHON) -m pip install -q --require-hashes -r requirements.lock
	@touch $@

install: $(STAMP)

$(STAMP_DEV): requirements-dev.lock | $(PYTHON)
	$(PYTHON) -m pip install -q --require-hashes -r requirements-dev.lock
	@touch $@ $(STAMP)

# Resolved against the public index alone (this machine's pip config and extra wheel folders are ignored), so the
# locks install on a fresh machine. Pins already in a lock stay; the runtime set is the same in both locks.
PIP_COMPILE = env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile -q --no-config \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

lock: $(STAMP_DEV)
	$(PIP_COMPILE) -o requirements.lock requirements.txt
	$(PIP_COMPILE) -c requirements.lock -o requirements-dev.lock requirements-dev.txt

run: install
	$(PYTHON) manage.py ensure-secrets
	$(PYTHON) manage.py init-db
	$(PYTHON) manage.py seed-demo --if-empty --cases 2000
	$(PYTHON) manage.py demo-logins
	exec $(BIN)/python serve.py --server.address 127.0.0.1 --server.port 8501

# Browser tests need Debian's Chromium, CJK fonts (screenshots) and zbarimg (QR decoding); tests/deploy needs nginx.
test-deps: $(STAMP_DEV)
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	command -v zbarimg >/dev/null 2>&1 || missing="$$missing zbar-tools"; \
	{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 || missing="$$missing nginx"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then \
		echo "installing Debian packages:$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -q && apt-get install -y -q $$missing; \
	else \
		echo "NOTE: missing Debian packages:$$missing"; \
		echo "      install them as root (apt-get install -y$$missing); until then the browser tests are skipped"; \
	fi

test: test-deps lint
	$(PYTHON) -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP_DEV)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP_DEV)
	$(PYTHON) bench/run.py $(ARGS)

screenshots: test-deps
	$(PYTHON) -m scripts.screenshots $(ARGS)
