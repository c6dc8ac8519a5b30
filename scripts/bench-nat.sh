#!/usr/bin/env bash
# NAT and relay benchmark (issue #12, docs/nat.md). A coordinator (its embedded relay on) on a LAN,
# hosts a and b each behind their own NAT router (nft masquerade, scripts/lib/mesh.sh mesh_nat_host),
# both started without --endpoint. Prints one table:
#
#   1. grant -> first packet: a pings b every 20 ms from before `grant add`; t0 = just before meshctl
#      starts, t1 = the first echo reply (ping -D). Path at that time: the relay.
#   2. grant -> direct: first `status --json` on a that shows path direct to b (polled every 0.1 s).
#   3. fallback: UDP is dropped at a's NAT (both ways, running flows too); time from the block to the
#      first echo reply after the outage (the 20 ms ping keeps running), and the path then (relay/tls).
#   4. TCP throughput a -> b (iperf3, -t SECS): direct, then relay-UDP (only UDP between the two NATs
#      dropped, UDP to the coordinator passes), then relay-TLS (all UDP dropped at a's NAT); ratios to
#      direct. Relay CPU: coordinator process utime+stime (/proc/PID/stat) over each relayed transfer,
#      per GB received by iperf3.
#   5. PAIRS relayed pairs at once (plain LAN hosts whose UDP to each other is dropped, UDP to the
#      coordinator passes): every pair pings at 10/s for PING s at once; loss over all pairs.
#
#   6. relay load (scripts/lib/relay-load.sh, loopback, no root): RELAY_PAIRS pairs of simulated nodes
#      (meshports-loadtest relay: real enrollment, grants, tickets, TLS Hello, UDP frames) through one
#      standalone meshports-relay; direct loopback UDP vs the relay at the same rate: datagrams/s, Mbit/s,
#      loss, one-way p50/p99 and their ratios, relay CPU% and RSS.
#
# Usage: scripts/bench-nat.sh [--quick] [--pairs 20] [--secs 10]
#        scripts/bench-nat.sh --relay-load [--short] [--relay-pairs 200] [--rate 50[,100]] [--secs 10]
#   --relay-load  only section 6 (no root, under a minute); --short: 20 pairs, 5 s (about 30 s, CI-sized)
#   --quick   3 s transfers, 2 pairs, 5 s of pings (under 2 minutes); --pairs 200 for the full figure
#             (the LAN is a /24: at most 115 pairs next to a and b)
# Binaries: artifacts/bin (scripts/build.sh). Not run by CI. Root, iperf3, nftables, iputils-ping.
# Exit 0 when every step produced its figures, 1 when a step failed, 2 on usage.
set -euo pipefail
cd "$(dirname "$0")/.."
MESH_ROOT=$(pwd)
# shellcheck source=lib/relay-load.sh
source scripts/lib/relay-load.sh
relay_pairs=200 relay_rate=50 relay_secs=10
if [[ ${1:-} == --relay-load ]]; then
  shift
  while (($#)); do
    case $1 in
      --short) relay_pairs=20 relay_secs=5 ;;
      --relay-pairs) relay_pairs=$2; shift ;;
      --rate) relay_rate=$2; shift ;;
      --secs) relay_secs=$2; shift ;;
      *) echo "usage: scripts/bench-nat.sh --relay-load [--short] [--relay-pairs N] [--rate R[,R2]] [--secs S]" >&2; exit 2 ;;
    esac
    shift
  done
  relay_load_section "$relay_pairs" "$relay_secs" "$relay_rate"
  exit $?
fi
# shellcheck source=lib/deps.sh
source scripts/lib/deps.sh
meshports_install_deps
# shellcheck source=lib/mesh.sh
source scripts/lib/mesh.sh

pairs=20 secs=10 ping_secs=20 quick=0 pairs_set=0
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --pairs) pairs=$2; pairs_set=1; shift ;;
    --secs) secs=$2; shift ;;
    *) echo "usage: scripts/bench-nat.sh [--quick] [--pairs N] [--secs S]" >&2; exit 2 ;;
  esac
  shift
done
if ((quick)); then
  secs=3 ping_secs=5
  ((pairs_set)) || pairs=2
fi
if ((pairs > 115)); then
  echo "bench-nat: --pairs $pairs does not fit the /24 LAN (at most 115)" >&2
  exit 2
fi
trap mesh_cleanup EXIT
started=$SECONDS
log() { printf '[%3ds] %s\n' $((SECONDS - started)) "$*" >&2; }
in_ns() { local role=$1; shift; ip netns exec "${MESH_NS[$role]}" "$@"; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
declare -A FIG=()

# wait_path ROLE PEER WANT SECONDS: polls until ROLE's path to PEER is WANT ("direct", "relay",
# "relay/udp", "relay/tls"); returns 1 on timeout. REPLY stays mesh_peer_path's.
wait_path() {
  local deadline=$((SECONDS + $4)) p _e t
  while ((SECONDS < deadline)); do
    mesh_peer_path "$1" "$2"
    read -r p _e t _ <<<"$REPLY"
    [[ $p == "$3" || "$p/$t" == "$3" ]] && return 0
    sleep 0.1
  done
  return 1
}

# The first reply in a ping -D log at or after epoch $2: its timestamp.
first_reply_after() {
  awk -v t="$2" -F'[][]' '/bytes from/ && $2 + 0 >= t { print $2; exit }' "$1"
}

# After epoch $2, the first reply that follows a gap of more than 0.2 s (the outage's end).
reply_after_gap() {
  awk -v t="$2" -F'[][]' '/bytes from/ { if (prev != "" && $2 + 0 > t && $2 - prev > 0.2) { print $2; exit } prev = $2 }' "$1"
}

cpu_seconds() {
  local stat tck
  stat=$(cat "/proc/${MESH_PID[coordinator]}/stat")
  tck=$(getconf CLK_TCK)
  awk -v tck="$tck" '{ sub(/^.*\) /, ""); printf "%.3f", ($12 + $13) / tck }' <<<"$stat"
}

# iperf ROLE_FROM ADDR NAME: a -> ADDR:5201 for $secs; FIG[NAME]=Mbit/s, FIG[NAME.gb]=GB received,
# FIG[NAME.cpu]=coordinator CPU seconds over it.
iperf() {
  local out="$MESH_WORK/iperf-$3.json" c0 c1
  c0=$(cpu_seconds)
  if ! in_ns "$1" iperf3 -c "$2" -p 5201 -t "$secs" -J >"$out" 2>&1; then
    log "iperf3 $3 failed: $(head -c 300 "$out")"
    return 1
  fi
  c1=$(cpu_seconds)
  read -r FIG[$3] FIG[$3.gb] < <(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["end"]["sum_received"]
print("%.1f %.4f" % (e["bits_per_second"] / 1e6, e["bytes"] / 1e9))' "$out")
  FIG[$3.cpu]=$(sub "$c1" "$c0")
}

# Drops UDP between a's NAT and b's NAT only (both ways): direct dies, the relay's UDP still works.
block_direct_udp() {
  ip netns exec "${MESH_NAT_NS[a]}" nft insert rule ip meshports_nat site_forward ip daddr "${MESH_NAT_ADDR[b]}" meta l4proto udp drop
  ip netns exec "${MESH_NAT_NS[a]}" nft insert rule ip meshports_nat site_forward ip saddr "${MESH_NAT_ADDR[b]}" meta l4proto udp drop
}

mesh_init nat 10.79.0
mesh_coordinator_start
mesh_nat_host a
mesh_nat_host b
log "two nodes behind NATs (a ${MESH_NAT_ADDR[a]}, b ${MESH_NAT_ADDR[b]})"
a_join=$(mesh_ctl token create --name a --user bench --ttl 10m 2>/dev/null)
b_join=$(mesh_ctl token create --name b --tag server --ttl 10m 2>/dev/null)
in_ns b iperf3 -s -B 127.0.0.1 -p 5201 >"$MESH_WORK/iperf-server.log" 2>&1 &
MESH_PIDS+=($!)
mesh_node_up a "$a_join"
mesh_node_up b "$b_join" --expose 5201/tcp=iperf
b_ip=$(mesh_ctl nodes show b --json | sed -n 's/.*"overlayIp": *"\([^"]*\)".*/\1/p' | head -1)

# 1, 2: grant -> first packet, grant -> direct
in_ns a ping -D -i 0.02 -W 1 "$b_ip" >"$MESH_WORK/ping-a.out" 2>&1 &
ping_pid=$!
MESH_PIDS+=($ping_pid)
sleep 0.5
t0=$(now)
mesh_ctl grant add --from a --to b:5201/tcp --for 10m --reason bench-nat >/dev/null
t_ctl=$(now)
if wait_path a b direct 30; then
  FIG[direct]=$(sub "$(now)" "$t0")
else
  FIG[direct]=timeout
fi
first=$(first_reply_after "$MESH_WORK/ping-a.out" "$t0")
FIG[first]=${first:+$(sub "$first" "$t0")}
FIG[first]=${FIG[first]:-none}
FIG[ctl]=$(sub "$t_ctl" "$t0")
mesh_peer_path a b
read -r _ _ _ _ relayed_tx _ <<<"$REPLY"
FIG[first.relayed]=$relayed_tx
log "first packet ${FIG[first]} s, direct ${FIG[direct]} s (relayed before: $relayed_tx B)"

# 4a: direct throughput
iperf a "$b_ip" tput.direct || FIG[tput.direct]=failed

# 3: fallback when a's NAT drops all UDP
t_block=$(now)
mesh_nat_udp a off
if wait_path a b relay/tls 90; then FIG[fallback.path]=relay/tls; else FIG[fallback.path]="${REPLY%% *} (timeout)"; fi
for ((i = 0; i < 300; i++)); do
  back=$(reply_after_gap "$MESH_WORK/ping-a.out" "$t_block")
  [[ -n $back ]] && break
  sleep 0.1
done
FIG[fallback]=${back:+$(sub "$back" "$t_block")}
FIG[fallback]=${FIG[fallback]:-none}
log "fallback ${FIG[fallback]} s, path ${FIG[fallback.path]}"
kill "$ping_pid" 2>/dev/null || true

# 4c: relay-TLS throughput (all UDP still dropped)
iperf a "$b_ip" tput.tls || FIG[tput.tls]=failed

# 4b: relay-UDP: UDP back, but not between the NATs
mesh_nat_udp a on
block_direct_udp
if wait_path a b relay/udp 40; then
  iperf a "$b_ip" tput.udp || FIG[tput.udp]=failed
else
  FIG[tput.udp]="n/a (path stayed ${REPLY%% *}/$(cut -d' ' -f3 <<<"$REPLY"))"
fi
log "throughput direct ${FIG[tput.direct]}, relay-udp ${FIG[tput.udp]}, relay-tls ${FIG[tput.tls]} Mbit/s"

# 5: relayed pairs at once
log "starting $pairs relayed pairs"
pair_hosts=()
for ((p = 1; p <= pairs; p++)); do
  mesh_host "l$p" >/dev/null
  mesh_host "r$p" >/dev/null
  pair_hosts+=("l$p" "r$p")
done
for role in "${pair_hosts[@]}"; do
  # Only the coordinator answers UDP: pairs cannot go direct, so they stay on the relay's UDP.
  in_ns "$role" nft -f - <<EOF
table ip bench_nat {
  chain out { type filter hook output priority filter; policy accept; meta l4proto udp ip daddr != $MESH_SUBNET.1 drop; }
}
EOF
done
for ((p = 1; p <= pairs; p++)); do
  mesh_ctl token create --name "l$p" --user "bench$p" --ttl 10m 2>/dev/null >"$MESH_WORK/l$p.tok"
  mesh_ctl token create --name "r$p" --tag "srv$p" --ttl 10m 2>/dev/null >"$MESH_WORK/r$p.tok"
done
# Joins run 4 at a time: all at once starve a 2-core machine until meshctl's own calls time out.
pairs_ok=1 jobs_up=()
for role in "${pair_hosts[@]}"; do
  extra=()
  [[ $role == r* ]] && extra=(--expose 5201/tcp)
  (mesh_node_up "$role" "$(cat "$MESH_WORK/$role.tok")" "${extra[@]}" >/dev/null 2>&1) &
  jobs_up+=($!)
  if ((${#jobs_up[@]} >= 4)); then
    for j in "${jobs_up[@]}"; do wait "$j" || pairs_ok=0; done
    jobs_up=()
  fi
done
for j in "${jobs_up[@]}"; do wait "$j" || pairs_ok=0; done
((pairs_ok)) || log "some pair nodes did not join"
for ((p = 1; p <= pairs; p++)); do
  mesh_ctl grant add --from "l$p" --to "r$p:5201/tcp" --for 10m --reason bench-nat >/dev/null
done
log "pairs joined and granted at $((SECONDS - started)) s"
for ((p = 1; p <= pairs; p++)); do
  rip=$(mesh_ctl nodes show "r$p" --json | sed -n 's/.*"overlayIp": *"\([^"]*\)".*/\1/p' | head -1)
  wait_path "l$p" "r$p" relay 30 || log "pair $p: path ${REPLY%% *}"
  echo "$rip" >"$MESH_WORK/r$p.ip"
done
ping_jobs=()
for ((p = 1; p <= pairs; p++)); do
  in_ns "l$p" ping -i 0.1 -c $((ping_secs * 10)) -W 1 "$(cat "$MESH_WORK/r$p.ip")" >"$MESH_WORK/pair$p.ping" 2>&1 &
  ping_jobs+=($!)
done
for j in "${ping_jobs[@]}"; do wait "$j" || true; done
sent=0 recv=0 relayed_pairs=0
for ((p = 1; p <= pairs; p++)); do
  read -r s r < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$MESH_WORK/pair$p.ping")
  sent=$((sent + ${s:-0})) recv=$((recv + ${r:-0}))
  mesh_peer_path "l$p" "r$p"
  [[ ${REPLY%% *} == relay ]] && relayed_pairs=$((relayed_pairs + 1))
done
FIG[pairs.loss]=$(awk -v s="$sent" -v r="$recv" 'BEGIN { if (s == 0) print "n/a"; else printf "%.2f", 100 * (s - r) / s }')

# The table
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
pergb() { awk -v c="$1" -v g="$2" 'BEGIN { if (g + 0 > 0) printf "%.1f", c / g; else print "-" }'; }
printf '\nbench-nat (%s; transfers %d s, %d pairs, %s s of pings; %d s in all)\n' \
  "$([[ $quick == 1 ]] && echo quick || echo full)" "$secs" "$pairs" "$ping_secs" $((SECONDS - started))
printf '%-44s %s\n' "figure" "value"
printf '%-44s %s\n' "--------------------------------------------" "---------------------------"
printf '%-44s %s s (meshctl itself %s s; %s B relayed before direct)\n' "grant -> first packet (relay)" "${FIG[first]}" "${FIG[ctl]}" "${FIG[first.relayed]}"
printf '%-44s %s s\n' "grant -> direct path" "${FIG[direct]}"
printf '%-44s %s s (path then: %s)\n' "UDP blocked at a's NAT -> traffic back" "${FIG[fallback]}" "${FIG[fallback.path]}"
printf '%-44s %s Mbit/s\n' "TCP a -> b direct" "${FIG[tput.direct]}"
printf '%-44s %s Mbit/s (x%s of direct)\n' "TCP a -> b relay-UDP" "${FIG[tput.udp]}" "$(ratio "${FIG[tput.udp]}" "${FIG[tput.direct]}")"
printf '%-44s %s Mbit/s (x%s of direct)\n' "TCP a -> b relay-TLS" "${FIG[tput.tls]}" "$(ratio "${FIG[tput.tls]}" "${FIG[tput.direct]}")"
printf '%-44s %s CPU s/GB (%s s over %s GB)\n' "relay (coordinator) CPU, relay-UDP" "$(pergb "${FIG[tput.udp.cpu]:-}" "${FIG[tput.udp.gb]:-}")" "${FIG[tput.udp.cpu]:--}" "${FIG[tput.udp.gb]:--}"
printf '%-44s %s CPU s/GB (%s s over %s GB)\n' "relay (coordinator) CPU, relay-TLS" "$(pergb "${FIG[tput.tls.cpu]:-}" "${FIG[tput.tls.gb]:-}")" "${FIG[tput.tls.cpu]:--}" "${FIG[tput.tls.gb]:--}"
printf '%-44s %s%% loss (%d/%d pings; %d/%d pairs on the relay at the end)\n' "$pairs relayed pairs at once, 10 pings/s each" "${FIG[pairs.loss]}" $((sent - recv)) "$sent" "$relayed_pairs" "$pairs"
failed=0
for k in first direct fallback tput.direct tput.udp tput.tls; do
  [[ ${FIG[$k]} =~ ^[0-9.]+$ ]] || failed=1
done
((pairs_ok)) || failed=1

# 6: relay load on loopback (its own coordinator and relay)
((quick)) && relay_pairs=20 relay_secs=5
printf '\n'
relay_load_section "$relay_pairs" "$relay_secs" "$relay_rate" || failed=1
exit $failed
