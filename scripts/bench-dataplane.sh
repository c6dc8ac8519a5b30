#!/usr/bin/env bash
# Data-plane benchmark: two network namespaces over a veth pair, a userspace WireGuard daemon in each,
# iperf3/ping through the tunnel. Pairs (A-B, A sends) such as mp-mp, wggo-wggo, mp-wggo, wggo-mp, where
# mp is meshports-node ($MESHPORTS_NODE, else artifacts/bin/meshports-node), mpno the same with
# --no-offload (no TSO/GRO, no UDP GSO/GRO), and wggo is wireguard-go.
# All pairs run alternately in one invocation so they see the same machine load; a pair that cannot
# run (e.g. meshports-node not built yet) is reported as an error row, the others still run.
# Usage: scripts/bench-dataplane.sh [--pairs mp-mp,mpno-mpno,wggo-wggo,mp-wggo,wggo-mp] [--duration 10]
#          [--rounds 1] [--udp-rate 1G] [--ping-count 500]
# Exit 0 when every pair produced numbers, 1 when some pair failed (after printing the table), 2 on
# usage errors. Needs root, iproute2, wireguard-go, wireguard-tools, iperf3, iputils-ping, netcat.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=lib/netns.sh
source scripts/lib/netns.sh

pairs="mp-mp,mpno-mpno,wggo-wggo,mp-wggo,wggo-mp" duration=10 rounds=1 udp_rate=1G ping_count=500
while (($#)); do
  case $1 in
    --pairs) pairs=$2; shift ;;
    --duration) duration=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --udp-rate) udp_rate=$2; shift ;;
    --ping-count) ping_count=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) -eq 0 ]] || { echo "bench-dataplane.sh needs root (network namespaces, TUN)" >&2; exit 2; }
for tool in ip wg wireguard-go iperf3 ping nc ss; do
  command -v "$tool" >/dev/null || { echo "missing $tool: install it (scripts/lib/deps.sh lists the packages)" >&2; exit 2; }
done
export MESHPORTS_NODE=${MESHPORTS_NODE:-$root/artifacts/bin/meshports-node}
IFS=, read -ra pair_list <<<"$pairs"
for p in "${pair_list[@]}"; do
  [[ $p =~ ^(mp|mpno|wggo)-(mp|mpno|wggo)$ ]] || { echo "bad pair '$p': use KIND-KIND with KIND mp, mpno or wggo" >&2; exit 2; }
done

work=$(mktemp -d /tmp/mpit-bench.XXXXXX)
trap 'mpns_cleanup; rm -rf "$work"' EXIT
trap 'echo "interrupted: cleaning up" >&2; exit 130' INT TERM
mpns_sweep

# Underlay from 198.18.0.0/15 (RFC 2544 benchmarking), overlay from 100.96.0.0/16: no collisions.
UA=198.18.0.1 UB=198.18.0.2 OA=100.96.0.1 OB=100.96.0.2 PA=51801 PB=51802
clk_tck=$(getconf CLK_TCK)

# Runs a command as a background job and waits for it: bash runs the INT/TERM trap as soon as a signal
# arrives during `wait`, whereas a foreground child that handles SIGINT itself (ping) would swallow it.
run() { "$@" & wait $!; }
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
peak_rss_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
last_mbits() { awk '/receiver/ {for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") v = $(i - 1)} END {print v}' "$1"; }
udp_loss() { grep receiver "$1" | tail -1 | grep -oE '\([0-9.e+-]+%\)' | tr -d '()%'; }

declare -A sum count
record() { sum[$1,$2]=$(awk -v a="${sum[$1,$2]:-0}" -v b="$3" 'BEGIN {print a + b}'); count[$1,$2]=$((${count[$1,$2]:-0} + 1)); }
declare -A errors

# run_pair PAIR ROUND: one full measurement; on failure sets errors[PAIR] and returns 1.
run_pair() {
  local pair=$1 round=$2 ka=${1%-*} kb=${1#*-} nsa nsb ifa ifb pida pidb log=$work/$1.$2
  fail() { errors[$pair]="round $round: $1"; echo "  $pair: ERROR $1" >&2; return 1; }
  mpns_create a; nsa=$REPLY
  mpns_create b; nsb=$REPLY
  mpns_veth "$nsa" "$nsb" "$UA/24" "$UB/24"
  mpns_ifname; ifa=$REPLY
  mpns_ifname; ifb=$REPLY
  # Not in $(...): mpns_start_wg must run in this shell, its pid list feeds the cleanup trap.
  mpns_start_wg "$ka" "$nsa" "$ifa" "$log.a.log" 2>"$log.err" || { fail "A ($ka): $(cat "$log.err")"; return 1; }
  pida=$REPLY
  mpns_start_wg "$kb" "$nsb" "$ifb" "$log.b.log" 2>"$log.err" || { fail "B ($kb): $(cat "$log.err")"; return 1; }
  pidb=$REPLY
  local ka_priv kb_priv ka_pub kb_pub
  ka_priv=$(wg genkey); kb_priv=$(wg genkey); ka_pub=$(wg pubkey <<<"$ka_priv"); kb_pub=$(wg pubkey <<<"$kb_priv")
  ip netns exec "$nsa" wg set "$ifa" private-key <(echo "$ka_priv") listen-port $PA \
    peer "$kb_pub" allowed-ips $OB/32 endpoint $UB:$PB 2>"$log.err" || { fail "wg set on A: $(cat "$log.err")"; return 1; }
  ip netns exec "$nsb" wg set "$ifb" private-key <(echo "$kb_priv") listen-port $PB \
    peer "$ka_pub" allowed-ips $OA/32 endpoint $UA:$PA 2>"$log.err" || { fail "wg set on B: $(cat "$log.err")"; return 1; }
  ip -n "$nsa" addr add $OA/24 dev "$ifa" && ip -n "$nsa" link set "$ifa" up
  ip -n "$nsb" addr add $OB/24 dev "$ifb" && ip -n "$nsb" link set "$ifb" up
  run ip netns exec "$nsa" ping -n -q -c 3 -i 0.2 -W 2 $OB >/dev/null 2>&1 || { fail "no ping through the tunnel"; return 1; }

  # Latency first, on an idle tunnel.
  run ip netns exec "$nsa" ping -n -c "$ping_count" -i 0.01 -W 1 $OB >"$log.ping" 2>&1 || true
  local rtts p50 p99
  rtts=$(grep -oE 'time=[0-9.]+' "$log.ping" | cut -d= -f2 | sort -n)
  [[ -n $rtts ]] || { fail "ping produced no RTTs"; return 1; }
  p50=$(awk '{v[NR] = $1} END {i = int(NR * 0.50 + 0.999); print v[i < 1 ? 1 : i]}' <<<"$rtts")
  p99=$(awk '{v[NR] = $1} END {i = int(NR * 0.99 + 0.999); print v[i < 1 ? 1 : i]}' <<<"$rtts")

  ip netns exec "$nsb" iperf3 -s -B $OB -p 5201 >"$log.server" 2>&1 &
  MPNS_PIDS+=("$!")
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -n $(ip netns exec "$nsb" ss -Hltn 'sport = :5201') ]] && break
    sleep 0.1
  done

  local cpu_a0 cpu_b0 bytes0 cpu_a1 cpu_b1 bytes1 t
  cpu_a0=$(cpu_ticks "$pida"); cpu_b0=$(cpu_ticks "$pidb")
  bytes0=$(ip netns exec "$nsa" wg show "$ifa" transfer | awk '{s += $2 + $3} END {printf "%.0f\n", s}')
  t=$((duration + 30))
  run timeout $t ip netns exec "$nsa" iperf3 -c $OB -p 5201 -t "$duration" -f m >"$log.tcp1" 2>&1 || { fail "iperf3 TCP 1 stream: $(tail -2 "$log.tcp1" | tr '\n' ' ')"; return 1; }
  run timeout $t ip netns exec "$nsa" iperf3 -c $OB -p 5201 -t "$duration" -f m -P 4 >"$log.tcp4" 2>&1 || { fail "iperf3 TCP 4 streams: $(tail -2 "$log.tcp4" | tr '\n' ' ')"; return 1; }
  run timeout $t ip netns exec "$nsa" iperf3 -c $OB -p 5201 -t "$duration" -f m -u -l 1400 -b "$udp_rate" >"$log.udp" 2>&1 || { fail "iperf3 UDP: $(tail -2 "$log.udp" | tr '\n' ' ')"; return 1; }
  cpu_a1=$(cpu_ticks "$pida"); cpu_b1=$(cpu_ticks "$pidb")
  bytes1=$(ip netns exec "$nsa" wg show "$ifa" transfer | awk '{s += $2 + $3} END {printf "%.0f\n", s}')

  record "$pair" tcp1 "$(last_mbits "$log.tcp1")"
  record "$pair" tcp4 "$(last_mbits "$log.tcp4")"
  record "$pair" udp "$(last_mbits "$log.udp")"
  record "$pair" loss "$(udp_loss "$log.udp")"
  record "$pair" p50 "$p50"
  record "$pair" p99 "$p99"
  # Per side, so a mixed pair shows each implementation's own cost: peak RSS in MB, and CPU seconds
  # per GB that crossed the tunnel (A's rx+tx of ciphertext) during the iperf3 runs.
  record "$pair" rssa "$(awk -v k="$(peak_rss_kb "$pida")" 'BEGIN {print k / 1024}')"
  record "$pair" rssb "$(awk -v k="$(peak_rss_kb "$pidb")" 'BEGIN {print k / 1024}')"
  local side c
  for side in a b; do
    if [[ $side == a ]]; then c=$((cpu_a1 - cpu_a0)); else c=$((cpu_b1 - cpu_b0)); fi
    record "$pair" "cpu$side" "$(awk -v c=$c -v h="$clk_tck" -v b=$((bytes1 - bytes0)) 'BEGIN {print (b > 0 ? (c / h) / (b / 1e9) : 0)}')"
  done
  echo "  $pair: tcp1 $(last_mbits "$log.tcp1") tcp4 $(last_mbits "$log.tcp4") udp $(last_mbits "$log.udp") Mbit/s, loss $(udp_loss "$log.udp")%, rtt p50 $p50 p99 $p99 ms" >&2
}

for ((r = 1; r <= rounds; r++)); do
  for p in "${pair_list[@]}"; do
    echo "round $r: $p" >&2
    run_pair "$p" "$r" || true
    mpns_cleanup
  done
done

metrics=(tcp1 tcp4 udp loss p50 p99 rssa rssb cpua cpub)
headers=("TCP x1 Mbit/s" "TCP x4 Mbit/s" "UDP Mbit/s" "UDP loss %" "RTT p50 ms" "RTT p99 ms" "RSS A MB" "RSS B MB" "CPU A s/GB" "CPU B s/GB")
mean() { awk -v s="${sum[$1,$2]:-0}" -v n="${count[$1,$2]:-0}" 'BEGIN {if (n > 0) printf "%.3g", s / n; else print "-"}'; }

echo
echo "data plane, ${duration}s per iperf3 run, UDP 1400 B at $udp_rate, $ping_count pings, $rounds round(s) (means)"
printf '%-9s' pair; for h in "${headers[@]}"; do printf '|%14s' "$h"; done; echo
for p in "${pair_list[@]}"; do
  printf '%-9s' "$p"
  if [[ -z ${count[$p,tcp1]:-} ]]; then echo "| ERROR: ${errors[$p]:-no result}"; continue; fi
  for m in "${metrics[@]}"; do printf '|%14s' "$(mean "$p" $m)"; done
  echo
  [[ -n ${errors[$p]:-} ]] && echo "         (also failed: ${errors[$p]})"
done

others=0
for p in "${pair_list[@]}"; do [[ $p != wggo-wggo && -n ${count[$p,tcp1]:-} ]] && others=1; done
if [[ -n ${count[wggo-wggo,tcp1]:-} ]] && ((others)); then
  echo
  echo "ratio against wggo-wggo (throughput: higher is better; loss, RTT, RSS, CPU: lower is better)"
  printf '%-9s' pair; for h in "${headers[@]}"; do printf '|%14s' "$h"; done; echo
  for p in "${pair_list[@]}"; do
    [[ $p == wggo-wggo || -z ${count[$p,tcp1]:-} ]] && continue
    printf '%-9s' "$p"
    for m in "${metrics[@]}"; do
      printf '|%14s' "$(awk -v a="$(mean "$p" $m)" -v b="$(mean wggo-wggo $m)" 'BEGIN {if (b + 0 > 0) printf "%.2fx", a / b; else print "-"}')"
    done
    echo
  done
fi
failed=0
for p in "${pair_list[@]}"; do [[ -z ${count[$p,tcp1]:-} ]] && failed=1; done
exit $failed
