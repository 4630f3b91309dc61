#!/usr/bin/env bash
# `make unit`: the tests marked `unit` (pytest -m unit), with no service started and every service
# address pointing at a closed port, so a test that quietly needs PostgreSQL, Redis or S3 fails here.
#   scripts/unit.sh [pytest args...]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
closed="127.0.0.1:9"  # the discard port: nothing listens on it
export AERIS_DATABASE_URL="postgresql://nobody@$closed/none" AERIS_VIEW_DATABASE_URL="postgresql://nobody@$closed/none"
export REDIS_URL="redis://$closed/0" AERIS_S3_ENDPOINT_URL="http://$closed"
export AERIS_HARMONY_MODE=emulator AERIS_HARMONY_PORT=9 AERIS_HARMONY_DAAC_PORT=9
load_env
ensure_venv
activate_venv
unset AERIS_ADMIN_DATABASE_URL
cd "$AERIS_ROOT"
python -m pytest -m unit -p no:xdist "$@"
