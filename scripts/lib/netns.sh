# shellcheck shell=bash
# Network-namespace helpers for MeshPorts scripts: unique names, a veth "underlay" between two
# namespaces, userspace WireGuard daemons inside them, and a cleanup that always runs (call
# mpns_cleanup from an EXIT trap). Root required.
#
# Names: namespaces are mpit-<pid>-<rand>-<role> so a sweeper can tell leftovers of dead runs from
# live ones (the C# integration tests use the same scheme); interfaces are mpit<8 hex>, unique
# machine-wide because /var/run/wireguard is shared by all namespaces.

MPNS_NAMESPACES=()
MPNS_PIDS=()
MPNS_SOCKETS=()

mpns_rand() { od -An -N4 -tx1 /dev/urandom | tr -d ' \n'; }

# Kills everything still inside namespace $1 and deletes it.
mpns_delete() {
  local pid
  for pid in $(ip netns pids "$1" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  ip netns del "$1" 2>/dev/null || true
}

# Removes namespaces of runs whose process is gone, and dead UAPI sockets of our interfaces.
mpns_sweep() {
  local ns owner sock
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^mpit-' || true); do
    owner=${ns#mpit-}; owner=${owner%%-*}
    [[ $owner =~ ^[0-9]+$ ]] || continue
    [[ -d /proc/$owner ]] && continue
    mpns_delete "$ns"
  done
  for sock in /var/run/wireguard/mpit*.sock; do
    [[ -S $sock ]] || continue
    # A socket whose daemon died refuses connections; nc -U exits non-zero then.
    nc -U -z "$sock" 2>/dev/null || rm -f "$sock"
  done
}

# mpns_create ROLE -> REPLY=namespace name, lo up.
mpns_create() {
  REPLY="mpit-$$-$(mpns_rand | cut -c1-4)-$1"
  ip netns add "$REPLY"
  MPNS_NAMESPACES+=("$REPLY")
  ip -n "$REPLY" link set lo up
}

# mpns_veth NS_A NS_B ADDR_A/PFX ADDR_B/PFX -> REPLY="linkA linkB", both up.
mpns_veth() {
  local r; r=$(mpns_rand | cut -c1-4)
  local la="mpitv${r}a" lb="mpitv${r}b"
  ip link add "$la" netns "$1" type veth peer "$lb" netns "$2"
  ip -n "$1" addr add "$3" dev "$la"
  ip -n "$2" addr add "$4" dev "$lb"
  ip -n "$1" link set "$la" up
  ip -n "$2" link set "$lb" up
  REPLY="$la $lb"
}

mpns_ifname() { REPLY="mpit$(mpns_rand)"; }

# mpns_start_wg KIND NS IFNAME LOGFILE -> REPLY=pid of the daemon, once its TUN device and UAPI
# socket exist. KIND is wggo (wireguard-go), mp (meshports-node wg; path in $MESHPORTS_NODE) or mpno
# (meshports-node wg --no-offload: no TSO/GRO on the TUN, no UDP GSO/GRO).
# Returns 1 with a message on stderr when the daemon cannot be started.
mpns_start_wg() {
  local kind=$1 ns=$2 ifname=$3 log=$4 pid i
  case $kind in
    wggo) ip netns exec "$ns" env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 LOG_LEVEL=error \
            wireguard-go -f "$ifname" >"$log" 2>&1 &
          pid=$! ;;
    mp|mpno)
        if [[ -z ${MESHPORTS_NODE:-} || ! -x $MESHPORTS_NODE ]]; then
          echo "meshports-node not found at ${MESHPORTS_NODE:-<unset>}: run scripts/build.sh or set MESHPORTS_NODE" >&2
          return 1
        fi
        local extra=()
        [[ $kind == mpno ]] && extra=(--no-offload)
        ip netns exec "$ns" "$MESHPORTS_NODE" wg "$ifname" -f "${extra[@]}" >"$log" 2>&1 &
        pid=$! ;;
    *) echo "unknown peer kind $kind" >&2; return 1 ;;
  esac
  MPNS_PIDS+=("$pid")
  MPNS_SOCKETS+=("/var/run/wireguard/$ifname.sock")
  for ((i = 0; i < 150; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$kind daemon for $ifname exited early: $(tail -5 "$log" | tr '\n' ' ')" >&2
      return 1
    fi
    if [[ -S /var/run/wireguard/$ifname.sock ]] && ip -n "$ns" link show "$ifname" >/dev/null 2>&1; then
      REPLY=$pid
      return 0
    fi
    sleep 0.1
  done
  echo "$kind daemon did not create $ifname within 15 s: $(tail -5 "$log" | tr '\n' ' ')" >&2
  return 1
}

# Stops the daemons (SIGTERM, then SIGKILL after 3 s), deletes the namespaces and stale sockets.
mpns_cleanup() {
  local pid i ns
  for pid in "${MPNS_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 30; i++)); do
    local alive=0
    for pid in "${MPNS_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${MPNS_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for ns in "${MPNS_NAMESPACES[@]}"; do mpns_delete "$ns"; done
  for ns in "${MPNS_SOCKETS[@]}"; do rm -f "$ns"; done
  MPNS_PIDS=() MPNS_NAMESPACES=() MPNS_SOCKETS=()
}
