#!/usr/bin/env bash
# Command 2: the whole test suite, against the real local services this script starts.
#   scripts/test.sh [pytest args...]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Tests always talk to the bundled Harmony emulator, whatever credentials .env holds.
export AERIS_HARMONY_MODE=emulator
# Harmony jobs that finish in 0.5 s (1.5 s otherwise): each gas-hour then waits one trigger poll, not
# two. Slow and stuck jobs are faults the tests switch on where they matter (slow_job, paused).
export AERIS_EMULATOR_JOB_SECONDS="${AERIS_EMULATOR_JOB_SECONDS:-0.5}"
# The suite's fixture hours are from 2024, and many load the near-real-time line, which NASA keeps 14
# days: the suite's emulators keep NRT granules for ever and the pipeline asks NRT whatever the hour's
# age. The tests of the window itself set NASA's 14 days (tests/e2e/test_product_lines.py).
export AERIS_EMULATOR_NRT_WINDOW_DAYS="${AERIS_EMULATOR_NRT_WINDOW_DAYS:-0}"
export AERIS_NRT_WINDOW_DAYS="${AERIS_NRT_WINDOW_DAYS:-0}"
bootstrap
ensure_bytecode
ensure_compose_cli
# Debian's Chromium: the browser test of the AERIS view drives it with Playwright (no browser download).
# Debian's libfaketime: the shifted clock of `make screenshots` (tests/deploy/test_timelapse_clock.py).
ensure_apt_packages chromium faketime
ensure_airflow
ensure_schema
cd "$AERIS_ROOT"
set +e
# Two pytest-xdist workers, each with its own databases, bucket and emulator (tests/support/worker_stack.py),
# each running whole files: alone, the suite kept one of the two cores busy, mostly waiting on Airflow.
# Files go out in the order tests/conftest.py sets (cluster file first, dag.test() files longest first).
# AERIS_TEST_WORKERS=0 runs everything in this one process, as before.
python -m pytest -n "${AERIS_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder "$@"
status=$?
# pytest exits 5 when it collected no test: that is a failure for this project, not a pass.
[ $status -eq 5 ] && echo "[aeris] error: pytest collected no tests" >&2
exit $status
