#!/usr/bin/env bash
# Snapshots of the main PostgreSQL cluster's data directory, for restore tests: `pg-snapshot NAME` stops
# the cluster cleanly, copies its data directory and starts it again; `pg-restore NAME` crashes the
# cluster, puts that copy back in place of its data directory (the copy is used up) and starts it. The
# restored server has the same system identifier as before and its WAL position falls back to the
# copy's, as after restoring a file-level backup.
# Sourced by scripts/stack.sh, which defines the settings (ports, paths) these functions use.
# shellcheck shell=bash disable=SC2154

# snapshot_dir NAME: where the copy of the current cluster (its version's) named NAME lives.
snapshot_dir() {
  [[ ${1:-} =~ ^[a-z0-9_-]+$ ]] || die "snapshots are named with [a-z0-9_-]: got '${1:-}'"
  echo "$(reachable_dir pg-snapshots)/$(basename "$PG_HOME")/$1"
}

pg_snapshot() {
  local dir start
  dir=$(snapshot_dir "${1:-}")
  pg_running "$PG_HOME" || die "postgres is not running: 'npm run stack -- up' first"
  start=$(now)
  rm -rf "$dir" && mkdir -p "$dir"
  pg_stop "$PG_HOME" fast
  cp -a "$PG_HOME/data" "$dir/data"
  pg_start "$PG_HOME"
  pg_wait_answers "$PG_HOME" "$PG_PORT"
  log "postgres data directory copied to $dir in $(since "$start")"
}

pg_restore_snapshot() {
  local dir start
  dir=$(snapshot_dir "${1:-}")
  [[ -d $dir/data ]] || die "no snapshot '$1' of $PG_HOME: 'npm run stack -- pg-snapshot $1' first"
  start=$(now)
  pg_stop "$PG_HOME" immediate
  rm -rf "$PG_HOME/data"
  mv "$dir/data" "$PG_HOME/data"
  rmdir "$dir"
  pg_start "$PG_HOME"
  pg_wait_answers "$PG_HOME" "$PG_PORT"
  log "postgres restored from snapshot $1 in $(since "$start")"
}
