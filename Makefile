# Entry points. Each target installs what it needs (apt packages, .venv, local services) first.
# See README.md; the scripts under scripts/ do the work.
.PHONY: help run events test unit ui ui-stop bench soak screenshots setup stack status stop airflow-cfg lint

help:           ## this list of targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:[^#]*## /\t/' | expand -t 16

run:            ## command 1: the hourly DAG once, end to end, on the local stack
	@bash scripts/run_hourly.sh

events:         ## the event path once: CMR's messages on the local SQS start aeris_tempo_events (emulator, local S3)
	@bash -c 'source scripts/lib.sh && bootstrap && ensure_airflow && ensure_schema && \
	  { [ "$$AERIS_HARMONY_MODE" = emulator ] && [ "$$AERIS_LOCAL_S3" = 1 ] || \
	    { echo "make events needs the emulator and the local S3 server (its SQS)" >&2; exit 2; }; } && \
	  python -m scripts.event_path'

test:           ## command 2: the whole test suite against real PostGIS, Redis, S3 and the Harmony emulator
	@bash scripts/test.sh

unit:           ## the tests that need no service (pytest -m unit), in under a minute
	@bash scripts/unit.sh

ui:             ## the Airflow UI with this project's DAGs, plugins and connections
	@bash scripts/ui.sh start

ui-stop:        ## stop the Airflow UI processes
	@bash scripts/ui.sh stop

bench:          ## benchmarks on the local stack (docs/measurements.md); BENCH_ARGS=--smoke runs each one small
	@bash -c 'source scripts/lib.sh && bootstrap && ensure_airflow && ensure_schema && python -m scripts.bench $(BENCH_ARGS)'

soak:           ## simulated days of production through the real scheduler, invariants checked; SOAK_ARGS="--days 3" or "--short"
	@bash -c 'source scripts/lib.sh && bootstrap && ensure_airflow && ensure_schema && python -m scripts.soak $(SOAK_ARGS)'

screenshots:    ## the README's pictures after days of hourly runs on a stack whose clock is set back (SHOTS_ARGS="--days 3")
	@bash scripts/timelapse.sh $(SHOTS_ARGS)

setup:          ## system packages + .venv only
	@bash -c 'source scripts/lib.sh && load_env && ensure_apt_packages && ensure_venv'

stack:          ## start PostGIS, Redis, S3 (moto) and the Harmony emulator
	@bash -c 'source scripts/lib.sh && bootstrap'

status:         ## what runs: the local services and the UI
	@bash scripts/stack.sh status; bash scripts/ui.sh status

stop:           ## stop the Airflow UI processes and the local services
	@bash scripts/ui.sh stop; bash scripts/stack.sh stop

airflow-cfg:    ## render airflow.cfg.template into airflow.cfg for a deployment (see README)
	@python3 scripts/render_airflow_cfg.py --output airflow.cfg

lint:           ## ruff check and format check
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .
