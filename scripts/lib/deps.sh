# shellcheck shell=bash
# Installs the Debian packages MeshPorts' scripts and tests need, only those missing. Root required.
meshports_install_deps() {
  local need=(wireguard-go wireguard-tools iperf3 iproute2 iputils-ping netcat-openbsd clang zlib1g-dev linux-libc-dev procps python3)
  local missing=() p
  for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ((${#missing[@]})); then
    echo "installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if [[ ! -e /dev/net/tun ]]; then
    mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun
  fi
}
