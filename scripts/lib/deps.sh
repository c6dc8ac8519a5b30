# shellcheck shell=bash
# Installs the Debian packages MeshPorts' scripts and tests need, only those missing. Root required.
# postgresql: the coordinator tests start their own server from its binaries (the package's own cluster is not used).
# prometheus: for promtool, which scripts/check-packaging.sh runs on the alert rules (the server itself is not started).
# bash, zsh: the meshctl completion tests source the generated scripts in both shells.
# systemd: for systemd-analyze, with which scripts/check-packaging.sh verifies the units (systemd is not started).
# libfuzzer-14-dev: libFuzzer.a, which scripts/fuzz.sh links its driver against (with clang).
# bind9-dnsutils: dig, with which the node name tests query NAME.mesh.
meshports_install_deps() {
  local need=(wireguard-go curl bash zsh wireguard-tools iperf3 iproute2 iputils-ping netcat-openbsd clang libfuzzer-14-dev zlib1g-dev linux-libc-dev procps python3 nftables conntrack postgresql prometheus systemd bind9-dnsutils)
  local missing=() p
  for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ((${#missing[@]})); then
    local start=$SECONDS
    echo "installing ${missing[*]} (apt) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "installed in $((SECONDS - start))s" >&2
  fi
  if [[ ! -e /dev/net/tun ]]; then
    mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun
  fi
}

# The one prerequisite apt does not bring: the .NET 10 SDK. Says the fix in one line when it is missing.
meshports_require_dotnet() {
  local version major
  version=$(dotnet --version 2>/dev/null) || version=""
  major=${version%%.*}
  if [[ ! $major =~ ^[0-9]+$ ]] || ((major < 10)); then
    echo "meshports: needs the .NET 10 SDK ('dotnet --version' says ${version:-nothing}); install dotnet-sdk-10.0 (https://learn.microsoft.com/dotnet/core/install/linux-debian) and put dotnet on PATH" >&2
    return 1
  fi
}
