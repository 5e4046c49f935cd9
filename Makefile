# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

CELERY := $(VENV)/bin/celery -A socrates
BEAT_SCHEDULE := .data/celery/beat-schedule

.PHONY: run serve worker beat test e2e fuzz db db-stop broker broker-stop migrate lint format bench \
	bench-online bench-capacity wrk cluster-test debian-servers

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(INSTALLED)

.env: | $(INSTALLED)
	$(PY) -c "import secrets, pathlib; text = pathlib.Path('.env.example').read_text(); \
	pathlib.Path('.env').write_text(text.replace('SECRET_KEY=change-me', 'SECRET_KEY=' + secrets.token_urlsafe(50)))"
	@echo "created .env from .env.example"

## Start the embedded PostgreSQL unless DATABASE_URL_AUTH and DATABASE_URL_SPECS are set.
db: $(INSTALLED) .env
	$(PY) -m socrates.embedded_postgres ensure

db-stop: $(INSTALLED)
	$(PY) -m socrates.embedded_postgres stop

## Start the embedded Redis (Celery's broker, under .data/redis/) unless CELERY_BROKER_URL is set.
broker: $(INSTALLED) .env
	$(PY) -m socrates.embedded_redis ensure

broker-stop: $(INSTALLED)
	$(PY) -m socrates.embedded_redis stop

migrate: db
	$(PY) manage.py run_migrations_safe

## Development server on http://127.0.0.1:8000/ (admin at /admin/), with a Celery worker and
## beat beside it, their lines on the same terminal; Ctrl-C stops the three.
run: migrate broker
	@mkdir -p $(dir $(BEAT_SCHEDULE))
	@trap 'kill $$worker $$beat 2>/dev/null; wait' EXIT INT TERM; \
	$(CELERY) worker $(WORKER_ARGS) & worker=$$!; \
	$(CELERY) beat --schedule $(BEAT_SCHEDULE) $(BEAT_ARGS) & beat=$$!; \
	$(PY) manage.py runserver 127.0.0.1:8000

## A Celery worker alone (WORKER_ARGS goes to `celery worker`: "--concurrency 4"), and beat alone:
## run exactly one beat per deployment, or each periodic task is sent once per beat.
worker: db broker
	$(CELERY) worker $(WORKER_ARGS)

beat: db broker
	@mkdir -p $(dir $(BEAT_SCHEDULE))
	$(CELERY) beat --schedule $(BEAT_SCHEDULE) $(BEAT_ARGS)

## The app as in production (DEBUG off): migrations, then gunicorn with socrates/gunicorn.conf.py,
## which collects the static files first; SERVE_ARGS goes to gunicorn ("--bind 0.0.0.0:8000 -w 4").
serve: export DEBUG ?= false
serve: migrate broker
	$(VENV)/bin/gunicorn --config socrates/gunicorn.conf.py $(SERVE_ARGS)

# A failed password check spends bcrypt work at the legacy cost (12 by default):
# the suite counts that work (tests/accounts/test_hashers.py) and needn't wait
# for it, as Django's docs advise faster hashers in tests.
test e2e fuzz: export LEGACY_BCRYPT_ROUNDS ?= 4

# pytest exits 5 when it collected no test: that is a failure here.
pytest = $(PY) -m pytest $(1); status=$$?; \
	if [ $$status -eq 5 ]; then echo "ERROR: pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

## The whole test suite, with a short fuzzing run of every API operation, on every core.
test: db broker
	@$(call pytest,--ignore=tests/e2e --ignore=tests/topology --numprocesses auto $(PYTEST_ARGS))

## Browser tests: Playwright drives Debian's chromium against the app under gunicorn.
e2e: db
	@$(call pytest,tests/e2e $(PYTEST_ARGS))

## The deployment as real processes (two primaries and their standbys, PgBouncers, Redis,
## two gunicorn nodes behind HAProxy), with parts killed under load; prints each scenario's counts.
cluster-test: export LEGACY_BCRYPT_ROUNDS ?= 4
cluster-test: db debian-servers
	@$(call pytest,tests/topology -p no:randomly -p no:logging -s $(PYTEST_ARGS))

# Debian's PgBouncer and HAProxy, which the pooled CI leg and the topology test start.
debian-servers:
	@[ -x /usr/sbin/pgbouncer ] && [ -x /usr/sbin/haproxy ] || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
		$$SUDO apt-get install -y -qq pgbouncer haproxy >/dev/null || \
		{ $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq pgbouncer haproxy >/dev/null; }; }

## A long fuzzing run of every API operation (schemathesis), FUZZ_EXAMPLES each.
fuzz: export FUZZ_EXAMPLES ?= 1000
fuzz: db broker
	@$(call pytest,tests/fuzz $(PYTEST_ARGS))

# The benchmark's extras beside the project's packages, and the legacy peer's own virtualenv.
PEER_VENV := .venv-peer
$(VENV)/.bench-installed: bench/requirements.txt | $(INSTALLED)
	$(PY) -m pip install --quiet -r bench/requirements.txt
	touch $@

$(PEER_VENV)/.installed: bench/peers/legacy/requirements.txt
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet --upgrade pip
	$(PEER_VENV)/bin/pip install --quiet -r bench/peers/legacy/requirements.txt
	touch $@

# wrk from Debian's packages when it can be installed; otherwise bench.web.load
# falls back to its Python load generator.
wrk:
	@command -v wrk >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
		$$SUDO apt-get install -y -qq wrk >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -qq >/dev/null 2>&1 && $$SUDO apt-get install -y -qq wrk >/dev/null 2>&1; } || \
		echo "wrk could not be installed: the Python load generator will drive the servers"; }

## The web benchmark: this project, its legacy peer and a raw floor (bench/results/latest.md).
bench: db wrk $(VENV)/.bench-installed $(PEER_VENV)/.installed
	$(PY) -m bench $(BENCH_ARGS)

## A migration under load, safe form against unsafe (bench/results/online_migration.md).
bench-online: db wrk $(VENV)/.bench-installed
	$(PY) -m bench.online_migration

## What each route costs under load, and a standby's lag (bench/results/capacity.md;
## docs/SCALING.md). A PostgreSQL cluster of its own, and Debian's pgbouncer.
bench-capacity: $(INSTALLED) .env wrk debian-servers $(VENV)/.bench-installed
	$(PY) -m bench.capacity $(CAPACITY_ARGS)

## ruff, and squawk on every migration's SQL (sqlmigrate needs the databases).
lint: db
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py lint_migrations

format: $(INSTALLED)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
