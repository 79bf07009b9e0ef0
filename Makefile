# Two commands: `make run` (set up and serve with demo data on SQLite, the scheduler beside
# the app, emails readable at /dev/mailbox) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PORT
export FLASK_APP := wsgi.py

.PHONY: run test setup assets install db demo browser-test clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

lms/static/build/app.css: node_modules/.package-lock.json lms/static/src/app.scss
	npm run --silent build

install: $(BIN)/activate
assets: lms/static/build/app.css
setup: install assets

db: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask lms seed
	$(BIN)/flask lms courses sync

demo: db
	$(BIN)/flask lms demo-data --if-empty

# The web app and the scheduler together (lms/devserver.py); Ctrl-C stops both.
run: demo
	$(BIN)/python -m lms.devserver

# The layers contract first (a second or two), then every test, two at a time (pytest-xdist:
# one process per core, each file's tests kept together, each process with its own database).
PYTEST_ARGS ?= -n 2 --dist loadfile
test: setup
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules lms/static/build instance/lms.sqlite
