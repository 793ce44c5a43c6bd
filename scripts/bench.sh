#!/usr/bin/env bash
# `npm run bench [-- --quick]`: builds the relay, makes sure the stack runs, fetches Debezium Server
# into .stack/debezium (git-ignored), then runs bench/run.ts, which starts the schema
# registry (`stack.sh registry-up`) itself when the Avro row is selected. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=bench/.work
mkdir -p "$WORK"

# shellcheck source=scripts/install.sh
. scripts/install.sh
install_dependencies
[ -f .stack/env ] || bash scripts/stack.sh up
npm run --silent build

# Debezium Server 3.x and a Java 21 runtime for it (scripts/stack/debezium.sh); a failure here only
# skips the Debezium baseline.
bash scripts/stack.sh debezium-fetch >/dev/null ||
  echo "bench: could not fetch Debezium Server or its Java runtime; the Debezium baseline will be skipped" >&2

exec node --import tsx bench/run.ts "$@"
