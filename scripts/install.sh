#!/usr/bin/env bash
# `npm ci` for this clone, with what the librdkafka sink's native build needs, its output kept in
# .stack/npm-ci.log. Sourced by test.sh, demo.sh and bench.sh; `install_dependencies` only runs
# npm ci when `dependencies_outdated`.
#
# @confluentinc/kafka-javascript (an optional dependency) downloads a prebuilt binary from GitHub
# where it can; elsewhere its install script builds librdkafka from the sources in the npm
# package. That build must work offline: CKJS_LINKING=dynamic links the system's OpenSSL and
# zlib (Debian: libssl-dev, zlib1g-dev) instead of downloading their sources, and node-gyp is
# pointed at the headers installed beside this Node.js (Debian's nodejs ships them) instead of
# downloading them.

# The prefix whose include/node/node.h belongs to the node on PATH, if there is one.
node_headers_prefix() {
  local prefix
  prefix="$(cd "$(dirname "$(readlink -f "$(command -v node)")")/.." && pwd)"
  if [[ -f $prefix/include/node/node_version.h ]] &&
    grep -q "define NODE_MAJOR_VERSION $(node -p 'process.versions.node.split(".")[0]')\$" "$prefix/include/node/node_version.h"; then
    echo "$prefix"
  fi
}

# Debian packages the native build needs, installed when missing and we are root with apt-get.
install_build_packages() {
  local missing=()
  command -v g++ >/dev/null || missing+=(g++)
  command -v make >/dev/null || missing+=(make)
  command -v python3 >/dev/null || missing+=(python3)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  [[ -f /usr/include/openssl/ssl.h ]] || missing+=(libssl-dev)
  [[ -f /usr/include/zlib.h ]] || missing+=(zlib1g-dev)
  ((${#missing[@]} == 0)) && return 0
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "note: the librdkafka sink's build needs ${missing[*]}; install them, or use OUTBOX_KAFKA_CLIENT=kafkajs" >&2
    return 0
  fi
  echo "installing ${missing[*]} with apt-get (for the librdkafka sink's native build)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>.stack/apt.log 2>&1 ||
    { apt-get update >>.stack/apt.log 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>.stack/apt.log 2>&1; } ||
    echo "note: apt-get could not install ${missing[*]} (see .stack/apt.log)" >&2
}

librdkafka_installed() { node -e 'require("@confluentinc/kafka-javascript")' >/dev/null 2>&1; }

# True when there is no node_modules, or package-lock.json changed since it was installed.
dependencies_outdated() {
  [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]
}

install_dependencies() {
  dependencies_outdated || return 0
  mkdir -p .stack
  local start=$SECONDS prefix build_env=(CKJS_LINKING=dynamic)
  install_build_packages
  prefix="$(node_headers_prefix)"
  [[ -n $prefix ]] && build_env+=(npm_config_nodedir="$prefix")
  echo "npm ci (log: .stack/npm-ci.log; a native build of librdkafka takes about a minute)"
  if ! env "${build_env[@]}" npm ci --no-audit --no-fund >.stack/npm-ci.log 2>&1; then
    grep '^npm error' .stack/npm-ci.log | head -n 20
    return 1
  fi
  # npm skips an optional dependency that failed to fetch or build without a word (seen once when
  # another npm install shared the cache): one more try, with its reasons in the log this time.
  if ! librdkafka_installed; then
    echo "@confluentinc/kafka-javascript was skipped; npm ci once more (log: .stack/npm-ci-retry.log)"
    env "${build_env[@]}" npm ci --no-audit --no-fund --foreground-scripts --loglevel=verbose \
      >.stack/npm-ci-retry.log 2>&1 || { grep '^npm error' .stack/npm-ci-retry.log | head -n 20; return 1; }
  fi
  if ! librdkafka_installed; then
    echo "note: @confluentinc/kafka-javascript did not install (see .stack/npm-ci*.log):" \
      "the librdkafka sink is unavailable; OUTBOX_KAFKA_CLIENT=kafkajs works without it" >&2
  fi
  echo "dependencies installed in $((SECONDS - start))s"
}
