#!/usr/bin/env bash
# The local stack for development and tests, without Docker: PostgreSQL (logical replication on) and a
# single-node Apache Kafka 4.1.1 in KRaft mode, all state under .stack/ in the repository root.
#
#   npm run stack -- up | down | status | env
#   npm run stack -- stop-kafka | start-kafka | stop-pg [fast|immediate] | start-pg
#   npm run stack -- restart-pg [fast|immediate]       (immediate = a PostgreSQL crash)
#   npm run stack -- scratch-start PORT WAL_LEVEL | scratch-stop PORT   (throwaway clusters for tests)
#
# `up` is idempotent: it reuses what runs, waits until both services answer, then writes .stack/env.
# Ports: 54329 (PostgreSQL), 19092 (Kafka), 19093 (KRaft controller); STACK_PG_PORT, STACK_KAFKA_PORT and
# STACK_KAFKA_CONTROLLER_PORT override them, e.g. for a second checkout on the same machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="$ROOT/.stack"
READY_TIMEOUT_S=90

PG_PORT=${STACK_PG_PORT:-54329}
PG_HOME="$STACK/pg" # data/, sock/ (unix socket), postgres.log; its real path once main() resolved it
PG_ROLE=outbox
PG_PASSWORD=outbox-secret
PG_DATABASE=outbox
DATABASE_URL="postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATABASE"

KAFKA_VERSION=4.1.1
KAFKA_HOME="$STACK/kafka" # lib/, data/, server.properties, log4j2.properties, kafka.pid, *.log
KAFKA_LIB="$KAFKA_HOME/lib"
KAFKA_PID_FILE="$KAFKA_HOME/kafka.pid"
KAFKA_LOG="$KAFKA_HOME/kafka.log" # the JVM's stdout and stderr, WARN and above
KAFKA_SERVER_LOG="$KAFKA_HOME/server.log" # the broker's log at INFO
KAFKA_BROKERS=127.0.0.1:${STACK_KAFKA_PORT:-19092}
KAFKA_CONTROLLER=127.0.0.1:${STACK_KAFKA_CONTROLLER_PORT:-19093}
KAFKA_POM="$ROOT/scripts/kafka/pom.xml"

log() { printf '[stack] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
now() { date +%s%N; }
since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1fs", (end - start) / 1e9 }'; }
show_tail() {
  [[ -s $1 ]] || return 0
  printf -- '--- last 40 lines of %s ---\n' "$1" >&2
  tail -n 40 "$1" >&2
  printf -- '--- end of %s ---\n' "$1" >&2
}

# --- the OS user PostgreSQL runs as (initdb and postgres refuse root) -----------------------------------

os_user() {
  if [[ $EUID -ne 0 ]]; then
    id -un
  elif id -u postgres >/dev/null 2>&1; then
    echo postgres
  else
    id -u outbox >/dev/null 2>&1 ||
      useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin outbox
    echo outbox
  fi
}

# Runs a command as STACK_OS_USER. `9>&-`: a server it starts must not inherit (and hold) the stack lock.
as_os_user() {
  if [[ $EUID -eq 0 ]]; then
    (cd / && runuser -u "$STACK_OS_USER" -- "$@" 9>&-)
  else
    "$@" 9>&-
  fi
}

# reachable_dir NAME: the real path of .stack/NAME, a directory STACK_OS_USER can reach. Where it cannot
# (a checkout under a private home: /root is 0700) .stack/NAME is a link to a directory under /var/tmp.
reachable_dir() {
  local link="$STACK/$1" target
  if [[ ! -e $link ]]; then
    mkdir -p "$link"
    if ! as_os_user test -x "$link"; then
      rmdir "$link"
      target="/var/tmp/outbox-relay-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/$1"
      rm -rf "$target" && mkdir -p "$target" && chmod 755 "$(dirname "$target")"
      ln -s "$target" "$link"
      log "$STACK_OS_USER cannot reach $ROOT: .stack/$1 is a link to $target"
    fi
  fi
  readlink -f "$link"
}

# --- PostgreSQL binaries -------------------------------------------------------------------------------

find_pg_bin() {
  local dir
  for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
    if [[ -x $dir/pg_ctl && -x $dir/initdb ]]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
    dirname "$(command -v pg_ctl)"
    return 0
  fi
  return 1
}

install_postgres() {
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
    die "PostgreSQL server binaries (pg_ctl, initdb) not found: install the 'postgresql' package"
  fi
  log "PostgreSQL server binaries not found: installing the 'postgresql' package with apt-get"
  local start
  start=$(now)
  # No distribution cluster on port 5432: we run our own under .stack/pg.
  mkdir -p /etc/postgresql-common
  [[ -e /etc/postgresql-common/createcluster.conf ]] ||
    echo 'create_main_cluster = off' >/etc/postgresql-common/createcluster.conf
  export DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1
  apt-get update
  apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold postgresql
  log "postgresql installed in $(since "$start")"
}

# --- PostgreSQL clusters (the main one and scratch ones share this) -------------------------------------

# pg_init HOME PORT WAL_LEVEL: initdb into HOME/data once, then (re)write the settings it starts with.
pg_init() {
  local home=$1 port=$2 wal_level=$3 start
  mkdir -p "$home/sock"
  chown "$STACK_OS_USER:" "$home" "$home/sock"
  as_os_user test -w "$home/sock" ||
    die "the OS user $STACK_OS_USER cannot reach $home: every directory above it must be searchable by that user (chmod o+x), or clone the repository elsewhere"
  if [[ ! -f $home/data/PG_VERSION ]]; then
    start=$(now)
    as_os_user "$PG_BIN/initdb" -D "$home/data" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 >"$home/initdb.log" 2>&1 ||
      {
        show_tail "$home/initdb.log"
        die "initdb failed for $home/data"
      }
    echo "include 'stack.conf'" >>"$home/data/postgresql.conf"
    log "postgres cluster initialised in $(since "$start") ($home/data)"
  fi
  cat >"$home/data/stack.conf" <<EOF
# Written by scripts/stack.sh at every start; edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$home/sock'
wal_level = $wal_level
max_replication_slots = 40
max_wal_senders = 40
max_connections = 200
shared_buffers = 256MB
wal_sender_timeout = 60s
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  # TCP (also for replication connections) with a password; trust only on the unix socket.
  cat >"$home/data/pg_hba.conf" <<'EOF'
# Written by scripts/stack.sh at every start.
local   all          all                 trust
local   replication  all                 trust
host    all          all   127.0.0.1/32  scram-sha-256
host    replication  all   127.0.0.1/32  scram-sha-256
EOF
  chown "$STACK_OS_USER:" "$home/data/stack.conf" "$home/data/pg_hba.conf"
}

pg_running() { [[ -n $PG_BIN && -f $1/data/postmaster.pid ]] && as_os_user "$PG_BIN/pg_ctl" status -D "$1/data" >/dev/null 2>&1; }

pg_answers() {
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$1" \
    -U "$PG_ROLE" -d "$PG_DATABASE" -c 'select 1' >/dev/null 2>&1
}

# pg_start HOME: start the cluster (unless it runs) and wait until it accepts connections.
pg_start() {
  local home=$1
  pg_running "$home" && return 0
  touch "$home/postgres.log" && chown "$STACK_OS_USER:" "$home/postgres.log"
  as_os_user "$PG_BIN/pg_ctl" start -D "$home/data" -l "$home/postgres.log" -w -t "$READY_TIMEOUT_S" -s ||
    {
      show_tail "$home/postgres.log"
      die "PostgreSQL did not start from $home/data (see $home/postgres.log)"
    }
}

# pg_ensure_role HOME PORT: the outbox role (LOGIN REPLICATION CREATEDB) and its database, over the socket.
pg_ensure_role() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$1/sock" -p "$2" -U postgres -d postgres >/dev/null <<EOF
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
    CREATE ROLE $PG_ROLE LOGIN REPLICATION CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE $PG_DATABASE OWNER $PG_ROLE'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DATABASE') \gexec
EOF
}

# pg_wait_answers HOME PORT: until a password login over TCP runs `select 1`.
pg_wait_answers() {
  local home=$1 port=$2 deadline=$((SECONDS + READY_TIMEOUT_S))
  until pg_answers "$port"; do
    if ((SECONDS >= deadline)) || ! pg_running "$home"; then
      show_tail "$home/postgres.log"
      die "PostgreSQL on 127.0.0.1:$port does not answer a password login as $PG_ROLE"
    fi
    sleep 0.3
  done
}

pg_stop() {
  local home=$1 mode=$2
  pg_running "$home" || return 0
  as_os_user "$PG_BIN/pg_ctl" stop -D "$home/data" -m "$mode" -w -t 60 -s ||
    die "pg_ctl stop -m $mode failed for $home/data"
}

pg_up() {
  local start
  start=$(now)
  pg_init "$PG_HOME" "$PG_PORT" logical
  if pg_running "$PG_HOME"; then
    log "postgres already running (pid $(head -1 "$PG_HOME/data/postmaster.pid"))"
  else
    pg_start "$PG_HOME"
  fi
  pg_ensure_role "$PG_HOME" "$PG_PORT"
  pg_wait_answers "$PG_HOME" "$PG_PORT"
  log "postgres ready on 127.0.0.1:$PG_PORT in $(since "$start")"
}

pg_mode() {
  case ${1:-fast} in
  fast | immediate | smart) echo "${1:-fast}" ;;
  *) die "unknown shutdown mode '$1' (fast or immediate)" ;;
  esac
}

# --- Kafka -----------------------------------------------------------------------------------------------

require_java() {
  command -v java >/dev/null || die "java not found: install a JDK 17 (apt-get install -y openjdk-17-jre-headless)"
}

kafka_resolve_jars() {
  mkdir -p "$KAFKA_HOME"
  local want stamp="$KAFKA_LIB/.pom.sha256" start
  want=$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)
  [[ -f $stamp && $(cat "$stamp") == "$want" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found: install Maven 3 (apt-get install -y maven)"
  log "resolving Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIB (first run only; cached in ~/.m2)"
  start=$(now)
  rm -rf "$KAFKA_LIB"
  # Maven's whole log (every artifact downloaded) goes to mvn.log; its -q mode prints stray colour codes.
  mvn -B -f "$KAFKA_POM" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIB" >"$KAFKA_HOME/mvn.log" 2>&1 ||
    {
      show_tail "$KAFKA_HOME/mvn.log"
      die "could not resolve the Kafka jars listed in $KAFKA_POM (log: $KAFKA_HOME/mvn.log)"
    }
  echo "$want" >"$stamp"
  log "kafka jars resolved in $(since "$start"): $(find "$KAFKA_LIB" -name '*.jar' | wc -l) jars," \
    "$(du -sh "$KAFKA_LIB" | cut -f1), $(grep -c 'Downloaded from' "$KAFKA_HOME/mvn.log" || true) files downloaded (log: $KAFKA_HOME/mvn.log)"
}

kafka_write_config() {
  mkdir -p "$KAFKA_HOME/data"
  cat >"$KAFKA_HOME/server.properties" <<EOF
# Written by scripts/stack.sh at every start: one combined broker and controller (KRaft).
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_CONTROLLER
listeners=PLAINTEXT://$KAFKA_BROKERS,CONTROLLER://$KAFKA_CONTROLLER
advertised.listeners=PLAINTEXT://$KAFKA_BROKERS,CONTROLLER://$KAFKA_CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_HOME/data
auto.create.topics.enable=true
delete.topic.enable=true
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
EOF
  cat >"$KAFKA_HOME/log4j2.properties" <<EOF
# Written by scripts/stack.sh: the broker logs INFO to server.log (rolled at 20 MB), WARN and above to kafka.log.
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
appender.stdout.filter.threshold.type=ThresholdFilter
appender.stdout.filter.threshold.level=WARN
appender.server.type=RollingFile
appender.server.name=SERVER
appender.server.fileName=$KAFKA_SERVER_LOG
appender.server.filePattern=$KAFKA_SERVER_LOG.%i
appender.server.layout.type=PatternLayout
appender.server.layout.pattern=[%d] %p %m (%c)%n
appender.server.policies.type=Policies
appender.server.policies.size.type=SizeBasedTriggeringPolicy
appender.server.policies.size.size=20MB
appender.server.strategy.type=DefaultRolloverStrategy
appender.server.strategy.max=2
rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=STDOUT
rootLogger.appenderRef.server.ref=SERVER
logger.request.name=kafka.request.logger
logger.request.level=WARN
logger.state.name=state.change.logger
logger.state.level=WARN
logger.network.name=kafka.network
logger.network.level=WARN
EOF
}

kafka_format() {
  [[ -f $KAFKA_HOME/data/meta.properties ]] && return 0
  local start cluster_id
  start=$(now)
  cluster_id=$(java -cp "$KAFKA_LIB/*" kafka.tools.StorageTool random-uuid)
  java -cp "$KAFKA_LIB/*" -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" kafka.tools.StorageTool \
    format -t "$cluster_id" -c "$KAFKA_HOME/server.properties" --standalone >>"$KAFKA_LOG" 2>&1 ||
    {
      show_tail "$KAFKA_LOG"
      die "kafka storage format failed"
    }
  log "kafka storage formatted in $(since "$start") (cluster id $cluster_id)"
}

kafka_pid() {
  local pid
  [[ -f $KAFKA_PID_FILE ]] || return 1
  pid=$(cat "$KAFKA_PID_FILE")
  # The pid must still be our broker: kafka.Kafka with our server.properties (pids get reused).
  [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $KAFKA_HOME/server.properties" &&
    echo "$pid"
}

# A real metadata request: kafkajs describeCluster when node_modules is there, else Kafka's TopicCommand.
kafka_answers() {
  if [[ -f $ROOT/node_modules/kafkajs/package.json ]]; then
    node "$ROOT/scripts/kafka/ping.mjs" "$KAFKA_BROKERS" >/dev/null 2>&1
  else
    java -cp "$KAFKA_LIB/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BROKERS" --list >/dev/null 2>&1
  fi
}

kafka_wait_answers() {
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until kafka_answers; do
    if ! kafka_pid >/dev/null; then
      show_tail "$KAFKA_LOG"
      show_tail "$KAFKA_SERVER_LOG"
      die "the Kafka broker exited during start-up"
    fi
    if ((SECONDS >= deadline)); then
      show_tail "$KAFKA_SERVER_LOG"
      die "Kafka on $KAFKA_BROKERS did not answer a metadata request within ${READY_TIMEOUT_S}s"
    fi
    sleep 0.5
  done
}

kafka_start() {
  local start pid
  start=$(now)
  require_java
  if pid=$(kafka_pid); then
    log "kafka already running (pid $pid)"
  else
    kafka_resolve_jars
    kafka_write_config
    kafka_format
    # setsid: the broker outlives this script and is not in the caller's process group (npm, vitest).
    # shellcheck disable=SC2016 # expanded by the inner bash, which then becomes the JVM (exec)
    KAFKA_HOME="$KAFKA_HOME" KAFKA_LIB="$KAFKA_LIB" KAFKA_PID_FILE="$KAFKA_PID_FILE" setsid bash -c '
      echo $$ >"$KAFKA_PID_FILE"
      exec java -Xmx768m -Xms256m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" \
        -cp "$KAFKA_LIB/*" kafka.Kafka "$KAFKA_HOME/server.properties"' \
      </dev/null >>"$KAFKA_LOG" 2>&1 9>&- &
    local waited=0
    until [[ -s $KAFKA_PID_FILE ]] || ((waited++ > 50)); do sleep 0.1; done
  fi
  kafka_wait_answers
  log "kafka ready on $KAFKA_BROKERS in $(since "$start")"
}

kafka_stop() {
  local pid
  pid=$(kafka_pid) || {
    rm -f "$KAFKA_PID_FILE"
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "kafka (pid $pid) still running after 20s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$KAFKA_PID_FILE"
  log "kafka stopped (pid $pid)"
}

# --- commands --------------------------------------------------------------------------------------------

write_env() {
  cat >"$STACK/env" <<EOF
DATABASE_URL=$DATABASE_URL
KAFKA_BROKERS=$KAFKA_BROKERS
PG_BIN=$PG_BIN
PGDATA=$PG_HOME/data
STACK_OS_USER=$STACK_OS_USER
EOF
}

cmd_up() {
  local start
  start=$(now)
  pg_up
  kafka_start
  write_env
  log "stack up in $(since "$start"); settings in $STACK/env"
}

scratch_home() {
  [[ ${1:-} =~ ^[0-9]+$ ]] || die "scratch clusters are named by their port: got '${1:-}'"
  echo "$(readlink -f "$STACK/scratch")/pg-$1"
}

# A throwaway cluster (same role and password) for tests that need other settings, e.g. wal_level=replica.
cmd_scratch_start() {
  local port=${1:-} wal_level=${2:-} home
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
  kafka_stop
  pg_stop "$PG_HOME" fast
  log "postgres stopped"
  for home in "$(readlink -f "$STACK/scratch")"/pg-*; do
    [[ -d $home/data ]] || continue
    pg_stop "$home" immediate
    rm -rf "$home"
  done
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
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
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
  *) usage ;;
  esac
  mkdir -p "$STACK" && chmod 755 "$STACK"
  # One stack command at a time (a test may restart PostgreSQL while another process runs `up`).
  exec 9>"$STACK/.lock"
  flock 9
  STACK_OS_USER=$(os_user)
  # Without binaries no cluster of ours can run: down and status need none, the others install them.
  PG_BIN=$(find_pg_bin) || PG_BIN=''
  if [[ -z $PG_BIN && ! $command =~ ^(down|status|stop-kafka|stop-pg|scratch-stop)$ ]]; then
    install_postgres
    PG_BIN=$(find_pg_bin) || die "PostgreSQL binaries still not found under /usr/lib/postgresql/*/bin"
  fi
  if [[ $command =~ ^(up|start-pg|restart-pg)$ ]]; then
    PG_HOME=$(reachable_dir pg)
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
  esac
}

main "$@"
