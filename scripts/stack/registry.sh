#!/usr/bin/env bash
# The schema registry: Apicurio Registry from Maven Central (scripts/registry/pom.xml), one JVM, in-memory
# storage, serving the Confluent Schema Registry REST API under /apis/ccompat/v7. Known difference: its
# GET /config answers NONE although the default global rule set here (BACKWARD) is enforced.
# Sourced by scripts/stack.sh, which defines the settings (ports, paths) these functions use.
# shellcheck shell=bash disable=SC2154

# The unpacked release: apicurio-registry-app-VERSION-runner.jar and lib/ under $REGISTRY_APP.
registry_resolve() {
  local want stamp="$REGISTRY_APP/.pom.sha256" start archive
  want=$(sha256sum "$REGISTRY_POM" | cut -d' ' -f1)
  [[ -f $stamp && $(cat "$stamp") == "$want" && -f $REGISTRY_JAR ]] && return 0
  command -v mvn >/dev/null || die "mvn not found: install Maven 3 (apt-get install -y maven)"
  log "resolving Apicurio Registry $REGISTRY_VERSION from Maven Central into $REGISTRY_APP (first run only; cached in ~/.m2)"
  start=$(now)
  mkdir -p "$REGISTRY_HOME"
  rm -rf "$REGISTRY_APP" "$REGISTRY_HOME/dist"
  mvn -B -f "$REGISTRY_POM" dependency:copy -DoutputDirectory="$REGISTRY_HOME/dist" >"$REGISTRY_HOME/mvn.log" 2>&1 ||
    {
      show_tail "$REGISTRY_HOME/mvn.log"
      die "could not resolve the Apicurio Registry archive named in $REGISTRY_POM (log: $REGISTRY_HOME/mvn.log)"
    }
  archive=$(find "$REGISTRY_HOME/dist" -name 'apicurio-registry-app-*-all.tar.gz' | head -1)
  [[ -n $archive ]] || die "mvn left no apicurio-registry-app-*-all.tar.gz in $REGISTRY_HOME/dist"
  mkdir -p "$REGISTRY_APP"
  tar -xzf "$archive" -C "$REGISTRY_APP"
  rm -rf "$REGISTRY_HOME/dist" # the archive stays in ~/.m2
  [[ -f $REGISTRY_JAR ]] || die "$archive has no $(basename "$REGISTRY_JAR")"
  echo "$want" >"$stamp"
  log "apicurio registry resolved in $(since "$start"): $(du -sh "$REGISTRY_APP" | cut -f1) (log: $REGISTRY_HOME/mvn.log)"
}

registry_pid() {
  local pid
  [[ -f $REGISTRY_PID_FILE ]] || return 1
  pid=$(cat "$REGISTRY_PID_FILE")
  # The pid must still be our registry: java -jar with our runner jar (pids get reused).
  [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-jar $REGISTRY_JAR" &&
    echo "$pid"
}

# GET /subjects on the Confluent-compatible API: 200 and a JSON array.
registry_answers() {
  local body
  if command -v curl >/dev/null; then
    body=$(curl -sf -m 3 "$SCHEMA_REGISTRY_URL/subjects") || return 1
  else
    body=$(node -e 'fetch(process.argv[1] + "/subjects", { signal: AbortSignal.timeout(3000) })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status))).then((t) => console.log(t), () => process.exit(1))' \
      "$SCHEMA_REGISTRY_URL") || return 1
  fi
  [[ $body == \[* ]]
}

registry_wait_answers() {
  wait_answers registry_answers registry_pid "the schema registry exited during start-up" \
    "the schema registry on $SCHEMA_REGISTRY_URL did not answer GET /subjects within ${READY_TIMEOUT_S}s" \
    "$REGISTRY_LOG"
}

# SCHEMA_REGISTRY_URL in .stack/env while the registry runs. Before the first `up` there is no .stack/env
# and none is made (its readers expect DATABASE_URL there); `up` writes it with the line when the registry runs.
registry_env_line() {
  local env="$STACK/env"
  [[ -f $env ]] || return 0
  sed -i '/^SCHEMA_REGISTRY_URL=/d' "$env"
  [[ ${1:-} == add ]] && echo "SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL" >>"$env"
  return 0
}

registry_start() {
  local start pid
  start=$(now)
  require_java
  if pid=$(registry_pid); then
    log "schema registry already running (pid $pid)"
  else
    registry_resolve
    mkdir -p "$REGISTRY_APP/tmp"
    # -Dquarkus.*/-Dapicurio.* override the application.properties inside the runner jar:
    #   bind 127.0.0.1:PORT; no access log; a small H2 pool (the default keeps 20 connections open);
    #   deletes allowed (tests clean up subjects); BACKWARD as the global compatibility rule, as
    #   Confluent's registry has by default (Apicurio's default is none).
    # shellcheck disable=SC2016 # expanded by the inner bash, which then becomes the JVM (exec)
    REGISTRY_PID_FILE="$REGISTRY_PID_FILE" REGISTRY_JAR="$REGISTRY_JAR" REGISTRY_PORT="$REGISTRY_PORT" \
      REGISTRY_APP="$REGISTRY_APP" setsid bash -c '
      echo $$ >"$REGISTRY_PID_FILE"
      cd "$REGISTRY_APP"
      exec java -Xms64m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
        -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
        -Dquarkus.http.access-log.enabled=false \
        -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2 \
        -Dapicurio.datasource.jdbc.max-size=20 \
        -Dapicurio.rest.deletion.group.enabled=true -Dapicurio.rest.deletion.artifact.enabled=true \
        -Dapicurio.rest.deletion.artifact-version.enabled=true \
        -Dapicurio.rules.global.compatibility=BACKWARD \
        -Dapicurio.storage.snapshot.location="$REGISTRY_APP/tmp" -Dapicurio.import.work-dir="$REGISTRY_APP/tmp" \
        -jar "$REGISTRY_JAR"' \
      </dev/null >>"$REGISTRY_LOG" 2>&1 9>&- &
    local waited=0
    until [[ -s $REGISTRY_PID_FILE ]] || ((waited++ > 50)); do sleep 0.1; done
  fi
  registry_wait_answers
  registry_env_line add
  log "schema registry ready on $SCHEMA_REGISTRY_URL in $(since "$start")"
}

registry_stop() {
  local pid
  pid=$(registry_pid) || {
    rm -f "$REGISTRY_PID_FILE"
    registry_env_line remove
    return 0
  }
  terminate "schema registry" "$pid"
  rm -f "$REGISTRY_PID_FILE"
  registry_env_line remove
  log "schema registry stopped (pid $pid)"
}
