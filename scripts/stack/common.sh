#!/usr/bin/env bash
# Logging, timing and running commands as the OS user PostgreSQL runs as.
# Sourced by scripts/stack.sh, which defines the settings (ports, paths) these functions use.
# shellcheck shell=bash disable=SC2154

log() { printf '[stack] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
now() { date +%s%N; }

# terminate NAME PID: SIGTERM, then SIGKILL if still running after 20 s; returns once it is gone.
terminate() {
  local name=$1 pid=$2
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) still running after 20s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
}
since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1fs", (end - start) / 1e9 }'; }
show_tail() {
  [[ -s $1 ]] || return 0
  printf -- '--- last 40 lines of %s ---\n' "$1" >&2
  tail -n 40 "$1" >&2
  printf -- '--- end of %s ---\n' "$1" >&2
}

# wait_answers ANSWERS ALIVE EXITED TIMED_OUT LOG...: runs the function ANSWERS until it succeeds. When
# the function ALIVE finds the server gone, or READY_TIMEOUT_S passes, shows the tails of LOG... and
# dies with the message EXITED or TIMED_OUT.
wait_answers() {
  local answers=$1 alive=$2 exited=$3 timed_out=$4 log
  shift 4
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until "$answers"; do
    if ! "$alive" >/dev/null || ((SECONDS >= deadline)); then
      for log in "$@"; do show_tail "$log"; done
      "$alive" >/dev/null || die "$exited"
      die "$timed_out"
    fi
    sleep 0.3
  done
}

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
