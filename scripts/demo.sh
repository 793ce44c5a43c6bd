#!/usr/bin/env bash
# The README's demo: services, outbox table, relay, a sample writer, and a consumer printing
# what arrives in Kafka. Needs nothing but this clone; installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
ORDERS="${DEMO_ORDERS:-40}"

# shellcheck source=scripts/install.sh
. scripts/install.sh
install_dependencies
bash scripts/stack.sh up
set -a; . .stack/env; set +a
export OUTBOX_METRICS_PORT="${OUTBOX_METRICS_PORT:-9464}" OUTBOX_LOG_PRETTY=true
relay() { node --import tsx src/cli/main.ts "$@"; }

echo "== outbox-relay init --create-table"
relay init --create-table

echo "== starting the relay (log: .stack/demo-relay.log, metrics: http://127.0.0.1:${OUTBOX_METRICS_PORT}/metrics)"
# Not through relay(): $! must be node itself, so that the signals below reach it.
node --import tsx src/cli/main.ts run > .stack/demo-relay.log 2>&1 &
RELAY_PID=$!
trap 'kill "$RELAY_PID" 2>/dev/null || true' EXIT
# Ctrl-C or a SIGTERM must not leave the relay running: exit through the EXIT trap.
trap 'exit 130' INT TERM
for _ in $(seq 1 60); do
  relay status 2>/dev/null | grep -q '^streaming *yes' && break
  kill -0 "$RELAY_PID" 2>/dev/null || { cat .stack/demo-relay.log; exit 1; }
  sleep 0.5
done
relay status

SINCE=$(($(date +%s) * 1000))
echo "== a consumer prints each record: topic, partition, key, value, headers"
npx tsx scripts/demo/consumer.ts "$((ORDERS * 2))" "$SINCE" &
CONSUMER_PID=$!
echo "== the application places ${ORDERS} orders, each writing 2 outbox events in its transaction"
npx tsx scripts/demo/writer.ts "$ORDERS"
wait "$CONSUMER_PID"

echo "== stopping the relay (SIGTERM: drain, confirm, exit)"
kill -TERM "$RELAY_PID"
wait "$RELAY_PID" || true
trap - EXIT INT TERM
grep -E 'draining|stopped' .stack/demo-relay.log
# The server notices the closed connection a moment later.
for _ in $(seq 1 20); do relay status | grep -q '^streaming *no' && break; sleep 0.5; done
relay status
echo "== done. The stack keeps running: 'npm run stack -- down' stops it."
