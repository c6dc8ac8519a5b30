#!/usr/bin/env bash
# The MeshPorts demo: identity-bound, time-limited access to an internal port, enforced on the node.
# On a fresh Debian machine as root. Everything stays on this machine: network namespaces stand in
# for the hosts db, laptop and ci, and for the LAN between them (where the coordinator runs).
#
#   1. build; start a coordinator (SQLite in a temporary directory)
#   2. db, laptop and ci join with join tokens; db runs a service bound to 127.0.0.1:5432 and
#      exposes it on the overlay only (--expose 5432/tcp); laptop sits behind a NAT (a router with
#      nft masquerade) and starts without --endpoint: it learns its public address by STUN
#   3. nobody gets in before a grant; a 45 s grant lets laptop in, through the coordinator's relay
#      first, then directly once a probe through the NAT is answered; ci, other ports and the
#      underlay stay refused
#   4. every node's key is rotated while a 20/s ping runs: no packet lost
#   5. the grant's end cuts laptop's open connection, on the node, within the second
#   6. the audit trail is printed and its hash chain verified; everything is cleaned up
#
# Usage: scripts/demo.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
MESH_ROOT=$(pwd)
# shellcheck source=lib/deps.sh
source scripts/lib/deps.sh
meshports_require_dotnet || exit 2
# shellcheck source=lib/mesh.sh
source scripts/lib/mesh.sh
meshports_install_deps
# The build's own progress on a terminal; otherwise (CI, a saved log) one timed line per program.
if [[ ${1:-} != --no-build ]]; then
  if [[ -t 1 ]]; then scripts/build.sh; else scripts/build.sh --quiet; fi
fi
trap mesh_cleanup EXIT
echo_tool="$MESH_ROOT/scripts/tools/tcp_echo.py"
# Colour only on a terminal, never with NO_COLOR set (https://no-color.org): a saved log stays plain.
if [[ -t 1 && -z ${NO_COLOR:-} ]]; then B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' N=$'\033[0m'; else B= G= R= N=; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
ok() { printf '   %sok%s  %s\n' "$G" "$N" "$*"; }
fail() { printf '   %sFAILED%s  %s\n' "$R" "$N" "$*"; exit 1; }
in_ns() { local role=$1; shift; ip netns exec "${MESH_NS[$role]}" "$@"; }
# probe ROLE HOST PORT: can ROLE open a TCP connection to HOST:PORT and get an echo? (2 s)
probe() { in_ns "$1" python3 "$echo_tool" probe "$2" "$3" 1; }
# watch_path ROLE PEER FILE SECONDS: one line "+S.SSs PATH ENDPOINT TRANSPORT RTT RELAYED-TX RELAYED-RX"
# each time ROLE's path to PEER (path, endpoint, transport) changes.
watch_path() {
  local start last="" now p e t
  start=$(date +%s.%N)
  while (($(date +%s) - ${start%.*} < $4)); do
    mesh_peer_path "$1" "$2"
    read -r p e t _ <<<"$REPLY"
    if [[ "$p $e $t" != "$last" ]]; then
      now=$(date +%s.%N)
      awk -v a="$now" -v b="$start" -v r="$REPLY" 'BEGIN { printf "+%.2fs %s\n", a - b, r }' >>"$3"
      last="$p $e $t"
    fi
    sleep 0.1
  done
}

say "a coordinator on the LAN, with its data in a temporary directory"
mesh_init demo 10.77.0
mesh_coordinator_start
grep -m1 'pin' "$MESH_WORK/coordinator.log" | sed 's/^/   /'

say "three hosts join: db (exposes 5432/tcp), laptop (user alice, behind a NAT) and ci (tag ci)"
mesh_host db
mesh_nat_host laptop
mesh_host ci
echo "   laptop is ${MESH_ADDR[laptop]} behind a NAT whose public address is ${MESH_NAT_ADDR[laptop]}; it starts without --endpoint"
db_join=$(mesh_ctl token create --name db --tag prod --ttl 10m)
laptop_join=$(mesh_ctl token create --name laptop --user alice --ttl 10m)
ci_join=$(mesh_ctl token create --name ci --tag ci --ttl 10m)
in_ns db python3 "$echo_tool" serve 127.0.0.1 5432 &
MESH_PIDS+=($!)
mesh_node_up db "$db_join" --expose 5432/tcp=postgres
mesh_node_up laptop "$laptop_join"
mesh_node_up ci "$ci_join"
mesh_ctl nodes list | sed 's/^/   /'
db_ip=$(mesh_ctl nodes show db --json | sed -n 's/.*"overlayIp": *"\([^"]*\)".*/\1/p' | head -1)
echo "   db's service listens on 127.0.0.1:5432 only; its overlay address is $db_ip"

say "before any grant: deny by default"
probe laptop "$db_ip" 5432 && fail "laptop reached db:5432 without a grant" || ok "laptop -> db:5432 refused (no grant)"

say "grant laptop 45 seconds of db:5432/tcp"
mesh_ctl grant add --from laptop --to db:5432/tcp --for 45s --reason "demo: debug a slow query" | sed 's/^/   /'
watch_path laptop db "$MESH_WORK/path.out" 40 2>/dev/null &
MESH_PIDS+=($!)
granted_until=$(mesh_ctl grant list --json | sed -n 's/.*"expiresAt": *"\([^"]*\)".*/\1/p' | tail -1)  # RFC 3339, ms
for i in $(seq 50); do probe laptop "$db_ip" 5432 && break; sleep 0.1; done
probe laptop "$db_ip" 5432 && ok "laptop -> $db_ip:5432 (overlay) works" || fail "laptop cannot reach db:5432 under its grant"

say "laptop's path to db, from status --json (since the grant: path endpoint transport rttMs)"
for i in $(seq 100); do grep -q ' direct ' "$MESH_WORK/path.out" 2>/dev/null && break; sleep 0.1; done
sed 's/^/   /' "$MESH_WORK/path.out"
# A switch faster than one status call shows only as bytes the relay carried before it.
mesh_peer_path laptop db
read -r _ _ _ _ relayed_tx relayed_rx <<<"$REPLY"
echo "   bytes laptop sent to db through the relay: $relayed_tx (received: $relayed_rx)"
grep -q ' relay ' "$MESH_WORK/path.out" || ((relayed_tx > 0)) && ok "laptop -> db went through the relay first" || fail "laptop never used the relay to db"
grep -q ' direct ' "$MESH_WORK/path.out" && ok "then direct, once a probe through the NAT was answered" || fail "laptop -> db never went direct"
mesh_peer_path db laptop
read -r db_path db_seen _ <<<"$REPLY"
echo "   db sees laptop: path $db_path, endpoint $db_seen"
[[ $db_seen == "${MESH_NAT_ADDR[laptop]}":* ]] && ok "laptop's endpoint at db is the NAT's public address (${db_seen})" \
  || fail "db's endpoint for laptop is $db_seen, not the NAT's ${MESH_NAT_ADDR[laptop]}"

say "laptop opens a connection and keeps it busy (it stays open until the grant ends)"
in_ns laptop python3 "$echo_tool" hold "$db_ip" 5432 120 >"$MESH_WORK/hold.out" 2>&1 &
hold_pid=$!
MESH_PIDS+=($hold_pid)
for i in $(seq 50); do grep -q connected "$MESH_WORK/hold.out" && break; sleep 0.1; done
grep -q connected "$MESH_WORK/hold.out" && ok "connection open" || fail "laptop's connection did not open: $(cat "$MESH_WORK/hold.out")"

say "everyone else stays out"
probe ci "$db_ip" 5432 && fail "ci reached db:5432 without a grant" || ok "ci -> $db_ip:5432 refused (no grant for ci)"
probe laptop "${MESH_ADDR[db]}" 5432 && fail "the service is reachable on the underlay" || ok "laptop -> ${MESH_ADDR[db]}:5432 (underlay) refused: nothing listens there"
probe laptop "$db_ip" 22 && fail "laptop reached db:22" || ok "laptop -> $db_ip:22 refused (the grant is for 5432 only)"

say "rotate every node's WireGuard key while laptop pings db 20 times a second"
in_ns laptop ping -i 0.05 -c 100 -W 1 "$db_ip" >"$MESH_WORK/ping.out" 2>&1 &
ping_pid=$!
sleep 1
mesh_ctl keys rotate --all | sed 's/^/   /'
wait "$ping_pid" || true
loss=$(sed -n 's/.*, \([0-9.]*\)% packet loss.*/\1/p' "$MESH_WORK/ping.out")
tail -2 "$MESH_WORK/ping.out" | sed 's/^/   /'
for i in $(seq 100); do
  rotated=$("$MESH_NODE" status --ifname "${MESH_IF[db]}" --json | sed -n 's/.*"keyRotations": *\([0-9]*\).*/\1/p')
  [[ ${rotated:-0} -ge 1 ]] && break
  sleep 0.2
done
[[ ${rotated:-0} -ge 1 ]] && ok "db switched to its new key (rotations: $rotated)" || fail "db did not rotate its key"
[[ $loss == 0 ]] && ok "no ping lost across the rotation" || fail "$loss% of pings lost across the rotation"
kill -0 "$hold_pid" 2>/dev/null && ok "laptop's open connection survived the rotation" || fail "the rotation broke laptop's connection: $(cat "$MESH_WORK/hold.out")"

say "the grant ends at $granted_until: the open connection is cut on the node"
wait "$hold_pid" || true
ended=$(grep ended "$MESH_WORK/hold.out" || true)
echo "   laptop's client: $ended"
end_epoch=$(date -d "$granted_until" +%s.%N)
cut_epoch=$(date -d "$(sed -n 's/.* at \([0-9TZ:.-]*\) .*/\1/p' <<<"$ended")" +%s.%N)
[[ $ended == *reset* || $ended == *eof* ]] || fail "the connection was not cut: $ended"
delay=$(awk -v a="$cut_epoch" -v b="$end_epoch" 'BEGIN { printf "%.3f", a - b }')
ok "connection reset ${delay} s after the grant's end"
probe laptop "$db_ip" 5432 && fail "laptop still reaches db after the grant" || ok "laptop -> db:5432 refused again"
"$MESH_NODE" status --ifname "${MESH_IF[db]}" | sed 's/^/   /'

say "the audit trail: who joined, what was granted, what ended (meshctl audit --type ...)"
# The whole trail is mostly delta.acked; these are the events a reviewer asks about.
mesh_ctl audit --type token.created,node.enrolled,grant.added,grant.expired,grant.ended,grant.revoked,key.rotated,flow.alert \
  | sed 's/^/   /'
mesh_ctl audit verify | sed 's/^/   /'

say "done; bringing the nodes down and cleaning up"
for role in db laptop ci; do mesh_node_stop "$role"; done
ok "all nodes down"
