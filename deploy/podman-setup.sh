#!/usr/bin/env bash
# Make this machine able to build and run meshrpc's images without a Docker engine or a registry:
# podman from Debian's packages, the one containers.conf it needs here, docker-compose 1.29 (for
# `--scale`, against podman's API socket) and two base images made locally with debootstrap:
#
#   localhost/meshrpc-debian:bookworm   Debian bookworm minbase (for the nats-server image)
#   localhost/meshrpc-node:bookworm     the same plus this machine's node and npm, and a `node` user
#                                       (uid 1000), laid out like the official node images, trusting
#                                       this machine's CA bundle (builds run `npm ci` through its proxy)
#
# Idempotent: every step checks first, so a second run takes about a second. Needs root (apt, podman).
# Usage: deploy/podman-setup.sh            (MESHRPC_SETUP_QUIET=1 for less output)
set -euo pipefail

DEBIAN_IMAGE=localhost/meshrpc-debian:bookworm
NODE_IMAGE=localhost/meshrpc-node:bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CONF=/etc/containers/containers.conf
MARK='# written by meshrpc deploy/podman-setup.sh'

say() { [ -n "${MESHRPC_SETUP_QUIET:-}" ] || echo "podman-setup: $*"; }
die() { echo "podman-setup: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and writes $CONF)"

# ---- packages ----
missing=()
for cmd in podman buildah runc netavark aardvark-dns iptables newuidmap debootstrap; do
  command -v "$cmd" >/dev/null || [ -x "/usr/lib/podman/$cmd" ] || missing+=("$cmd")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing podman and friends (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq podman buildah runc netavark aardvark-dns iptables uidmap debootstrap >/dev/null
fi
# docker-compose 1.29 without its recommends (they would pull in docker.io and containerd).
if ! command -v docker-compose >/dev/null; then
  say "installing docker-compose"
  export DEBIAN_FRONTEND=noninteractive
  [ ${#missing[@]} -gt 0 ] || apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi

# ---- configuration ----
# Root cannot raise its open-files and process limits above the hard limits here, and crun does not
# run on a cgroup v1 hybrid host: without these settings every `podman run` fails. Netavark, not the
# CNI plugins some package leaves configured, gives compose networks their DNS (aardvark-dns).
# (runc was refused any process limit above 32768 here, although `ulimit -Hu` said 96362.)
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ] && nofile=1048576
[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
want="$MARK
[containers]
default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]
[engine]
runtime = \"runc\"
cgroup_manager = \"cgroupfs\"
events_logger = \"file\"
[network]
network_backend = \"netavark\""
if [ ! -e "$CONF" ] || { head -1 "$CONF" | grep -qxF "$MARK" && [ "$(cat "$CONF")" != "$want" ]; }; then
  say "writing $CONF"
  mkdir -p "$(dirname "$CONF")"
  printf '%s\n' "$want" >"$CONF"
elif ! head -1 "$CONF" | grep -qxF "$MARK"; then
  grep -q 'runtime *= *"runc"' "$CONF" && grep -q default_ulimits "$CONF" ||
    say "warning: $CONF was not written by this script and may lack runtime = \"runc\" / default_ulimits"
fi

# ---- base images ----
if ! podman image exists "$DEBIAN_IMAGE"; then
  root=$(mktemp -d /var/tmp/meshrpc-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  say "debootstrap bookworm minbase (about 1.5 min)"
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >/dev/null
  # What images do not need: downloaded packages, package lists, documentation, manual pages.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  tar -C "$root" -c . | podman import --quiet \
    --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$root"; trap - EXIT
fi

node_bin=$(readlink -f "$(command -v node)")
node_version=$("$node_bin" --version)
have=$(podman image inspect --format '{{ index .Config.Labels "org.meshrpc.node" }}' "$NODE_IMAGE" 2>/dev/null || true)
if [ "$have" != "$node_version" ]; then
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  [ -f "$npm_dir/package.json" ] || die "cannot find npm's package next to $(command -v npm)"
  say "building $NODE_IMAGE with node $node_version from $node_bin"
  ctx=$(mktemp -d /var/tmp/meshrpc-node.XXXXXX)
  trap 'rm -rf "$ctx"' EXIT
  cp "$node_bin" "$ctx/node"
  cp -r "$npm_dir" "$ctx/npm"
  # This machine reaches the npm registry through a TLS-inspecting proxy whose CA is in the system
  # bundle; node inside the image must trust it too, or `npm ci` fails with SELF_SIGNED_CERT_IN_CHAIN.
  ca=/etc/ssl/certs/ca-certificates.crt
  if [ -f "$ca" ]; then cp "$ca" "$ctx/ca.crt"; else : >"$ctx/ca.crt"; fi
  cat >"$ctx/Containerfile" <<EOF
FROM $DEBIAN_IMAGE
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home --shell /bin/bash node \\
 && node --version && npm --version
LABEL org.meshrpc.node=$node_version
CMD ["node"]
EOF
  podman build --quiet --format docker -t "$NODE_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"; trap - EXIT
fi
say "ready: $(podman --version), $NODE_IMAGE ($node_version), $DEBIAN_IMAGE"
