#!/usr/bin/env bash
# The production setup of docs/DEPLOY.md §3, as commands: a Prefect server on PostgreSQL, the ledger on
# PostgreSQL, the process work pool, the seven deployments, one NetSuite limit per account, two workers.
# tests/e2e/test_production_setup.py runs this very file against a local PostgreSQL.
#
# Run it from the clone's root, in its environment (`uv sync && source .venv/bin/activate`):
#
#   PREFECT_API_DATABASE_CONNECTION_URL=postgresql+asyncpg://prefect:…@db:5432/prefect \
#   RETURNS_SYNC_LEDGER_URL=postgresql://returns_sync:…@db:5432/returns_sync \
#   NETSUITE_ACCOUNT_ID=1234567 NETSUITE_LIMIT=4 \
#   docs/deploy-local.sh
#
# NETSUITE_LIMIT: the requests in flight this integration may use of the account's concurrency limit
# (Setup → Integration → Integration Management → Integration Governance shows it, see
# https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/bridgehead_156224824287.html; leave room for
# other integrations). Each further NetSuite account needs its own limit: the gcl lines of step 3 with its id.
# The server and both workers stay in the foreground; Ctrl-C (or SIGTERM) stops all three.
set -euo pipefail

: "${PREFECT_API_DATABASE_CONNECTION_URL:?set it to the Prefect database: postgresql+asyncpg://USER:PASSWORD@HOST:5432/prefect}"
: "${RETURNS_SYNC_LEDGER_URL:?set it to the ledger database: postgresql://USER:PASSWORD@HOST:5432/returns_sync}"
: "${NETSUITE_ACCOUNT_ID:?set it to the NetSuite account id, e.g. 1234567 or 1234567_SB1}"
: "${NETSUITE_LIMIT:?set it to the requests in flight this integration may use of the account}"
PREFECT_HOST="${PREFECT_HOST:-127.0.0.1}"   # 0.0.0.0 when workers on other machines connect
PREFECT_PORT="${PREFECT_PORT:-4200}"
LOG_DIR="${RETURNS_SYNC_LOG_DIR:-.returns-sync/logs}"
export PREFECT_API_DATABASE_CONNECTION_URL RETURNS_SYNC_LEDGER_URL
export PREFECT_API_URL="http://127.0.0.1:${PREFECT_PORT}/api"
mkdir -p "$LOG_DIR"
trap 'exit 143' INT TERM
trap 'kill $(jobs -p) 2>/dev/null || true; wait' EXIT

# 1. The Prefect server on PostgreSQL (it migrates its schema as it starts).
prefect server start --host "$PREFECT_HOST" --port "$PREFECT_PORT" >"$LOG_DIR/prefect-server.log" 2>&1 &
for _ in $(seq 1 180); do
  python -c "import httpx, os, sys; sys.exit(httpx.get(os.environ['PREFECT_API_URL'] + '/health').status_code != 200)" 2>/dev/null && break
  sleep 1
done
python -c "import httpx, os; httpx.get(os.environ['PREFECT_API_URL'] + '/health').raise_for_status()"

# 2. The process work pool and the seven deployments of prefect.yaml (six on schedules, run-all on demand).
prefect work-pool create returns-sync --type process --overwrite
prefect --no-prompt deploy --all

# 3. One limit per NetSuite account, shared by every flow of every store on every worker. Stores whose
#    NetSuiteCredentials block has limit_across_workers on take a slot of it for each request.
limit_name="netsuite-$(printf '%s' "$NETSUITE_ACCOUNT_ID" | tr '[:upper:]_' '[:lower:]-')"
if prefect gcl inspect "$limit_name" >/dev/null 2>&1; then
  prefect gcl update "$limit_name" --limit "$NETSUITE_LIMIT"
else
  prefect gcl create "$limit_name" --limit "$NETSUITE_LIMIT"
fi

# configure: each store's blocks (docs/DEPLOY.md §1) must be saved before its first run, from any machine
# with PREFECT_API_URL set; the ledger's schema is created by the first run (RETURNS_SYNC_LEDGER_URL).

# 4. Two workers. They hand PREFECT_API_URL and RETURNS_SYNC_LEDGER_URL to every flow run they start.
#    On other machines run only this line there, from a clone at the same path.
for n in 1 2; do
  prefect worker start --pool returns-sync --name "$(hostname)-$n" >"$LOG_DIR/worker-$n.log" 2>&1 &
done
echo "Prefect server ${PREFECT_API_URL}, work pool returns-sync, limit ${limit_name}=${NETSUITE_LIMIT}, two workers; logs in ${LOG_DIR}"
wait
