#!/bin/sh
# A Huey consumer: run-worker.sh N. Consumer 1 also enqueues the periodic jobs (every minute's
# escalations, the nightly reminders, backups, the heartbeat); any other consumer only takes jobs
# off the queue (`--no-periodic`), or each periodic job would run once per consumer.
set -eu
n=${1:?usage: run-worker.sh N}
cd "$(dirname "$0")/.."
export SHEGONG_CONSUMER_NAME="${SHEGONG_CONSUMER_NAME:-worker-$n}"
PYTHON=${SHEGONG_PYTHON:-.venv/bin/python}
if [ "$n" = 1 ]; then
    exec "$PYTHON" manage.py run_huey
else
    exec "$PYTHON" manage.py run_huey --no-periodic
fi
