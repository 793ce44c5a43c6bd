#!/usr/bin/env bash
# `npm test`: lint, typecheck, the import floors, then every vitest project against real PostgreSQL and Kafka.
# Services: DATABASE_URL and KAFKA_BROKERS if both are set, else containers if a Docker engine answers
# (test/support/global-setup.ts), else the local stack (scripts/stack.sh up), which is left running.
# Extra arguments go to vitest, e.g. `npm test -- test/integration/delivery.test.ts`.
# On the local stack, a run without arguments then runs PG_MATRIX_TESTS on PostgreSQL 16, 17 and 18 too
# (server binaries from Maven Central; PG_MATRIX_VERSIONS overrides the list), and leaves Debian's running.
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
step 'imports: no import in src/ runs upward or in a loop (scripts/check-imports.ts)'
node --import tsx scripts/check-imports.ts || failed_checks+=(imports)

local_stack=false
if [[ -z ${DATABASE_URL:-} || -z ${KAFKA_BROKERS:-} ]] && ! timeout 15 docker info >/dev/null 2>&1; then
  local_stack=true
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
rm -f .stack/vitest-results*.json .stack/fault-summary.jsonl
start=$SECONDS
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
vitest_status=$?
echo "vitest finished in $(since "$start")"

# The version matrix: what depends on the server (decoding, slots, failover) on each other version.
PG_MATRIX_TESTS=(
  test/integration/delivery.test.ts test/integration/crash.test.ts test/integration/idle-outbox.test.ts
  test/integration/bad-input.test.ts test/integration/failover-slots.test.ts test/faults/postgres-failover.test.ts
  test/faults/postgres-async-failover.test.ts
)
if $local_stack && (($# == 0)); then
  for version in ${PG_MATRIX_VERSIONS:-16 17 18}; do
    step "PostgreSQL $version: ${PG_MATRIX_TESTS[*]}"
    start=$SECONDS
    if ! STACK_PG_VERSION=$version bash scripts/stack.sh up; then
      echo "could not start PostgreSQL $version"
      vitest_status=1
      continue
    fi
    set -a
    # shellcheck source=/dev/null
    . .stack/env
    set +a
    npx vitest run --project integration --reporter=default --reporter=json \
      --outputFile.json=".stack/vitest-results-pg$version.json" "${PG_MATRIX_TESTS[@]}" || vitest_status=$?
    echo "PostgreSQL $version finished in $(since "$start")"
  done
  step "local stack: back to Debian's PostgreSQL"
  STACK_PG_VERSION='' bash scripts/stack.sh up || vitest_status=1
fi

npx tsx scripts/fault-summary.ts
((${#failed_checks[@]} == 0)) || echo "failed before the tests: ${failed_checks[*]}"
# A file that fails outside its tests (import error, failing beforeAll) counts as one failed test.
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const fs = require("node:fs");
  const [main, ...matrix] = process.argv.slice(1);
  if (!fs.existsSync(main)) {
    console.log(`vitest wrote no ${main}`);
    console.log("tests: 0 passed, 1 failed");
    process.exit(0);
  }
  let passed = 0, skipped = 0;
  const failures = [];
  const run = (file) => (file === main ? "[main]" : `[${file.replace(/.*results-(pg[0-9]+).*/, "$1")}]`);
  const firstLine = (text) => (text ?? "").split("\n")[0].slice(0, 300);
  for (const file of [main, ...matrix.filter((f) => fs.existsSync(f))]) {
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    for (const f of r.testResults) {
      const tests = f.assertionResults.filter((t) => t.status === "failed");
      if (f.status === "failed" && tests.length === 0) failures.push(`${run(file)} ${f.name}: ${firstLine(f.message)}`);
      for (const t of tests) failures.push(`${run(file)} ${f.name} > ${t.fullName}: ${firstLine(t.failureMessages[0])}`);
    }
    passed += r.numPassedTests;
    skipped += r.numPendingTests + r.numTodoTests;
  }
  // The log of a CI run is kept only in part; the names of what failed must be in its last lines.
  for (const failure of failures) console.log(`FAILED ${failure}`);
  console.log(`tests: ${passed} passed, ${failures.length} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results" .stack/vitest-results-pg*.json

if ((vitest_status != 0)); then exit "$vitest_status"; fi
((${#failed_checks[@]} == 0)) || exit 1
