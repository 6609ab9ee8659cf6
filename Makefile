# haochaping — `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help

help: ## Show this help
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "需要 Python 3.11（$(PY)）"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

# Browser libraries (ECharts) come from npm, pinned by the committed package-lock.json: `npm ci`
# installs exactly that, and the files the pages load are copied into the core app's static dir
# (git-ignored), where staticfiles and WhiteNoise find them; never a CDN, no network at run time.
# The target is the copied file itself, so a changed package.json or lockfile re-runs this step.
VENDOR := haochaping/core/static/vendor
ECHARTS := $(VENDOR)/echarts/echarts.min.js

$(ECHARTS): package.json package-lock.json
	@command -v npm >/dev/null || { echo "需要 Node.js（18 或以上）和 npm 来安装前端库 ECharts：请安装 nodejs 和 npm（Debian: apt-get install nodejs npm）后重试 make install" >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	mkdir -p $(VENDOR)/echarts
	cp node_modules/echarts/LICENSE node_modules/echarts/NOTICE $(VENDOR)/echarts/
	cp node_modules/echarts/licenses/LICENSE-d3 $(VENDOR)/echarts/LICENSE-d3
	cp node_modules/zrender/LICENSE $(VENDOR)/echarts/LICENSE-zrender
	cp node_modules/echarts/dist/echarts.min.js $@

install: $(STAMP) $(ECHARTS) ## Create .venv and install the project with dev tools; npm ci the browser libraries (ECharts)

demo: install ## Install, migrate, seed the demo district, serve on http://127.0.0.1:8000 with the job worker
	HAOCHAPING_DEMO=1 $(BIN)/haochaping migrate --noinput
	HAOCHAPING_DEMO=1 $(BIN)/haochaping seed-demo
	HAOCHAPING_DEMO=1 HAOCHAPING_SECURE_COOKIES=0 $(BIN)/haochaping serve --host 127.0.0.1 --port 8000 --with-worker

lint: install ## ruff lint + format check, import contracts (lint-imports), mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

migrations-check: install ## Fail if models changed without a migration
	HAOCHAPING_DEMO=1 $(BIN)/python manage.py makemigrations --check --dry-run

test-sqlite: install ## The whole suite on SQLite
	$(BIN)/pytest -q

test-postgres: install ## The whole suite on PostgreSQL ($$TEST_DATABASE_URL)
	@test -n "$(TEST_DATABASE_URL)" || { echo "TEST_DATABASE_URL is not set"; exit 1; }
	DATABASE_URL="$(TEST_DATABASE_URL)" $(BIN)/pytest -q

# Browser tests drive Debian's chromium (never a `playwright install` download) and need CJK fonts
# for readable screenshots; the QR-poster tests render the PDF (pdftoppm) and read its codes back
# (zbarimg). As root (CI, a fresh machine) `make test` installs them first.
browser-deps: ## Install Debian chromium, fonts-noto-cjk, poppler-utils, zbar-tools for the browser tests (as root; only if missing)
	@if [ -x /usr/bin/chromium ] && command -v pdftoppm >/dev/null && command -v zbarimg >/dev/null \
		&& { ! command -v dpkg >/dev/null || dpkg -s fonts-noto-cjk >/dev/null 2>&1; }; then \
		echo "browser-deps: chromium, fonts-noto-cjk, pdftoppm and zbarimg present"; \
	elif [ "$$(id -u)" = 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			chromium fonts-noto-cjk poppler-utils zbar-tools; \
	else \
		echo "浏览器测试需要 Debian 的 chromium 和 fonts-noto-cjk：请以 root 运行 make browser-deps" >&2; \
		echo "（或 sudo apt-get install chromium fonts-noto-cjk poppler-utils zbar-tools）；不装也可用 pytest -m 'not browser' 跳过浏览器测试。" >&2; \
		exit 1; \
	fi

# Root installs the browser first; others get a clear failure from the browser tests themselves.
BROWSER_DEPS := $(if $(filter 0,$(shell id -u)),browser-deps)

test: lint migrations-check $(BROWSER_DEPS) test-sqlite ## Lint, migrations check, browser deps (as root), suite on SQLite (and PostgreSQL if TEST_DATABASE_URL is set)
	@if [ -n "$(TEST_DATABASE_URL)" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

bench: install ## Intake benchmark (on demand, not in CI): real stack vs bare endpoint, SQLite and PostgreSQL
	$(BIN)/python bench/intake.py

bench-cpu: install ## CPU time per request in-process (app and PostgreSQL backend), real vs bare
	$(BIN)/python bench/cpu.py

bench-console: install ## Console pages cold (fresh process) and warm on the demo data (after `haochaping seed-demo`)
	HAOCHAPING_DEMO=1 $(BIN)/python bench/console.py

# ARGS: e.g. ARGS="--db sqlite", ARGS="--ratings 200000", ARGS="--keep" (reuse the generated database).
bench-analytics: install ## Analytics (on demand, not in CI): overview and unit ranking from rollups vs GROUP BY over 10M generated ratings
	$(BIN)/python bench/analytics.py $(ARGS)

# ARGS: e.g. ARGS="--records 100000", ARGS="--db postgres" (5 million), ARGS="--keep --pages outreach --roles supervisor".
bench-pages: install ## Every console page per role on a grown database (on demand, not in CI): SQLite 1 million records
	$(BIN)/python bench/pages.py $(ARGS)

bench-attribution: install ## Attribution of bad-rating texts: top-1 dimension accuracy on the labelled held-out and training parts
	$(BIN)/python bench/attribution.py $(ARGS)

# The schemathesis run of the suite (organizations/tests/test_api_schemathesis.py) with many examples
# per operation, against pytest-django's live server bound to 127.0.0.1, stopped after FUZZ_TIME seconds.
FUZZ_EXAMPLES ?= 300
FUZZ_TIME ?= 1800
fuzz: install ## Large schemathesis run of every API operation, signed (on demand; FUZZ_EXAMPLES per operation, FUZZ_TIME s at most)
	HAOCHAPING_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) timeout $(FUZZ_TIME) $(BIN)/pytest -q --liveserver=127.0.0.1 \
		haochaping/organizations/tests/test_api_schemathesis.py

format: install ## Apply ruff formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## Remove the venv, node_modules, the copied browser libraries and local data (var/)
	rm -rf $(VENV) node_modules $(VENDOR) var build *.egg-info

.PHONY: help install demo lint migrations-check browser-deps test-sqlite test-postgres test bench bench-cpu bench-console bench-analytics bench-pages bench-attribution fuzz format clean
