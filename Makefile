# The two commands of the README: `make run` and `make test`. Everything else helps them.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test browser-deps lint check-imports openapi check-openapi bench setup demo clean

$(PY):
	@py=$$(command -v python$(PYTHON_VERSION) || true); \
	if [ -z "$$py" ] && command -v pyenv >/dev/null; then py=$$(pyenv root)/versions/$$(pyenv versions --bare | grep "^$(PYTHON_VERSION)" | tail -n1)/bin/python; fi; \
	if [ -z "$$py" ] || [ ! -x "$$py" ]; then py=$$(command -v python3); fi; \
	"$$py" -c 'import sys; assert sys.version_info >= (3, 12), "Python >= 3.12 is required, found " + sys.version' && \
	"$$py" -m venv $(VENV)

$(STAMP): $(PY) requirements/base.txt requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes \
		-r requirements/base.txt -r requirements/dev.txt
	@touch $(STAMP)

setup: $(STAMP)
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null 2>&1 || true
	$(PY) manage.py load_reference_data
	$(PY) manage.py ensure_oidc_key --verbosity 0

demo: setup
	$(PY) manage.py populate_demo
	$(PY) manage.py register_sample_rp

run: demo
	@$(PY) manage.py demo_logins
	$(VENV)/bin/honcho start -f Procfile

# The browser tests drive Debian's Chromium and need CJK fonts to render Chinese.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends chromium fonts-noto-cjk fonts-wqy-microhei >/dev/null; \
		else echo "install chromium and fonts-noto-cjk (as root) for the browser tests"; exit 1; fi; \
	fi

test: $(STAMP) browser-deps
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-imports: $(STAMP)
	cd src && ../$(VENV)/bin/lint-imports ../pyproject.toml

openapi: $(STAMP)
	ZHENGWU_DEBUG=true $(PY) manage.py export_openapi > docs/openapi/v1.json

check-openapi: $(STAMP)
	ZHENGWU_DEBUG=true $(PY) manage.py export_openapi | diff -u docs/openapi/v1.json - && echo "OpenAPI document is up to date"

bench: $(STAMP)
	$(PY) -m pytest bench --benchmark-only -p no:randomly

clean:
	rm -rf $(VENV) var
