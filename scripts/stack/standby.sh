#!/usr/bin/env bash
# A physical standby of the main PostgreSQL cluster, for failover tests: a copy of the primary's data
# directory taken with the primary stopped cleanly, streaming from the primary's physical slot
# standby_slot. On PostgreSQL 17+ it synchronizes failover slots (sync_replication_slots = on) and the
# primary holds logical decoding back to what it has flushed (synchronized_standby_slots); `standby-up
# async` synchronizes the slots without holding decoding back (a primary may then confirm positions the
# standby never received: issue 25), and `standby-up plain` leaves both out, as a standby set up before
# failover slots existed. `standby-detach` cuts the standby's WAL receiver: it falls behind from then on.
# Sourced by scripts/stack.sh, which defines the settings (ports, paths) these functions use.
# shellcheck shell=bash disable=SC2154

STANDBY_SLOT=standby_slot

primary_sql() {
  "$PG_CLIENT_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_HOME/sock" -p "$PG_PORT" -U postgres -d postgres -c "$1"
}

standby_sql() {
  "$PG_CLIENT_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$(readlink -f "$STACK/standby")/sock" -p "$STANDBY_PORT" -U postgres -d postgres -c "$1"
}

# standby_up [async|plain]: prints the standby's URL.
standby_up() {
  local mode=${1:-sync} major start home deadline
  [[ $mode =~ ^(sync|async|plain)$ ]] || die "standby-up takes 'async', 'plain' or nothing: got '$mode'"
  pg_running "$PG_HOME" || die "the primary is not running: 'npm run stack -- up' first"
  major=$(pg_major "$PG_BIN")
  [[ $mode == plain || $major -ge 17 ]] ||
    die "failover slots need PostgreSQL 17+, this stack runs $major: STACK_PG_VERSION=17 npm run stack -- up"
  start=$(now)
  standby_down
  home=$(reachable_dir standby)
  primary_sql "SELECT pg_create_physical_replication_slot('$STANDBY_SLOT') WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = '$STANDBY_SLOT')" >/dev/null
  # A clean copy: the primary stops for a moment, so that the copy needs no WAL from a backup.
  pg_stop "$PG_HOME" fast
  cp -a "$PG_HOME/data" "$home/data"
  pg_start "$PG_HOME"
  rm -rf "$home/data/postmaster.pid" "$home/data/postmaster.opts" "$home/data"/pg_replslot/*
  pg_init "$home" "$STANDBY_PORT" logical
  {
    echo "primary_conninfo = 'host=127.0.0.1 port=$PG_PORT user=$PG_ROLE password=$PG_PASSWORD dbname=$PG_DATABASE application_name=stack_standby'"
    echo "primary_slot_name = '$STANDBY_SLOT'"
    echo "hot_standby_feedback = on"
    [[ $mode != plain ]] && echo "sync_replication_slots = on"
  } >>"$home/data/stack.conf"
  if [[ $mode == sync ]]; then
    primary_sql "ALTER SYSTEM SET synchronized_standby_slots = '$STANDBY_SLOT'" >/dev/null
  elif ((major >= 17)); then
    primary_sql "ALTER SYSTEM RESET synchronized_standby_slots" >/dev/null
  fi
  primary_sql "SELECT pg_reload_conf()" >/dev/null
  touch "$home/data/standby.signal"
  chown "$STACK_OS_USER:" "$home/data/standby.signal"
  pg_start "$home"
  pg_wait_answers "$home" "$STANDBY_PORT"
  deadline=$((SECONDS + READY_TIMEOUT_S))
  until [[ $(primary_sql "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'stack_standby' AND state = 'streaming'") == 1 ]]; do
    if ((SECONDS >= deadline)); then
      show_tail "$home/postgres.log"
      die "the standby on 127.0.0.1:$STANDBY_PORT does not stream from the primary"
    fi
    sleep 0.3
  done
  log "standby ($mode) streaming on 127.0.0.1:$STANDBY_PORT in $(since "$start")"
  echo "postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$STANDBY_PORT/$PG_DATABASE"
}

# Stops and removes the standby; a running primary forgets it (its slot and synchronized_standby_slots).
standby_down() {
  local home
  [[ -e $STACK/standby ]] || return 0
  home=$(readlink -f "$STACK/standby")
  [[ -d $home/data ]] && pg_stop "$home" immediate
  # Its log stays one round, for a failed test's post-mortem.
  [[ -f $home/postgres.log ]] && mv "$home/postgres.log" "$home/postgres.previous.log"
  rm -rf "$home/data" "$home/sock" "$home/initdb.log"
  if ! pg_running "$PG_HOME"; then
    # Else, started again, the primary would hold logical decoding back for a standby that is gone.
    [[ -f $PG_HOME/data/postgresql.auto.conf ]] && sed -i '/^synchronized_standby_slots/d' "$PG_HOME/data/postgresql.auto.conf"
    return 0
  fi
  [[ $(primary_sql "SELECT pg_is_in_recovery()") == f ]] || return 0
  if (($(pg_major "$PG_BIN") >= 17)); then
    primary_sql "ALTER SYSTEM RESET synchronized_standby_slots" >/dev/null
    primary_sql "SELECT pg_reload_conf()" >/dev/null
  fi
  primary_sql "SELECT pg_drop_replication_slot('$STANDBY_SLOT') FROM pg_replication_slots WHERE slot_name = '$STANDBY_SLOT' AND NOT active" >/dev/null
}

# The standby stops receiving WAL (and synchronizing slots): primary_conninfo emptied, reloaded. It stays
# a hot standby at the position it had, until promoted or removed.
standby_detach() {
  local deadline
  [[ -f $STACK/standby/data/standby.signal ]] || die "no standby to detach: 'npm run stack -- standby-up' first"
  standby_sql "ALTER SYSTEM SET primary_conninfo = ''" >/dev/null
  standby_sql "SELECT pg_reload_conf()" >/dev/null
  deadline=$((SECONDS + READY_TIMEOUT_S))
  until [[ $(standby_sql "SELECT count(*) FROM pg_stat_wal_receiver") == 0 ]]; do
    ((SECONDS < deadline)) || die "the standby's WAL receiver still runs after primary_conninfo = ''"
    sleep 0.3
  done
  log "standby detached at $(standby_sql "SELECT pg_last_wal_replay_lsn()"): it receives no more WAL"
}

standby_promote() {
  local home
  home=$(readlink -f "$STACK/standby")
  [[ -f $home/data/standby.signal ]] || die "no standby to promote: 'npm run stack -- standby-up' first"
  as_os_user "$PG_BIN/pg_ctl" promote -D "$home/data" -w -t "$READY_TIMEOUT_S" -s || die "pg_ctl promote failed"
  log "standby promoted: the primary is now 127.0.0.1:$STANDBY_PORT"
}
