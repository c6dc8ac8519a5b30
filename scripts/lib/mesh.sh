# shellcheck shell=bash
# A small MeshPorts mesh inside network namespaces, for scripts/demo.sh and the benchmarks: a "lan"
# namespace holds a bridge and the coordinator, each host is a namespace on a veth to that bridge.
# Call mesh_cleanup from an EXIT trap: it kills what was started and deletes every namespace, even
# after a failure. Root required.
#
#   mesh_init TAG SUBNET          e.g. mesh_init demo 10.77.0   (namespaces mp<TAG>-<pid>-<role>)
#   mesh_host ROLE                adds host ROLE at the next address; REPLY=its underlay address
#   mesh_nat_host ROLE            adds host ROLE behind its own NAT router (nft masquerade): the router
#                                 takes the next LAN address (MESH_NAT_ADDR[ROLE], the public side), the
#                                 host 192.168.<n>.2 (MESH_ADDR[ROLE]); its node starts without --endpoint
#   mesh_nat_udp ROLE on|off      off: that NAT drops all forwarded UDP, running flows too (TCP passes)
#   mesh_coordinator_start        coordinator at SUBNET.1:7443, data in $MESH_WORK/coordinator
#   mesh_ctl ARGS...              meshctl against it
#   mesh_node_up ROLE JOIN ARGS…  `meshports-node up` on ROLE (ifname mp-ROLE-<n>), waits for its first serial
#   mesh_ns ROLE                  REPLY=namespace name of ROLE
#   mesh_ifname ROLE              REPLY=overlay interface of ROLE
#   mesh_node_stop ROLE           SIGTERM, wait for a clean exit
#   mesh_peer_path ROLE PEER      REPLY="PATH ENDPOINT TRANSPORT RTTMS RELAYEDTX RELAYEDRX" of PEER in
#                                 ROLE's status --json (- for a missing field; "absent - ..." when not listed)

MESH_NAMESPACES=()
MESH_PIDS=()
declare -A MESH_NS=() MESH_IF=() MESH_ADDR=() MESH_PID=() MESH_NAT_NS=() MESH_NAT_ADDR=()
MESH_NEXT_HOST=11

mesh_init() {
  MESH_TAG=$1
  MESH_SUBNET=$2
  MESH_ID=$$
  MESH_WORK=$(mktemp -d "/tmp/meshports-$MESH_TAG.XXXXXX")
  MESH_NODE=${MESHPORTS_NODE:-$MESH_ROOT/artifacts/bin/meshports-node}
  MESH_COORDINATOR=${MESHPORTS_COORDINATOR:-$MESH_ROOT/artifacts/bin/meshports-coordinator}
  MESH_CTL=${MESHCTL:-$MESH_ROOT/artifacts/bin/meshctl}
  local bin
  for bin in "$MESH_NODE" "$MESH_COORDINATOR" "$MESH_CTL"; do
    [[ -x $bin ]] || { echo "$bin is missing: run scripts/build.sh" >&2; return 1; }
  done
  local lan="mp$MESH_TAG-$MESH_ID-lan"
  ip netns add "$lan"
  MESH_NAMESPACES+=("$lan")
  MESH_NS[lan]=$lan
  ip -n "$lan" link set lo up
  ip -n "$lan" link add br0 type bridge
  ip -n "$lan" addr add "$MESH_SUBNET.1/24" dev br0
  ip -n "$lan" link set br0 up
}

mesh_ns() { REPLY=${MESH_NS[$1]}; }
mesh_ifname() { REPLY=${MESH_IF[$1]}; }

mesh_host() {
  local role=$1 ns="mp$MESH_TAG-$MESH_ID-$1" addr="$MESH_SUBNET.$MESH_NEXT_HOST"
  local n=$MESH_NEXT_HOST
  MESH_NEXT_HOST=$((MESH_NEXT_HOST + 1))
  ip netns add "$ns"
  MESH_NAMESPACES+=("$ns")
  ip -n "$ns" link set lo up
  ip link add "mpv$MESH_ID$n" netns "$ns" type veth peer "mpb$MESH_ID$n" netns "${MESH_NS[lan]}"
  ip -n "$ns" addr add "$addr/24" dev "mpv$MESH_ID$n"
  ip -n "$ns" link set "mpv$MESH_ID$n" up
  ip -n "${MESH_NS[lan]}" link set "mpb$MESH_ID$n" master br0
  ip -n "${MESH_NS[lan]}" link set "mpb$MESH_ID$n" up
  MESH_NS[$role]=$ns
  MESH_ADDR[$role]=$addr
  # Interface names are global (the UAPI and control sockets live in shared /var/run); keep them unique.
  MESH_IF[$role]="mp${role:0:6}$((MESH_ID % 10000))"
  REPLY=$addr
}

# The nft table of a NAT router, like a home router: the host's side masqueraded on the way out, only
# replies come back, nothing unsolicited reaches the router itself. $2=1 drops forwarded UDP (before
# the established rule, so running flows die too).
mesh_nat_rules() {
  local udp_block=""
  [[ $2 == 1 ]] && udp_block='    meta l4proto udp counter drop'
  ip netns exec "$1" nft -f - <<EOF
table ip meshports_nat
delete table ip meshports_nat
table ip meshports_nat {
  chain snat_out {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" masquerade
  }
  chain site_forward {
    type filter hook forward priority filter; policy drop;
$udp_block
    ct state established,related accept
    iifname "lan" oifname "wan" accept
  }
  chain wan_in {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state established,related accept
    iifname "wan" meta l4proto icmp accept
    iifname "wan" drop
  }
}
EOF
}

mesh_nat_host() {
  local role=$1 n=$MESH_NEXT_HOST
  local router="mp$MESH_TAG-$MESH_ID-$1-nat" ns="mp$MESH_TAG-$MESH_ID-$1" public="$MESH_SUBNET.$MESH_NEXT_HOST"
  local private="192.168.$n"
  MESH_NEXT_HOST=$((MESH_NEXT_HOST + 1))
  ip netns add "$router"
  MESH_NAMESPACES+=("$router")
  ip netns add "$ns"
  MESH_NAMESPACES+=("$ns")
  ip -n "$router" link set lo up
  ip -n "$ns" link set lo up
  # Links are created inside the namespaces: no name ever appears in the host namespace.
  ip link add wan netns "$router" type veth peer "mpb$MESH_ID$n" netns "${MESH_NS[lan]}"
  ip -n "${MESH_NS[lan]}" link set "mpb$MESH_ID$n" master br0
  ip -n "${MESH_NS[lan]}" link set "mpb$MESH_ID$n" up
  ip -n "$router" addr add "$public/24" dev wan
  ip -n "$router" link set wan up
  ip link add lan netns "$router" type veth peer eth0 netns "$ns"
  ip -n "$router" addr add "$private.1/24" dev lan
  ip -n "$router" link set lan up
  ip -n "$ns" addr add "$private.2/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$private.1"
  ip netns exec "$router" sysctl -qw net.ipv4.ip_forward=1
  mesh_nat_rules "$router" 0
  MESH_NS[$role]=$ns
  MESH_NAT_NS[$role]=$router
  MESH_NAT_ADDR[$role]=$public
  MESH_ADDR[$role]=$private.2
  MESH_IF[$role]="mp${role:0:6}$((MESH_ID % 10000))"
  REPLY=$private.2
}

mesh_nat_udp() {
  local block=0
  [[ $2 == off ]] && block=1
  mesh_nat_rules "${MESH_NAT_NS[$1]}" "$block"
}

mesh_coordinator_start() {
  local data="$MESH_WORK/coordinator" log="$MESH_WORK/coordinator.log" i
  ip netns exec "${MESH_NS[lan]}" "$MESH_COORDINATOR" --data "$data" --listen "$MESH_SUBNET.1:7443" \
    --public-url "https://$MESH_SUBNET.1:7443" >"$log" 2>&1 &
  MESH_PIDS+=($!)
  MESH_PID[coordinator]=$!
  export MESHCTL_CONFIG="$data/meshctl.conf"
  for ((i = 0; i < 300; i++)); do
    grep -q '^listening' "$log" 2>/dev/null && return 0
    kill -0 "${MESH_PID[coordinator]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "the coordinator did not come up; its log:" >&2
  cat "$log" >&2
  return 1
}

mesh_ctl() { ip netns exec "${MESH_NS[lan]}" "$MESH_CTL" "$@"; }

# Waits until `status --json` of ROLE reports a connected coordinator and a serial > 0.
mesh_node_wait() {
  local role=$1 i out
  for ((i = 0; i < 300; i++)); do
    out=$("$MESH_NODE" status --ifname "${MESH_IF[$role]}" --json 2>/dev/null || true)
    if [[ $out == *'"connected": true'* && $out != *'"serial": 0,'* ]]; then
      return 0
    fi
    kill -0 "${MESH_PID[$role]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "node $role did not join; its log:" >&2
  tail -20 "$MESH_WORK/$role.log" >&2
  return 1
}

mesh_node_up() {
  local role=$1 join=$2
  shift 2
  printf '%s' "$join" >"$MESH_WORK/$role.join"
  # A host behind a NAT has no address peers could reach: it finds its own (STUN) and reports it.
  local endpoint=(--endpoint "${MESH_ADDR[$role]}:51820")
  [[ -n ${MESH_NAT_NS[$role]:-} ]] && endpoint=()
  chmod 600 "$MESH_WORK/$role.join"
  ip netns exec "${MESH_NS[$role]}" env LOG_LEVEL="${MESH_LOG_LEVEL:-info}" "$MESH_NODE" up \
    --join-file "$MESH_WORK/$role.join" --name "$role" --ifname "${MESH_IF[$role]}" \
    --state "$MESH_WORK/state-$role" "${endpoint[@]}" "$@" >>"$MESH_WORK/$role.log" 2>&1 &
  MESH_PIDS+=($!)
  MESH_PID[$role]=$!
  mesh_node_wait "$role"
}

mesh_peer_path() {
  REPLY=$("$MESH_NODE" status --ifname "${MESH_IF[$1]}" --json 2>/dev/null | python3 -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    print("absent - - - 0 0"); sys.exit()
for p in doc.get("peers") or []:
    if p.get("name") == sys.argv[1]:
        print(" ".join(str(p.get(k) if p.get(k) is not None else "-") for k in ("path", "endpoint", "transport", "rttMs", "relayedTxBytes", "relayedRxBytes")))
        break
else:
    print("absent - - - 0 0")
' "$2")
}

mesh_node_stop() {
  local pid=${MESH_PID[$1]} i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

mesh_cleanup() {
  local pid ns
  for pid in "${MESH_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.5
  for ns in "${MESH_NAMESPACES[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  for ns in "${!MESH_IF[@]}"; do
    rm -f "/var/run/meshports/${MESH_IF[$ns]}.sock" "/var/run/wireguard/${MESH_IF[$ns]}.sock"
  done
  [[ -n ${MESH_KEEP_WORK:-} ]] || rm -rf "${MESH_WORK:-/nonexistent}"
}
