#!/usr/bin/env bash
# The stack's own certificate authority, made once with openssl into .stack/tls/:
#   ca.crt, ca.key            the stack's CA (trust ca.crt to verify the stack's services)
#   server.crt, server.key    localhost and 127.0.0.1, for Kafka's TLS listeners and PostgreSQL
#   server.pem                server.key then server.crt: Kafka's PEM keystore
#   relay.crt, relay.key      a client certificate (CN=relay) for mutual TLS; relay.key is encrypted
#                             with TLS_RELAY_KEY_PASSWORD
#   other-ca.crt              an unrelated CA: what a wrong OUTBOX_KAFKA_SSL_CA_FILE looks like
# Sourced by scripts/stack.sh, which defines the settings (ports, paths) these functions use.
# shellcheck shell=bash disable=SC2154

# openssl_quiet ARGS...: openssl with its chatter kept for a failure.
openssl_quiet() {
  openssl "$@" >>"$TLS_HOME/openssl.log" 2>&1 || {
    show_tail "$TLS_HOME/openssl.log"
    die "openssl $1 failed (log: $TLS_HOME/openssl.log)"
  }
}

# tls_ca NAME: a self-signed CA valid for ten years.
tls_ca() {
  openssl_quiet req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=outbox-relay stack $1" \
    -keyout "$TLS_HOME/$1.key" -out "$TLS_HOME/$1.crt"
}

# tls_issue NAME SUBJECT EXTENSIONS: a key and a certificate signed by the stack's CA.
tls_issue() {
  local name=$1 subject=$2 extensions=$3
  openssl_quiet req -newkey rsa:2048 -nodes -subj "$subject" -keyout "$TLS_HOME/$name.key" -out "$TLS_HOME/$name.csr"
  printf '%s\n' "$extensions" >"$TLS_HOME/$name.ext"
  openssl_quiet x509 -req -in "$TLS_HOME/$name.csr" -CA "$TLS_HOME/ca.crt" -CAkey "$TLS_HOME/ca.key" \
    -CAcreateserial -days 3650 -extfile "$TLS_HOME/$name.ext" -out "$TLS_HOME/$name.crt"
  rm -f "$TLS_HOME/$name.csr" "$TLS_HOME/$name.ext"
}

tls_ensure() {
  [[ -f $TLS_HOME/complete ]] && return 0
  command -v openssl >/dev/null || die "openssl not found: install it (apt-get install -y openssl)"
  local start
  start=$(now)
  rm -rf "$TLS_HOME"
  mkdir -p "$TLS_HOME"
  tls_ca ca
  tls_ca other-ca
  tls_issue server /CN=localhost \
    "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth"
  tls_issue relay /CN=relay "extendedKeyUsage=clientAuth"
  openssl_quiet pkcs8 -topk8 -in "$TLS_HOME/relay.key" -out "$TLS_HOME/relay.key.enc" \
    -passout "pass:$TLS_RELAY_KEY_PASSWORD"
  mv "$TLS_HOME/relay.key.enc" "$TLS_HOME/relay.key"
  cat "$TLS_HOME/server.key" "$TLS_HOME/server.crt" >"$TLS_HOME/server.pem"
  rm -f "$TLS_HOME/other-ca.key" "$TLS_HOME/ca.srl"
  chmod 600 "$TLS_HOME"/*.key "$TLS_HOME/server.pem"
  touch "$TLS_HOME/complete"
  log "certificates made in $(since "$start") ($TLS_HOME)"
}

# tls_install_pg_key DATA_DIR: PostgreSQL reads its key only if its own OS user owns it (mode 0600).
tls_install_pg_key() {
  install -m 600 -o "$STACK_OS_USER" "$TLS_HOME/server.key" "$1/server.key"
  install -m 644 -o "$STACK_OS_USER" "$TLS_HOME/server.crt" "$1/server.crt"
}
