#!/usr/bin/env bash
# `npm test`: lint, typecheck, then every vitest project against real PostgreSQL and Kafka.
# Services: DATABASE_URL and KAFKA_BROKERS if both are set, else containers if a Docker engine answers
# (test/support/global-setup.ts), else the local stack (scripts/stack.sh up), which is left running.
# Extra arguments go to vitest, e.g. `npm test -- test/integration/delivery.test.ts`.
# Ends with the line `tests: N passed, M failed[, K skipped]` and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

step() { printf '\n== %s\n' "$*"; }
since() { echo "$((SECONDS - $1))s"; }

# shellcheck source=scripts/install.sh
. scripts/install.sh
if dependencies_outdated; then
  step 'npm ci'
  install_dependencies || exit 1
fi

failed_checks=()
step 'lint: biome check .'
npx biome check . || failed_checks+=(lint)
step 'typecheck: tsc --noEmit'
npx tsc -p tsconfig.json --noEmit || failed_checks+=(typecheck)

if [[ -z ${DATABASE_URL:-} || -z ${KAFKA_BROKERS:-} ]] && ! timeout 15 docker info >/dev/null 2>&1; then
  step 'local stack: scripts/stack.sh up'
  bash scripts/stack.sh up || exit 1
  set -a
  # shellcheck source=/dev/null
  . .stack/env
  set +a
fi

step 'vitest'
mkdir -p .stack
results=.stack/vitest-results.json
rm -f "$results" .stack/fault-summary.jsonl
start=$SECONDS
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
vitest_status=$?
echo "vitest finished in $(since "$start")"

npx tsx scripts/fault-summary.ts
((${#failed_checks[@]} == 0)) || echo "failed before the tests: ${failed_checks[*]}"
# A file that fails outside its tests (import error, failing beforeAll) counts as one failed test.
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const fs = require("node:fs");
  const file = process.argv[1];
  if (!fs.existsSync(file)) {
    console.log(`vitest wrote no ${file}`);
    console.log("tests: 0 passed, 1 failed");
    process.exit(0);
  }
  const r = JSON.parse(fs.readFileSync(file, "utf8"));
  const brokenFiles = r.testResults.filter(
    (f) => f.status === "failed" && !f.assertionResults.some((t) => t.status === "failed"),
  ).length;
  const skipped = r.numPendingTests + r.numTodoTests;
  const failed = r.numFailedTests + brokenFiles;
  console.log(`tests: ${r.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results"

if ((vitest_status != 0)); then exit "$vitest_status"; fi
((${#failed_checks[@]} == 0)) || exit 1
