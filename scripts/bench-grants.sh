#!/usr/bin/env bash
# Grant benchmark (issue #4): how fast the node enforces a grant's end and start, and what a key
# rotation costs a live stream. A coordinator and two nodes (db, laptop) in network namespaces
# (scripts/lib/mesh.sh); UDP probes from scripts/tools/udp_probe.py. Method: docs/bench-grants.md.
#
#   1. expiry: N UDP grants laptop -> db ports 20000.. ending together (~AHEAD s from now); laptop
#      sends round-robin to every port at RATE pkt/s from 3 s before the first end to 3 s after the
#      last. Per grant: latency = send time of the first lost datagram (after which none arrived)
#      - expiresAt. Also: datagrams sent after expiresAt that arrived (leaks), sent before it and lost.
#   2. admission: ADDS times, laptop sends to a fresh port every 1 ms, then `grant add` for it:
#      t0 = just before meshctl starts, t1 = first datagram received on db. meshctl's own run time
#      is reported beside it.
#   3. rotation: a 1000/s UDP stream and a 20/s ping across `keys rotate --all`, until both nodes
#      report coordinator.keyRotations >= 1: sent / received / lost / reordered.
#
# Usage: scripts/bench-grants.sh [--grants 100] [--rate 20000] [--ahead 40] [--adds 20] [--parallel 4]
# Binaries: $MESHPORTS_NODE, $MESHPORTS_COORDINATOR, $MESHCTL (default artifacts/bin/, scripts/build.sh).
# Exit 0 when every step produced its figures (whatever they are), 1 when a step failed, 2 on usage.
# Root, iproute2, iputils-ping, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
MESH_ROOT=$(pwd)
# shellcheck source=lib/mesh.sh
source scripts/lib/mesh.sh

grants=100 rate=20000 ahead=40 adds=20 parallel=4
while (($#)); do
  case $1 in
    --grants) grants=$2; shift ;;
    --rate) rate=$2; shift ;;
    --ahead) ahead=$2; shift ;;
    --adds) adds=$2; shift ;;
    --parallel) parallel=$2; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for v in "$grants" "$rate" "$ahead" "$adds" "$parallel"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "options take positive whole numbers, got '$v'" >&2; exit 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "bench-grants.sh needs root (network namespaces, TUN)" >&2; exit 2; }
for tool in ip ping python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: scripts/lib/deps.sh installs it" >&2; exit 2; }
done

trap mesh_cleanup EXIT
trap 'echo "interrupted: cleaning up" >&2; exit 130' INT TERM
probe="$MESH_ROOT/scripts/tools/udp_probe.py"
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
now_ms() { local t=$EPOCHREALTIME; echo $((${t%.*} * 1000 + 10#${t#*.} / 1000)); }
# Starts "CMD..." in ROLE's namespace in the background; REPLY = its pid, which the cleanup trap kills.
# A plain command, not a function, is backgrounded so that $! is the program itself (ip netns exec
# execs it): a signal from `stop` then reaches it rather than a subshell.
bg_in() {
  local ns=${MESH_NS[$1]}
  shift
  ip netns exec "$ns" "$@" &
  REPLY=$!
  MESH_PIDS+=("$REPLY")
}
# Waits (up to $2 s) until file $1 contains the line pattern $3.
wait_for() {
  local i
  for ((i = 0; i < $2 * 100; i++)); do
    grep -q "$3" "$1" 2>/dev/null && return 0
    sleep 0.01
  done
  return 1
}
stop() { kill -"${2:-TERM}" "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
# Datagrams dropped on the way, outside the filter: laptop's TUN queue (its node not reading fast
# enough), db's TUN, db's UDP receive buffers.
drops() {
  local tx rx rcvbuf
  tx=$(ip netns exec "${MESH_NS[laptop]}" cat "/sys/class/net/${MESH_IF[laptop]}/statistics/tx_dropped")
  rx=$(ip netns exec "${MESH_NS[db]}" cat "/sys/class/net/${MESH_IF[db]}/statistics/rx_dropped")
  rcvbuf=$(ip netns exec "${MESH_NS[db]}" awk '/^Udp:/ { n++ } /^Udp:/ && n == 2 { print $6 }' /proc/net/snmp)
  echo "$tx $rx $rcvbuf"
}
rotations() {
  "$MESH_NODE" status --ifname "${MESH_IF[$1]}" --json 2>/dev/null |
    sed -n 's/.*"keyRotations": *\([0-9]*\).*/\1/p' | head -1
}

declare -A result=() failed=()
fail_step() { failed[$1]=$2; echo "   step $1 FAILED: $2" >&2; }
load_start=$(loadavg)
started=$SECONDS

echo "== mesh: coordinator, db, laptop (load $load_start)"
mesh_init grants 10.79.0
W=$MESH_WORK
audit_log=$W/coordinator/audit.jsonl
mesh_coordinator_start
mesh_host db >/dev/null
mesh_host laptop >/dev/null
db_join=$(mesh_ctl token create --name db --ttl 10m)
laptop_join=$(mesh_ctl token create --name laptop --ttl 10m)
mesh_node_up db "$db_join"
mesh_node_up laptop "$laptop_join"
db_ip=$(mesh_ctl nodes show db --json | sed -n 's/.*"overlayIp": *"\([^"]*\)".*/\1/p' | head -1)
[[ -n $db_ip ]] || { echo "no overlay address for db" >&2; exit 1; }
echo "   db is $db_ip on the overlay"

# --- 1. grant end -> first dropped packet -------------------------------------------------------
# create_expiring P0 AHEAD_MS: grants laptop -> db:P0..P0+grants-1/udp that all end ~AHEAD_MS from
# now. Each lasts the whole seconds left to that common target, less one meshctl round's time (the
# grant is stamped near the end of a meshctl run), so they end within ~1 s of it plus meshctl's
# jitter. A failed add (a deadline under load) is retried; if it had been stored after all, the port
# has two grants, and the later end counts (the audit has both). Returns 1 when creating them is
# too slow to finish before the target, with REPLY = ms per grant so far.
create_expiring() {
  local p0=$1 p1=$(($1 + grants - 1)) target t_start port n=0 pid pids=()
  t_start=$(now_ms)
  target=$((t_start + $2))
  add_expiring() {
    local port=$1 secs
    for _ in 1 2 3; do
      secs=$(((target - $(now_ms) - round_ms + 500) / 1000))
      ((secs >= 5)) || return 1
      mesh_ctl grant add --from laptop --to "db:$port/udp" --for "${secs}s" --reason bench-grants --json \
        >"$W/grant.$port.json" 2>&1 && return 0
      sleep 1
    done
    return 1
  }
  for ((port = p0; port <= p1; port++)); do
    if ((target - $(now_ms) - round_ms < 5000)); then
      wait "${pids[@]}" 2>/dev/null || true
      REPLY=$((($(now_ms) - t_start) / (n > 0 ? n : 1)))
      echo "   only $n grants made before the common end came near ($REPLY ms per grant)"
      return 1
    fi
    add_expiring "$port" &
    pids+=($!)
    n=$((n + 1))
    if ((${#pids[@]} >= parallel)); then
      wait "${pids[0]}" || true
      pids=("${pids[@]:1}")
    fi
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  echo "   $n grants created in $((($(now_ms) - t_start) / 1000)) s, $parallel meshctl at a time"
}

step_expiry() {
  local p0=20000 p1 pid pids=() rpid spid first last t_start attempt round_ms
  echo "== 1. $grants UDP grants ending together; $rate pkt/s round-robin across their ends (load $(loadavg))"
  # meshctl is a fresh .NET process per grant, seconds each on a loaded machine: time one round of
  # $parallel concurrent calls and leave the grants 1.5 times the projected creation time plus 15 s.
  # If the load grows meanwhile, start over once on fresh ports with twice the rate seen so far.
  local ahead_ms=$((ahead * 1000))
  t_start=$(now_ms)
  for ((pid = 0; pid < parallel; pid++)); do mesh_ctl nodes list --json >/dev/null & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  round_ms=$(($(now_ms) - t_start))
  # shellcheck disable=SC2017 # rounds of meshctl: the division rounds up on purpose
  if (((grants + parallel - 1) / parallel * round_ms * 3 / 2 + 15000 > ahead_ms)); then
    ahead_ms=$(((grants + parallel - 1) / parallel * round_ms * 3 / 2 + 15000))
  fi
  echo "   $parallel concurrent meshctl take $round_ms ms: the grants end ~$((ahead_ms / 1000)) s from now"
  for attempt in 1 2; do
    create_expiring "$p0" "$ahead_ms" && break
    if ((attempt == 2)); then
      fail_step 1 "meshctl too slow to make $grants grants in time; raise --ahead (now $ahead)"
      return 1
    fi
    p0=$((p0 + grants))
    ahead_ms=$((grants * REPLY * 2 + 20000))
    echo "   again on ports $p0.., ending ~$((ahead_ms / 1000)) s from now"
  done
  p1=$((p0 + grants - 1))
  # meshctl prints times to the second; the coordinator's audit log (in the data dir this script
  # made) has each grant's notAfter to the millisecond, as the node enforces it.
  python3 "$probe" audit-grants "$audit_log" "$p0" "$p1" >"$W/exp.grants" || {
    fail_step 1 "only $(wc -l <"$W/exp.grants") of $grants grants were created; e.g. $(cat "$W"/grant.*.json | grep -m1 meshctl:)"
    return 1
  }
  bg_in db python3 "$probe" recv "$db_ip" "$p0-$p1" "$W/exp.recv" --max-seconds 600 >"$W/exp.recv.log" 2>&1
  rpid=$REPLY
  wait_for "$W/exp.recv.log" 20 listening || { fail_step 1 "the receiver did not start: $(cat "$W/exp.recv.log")"; return 1; }
  read -r first last < <(python3 "$probe" ends "$W/exp.grants")
  echo "   ends between $(date -u -d "@$first" +%T.%3N) and $(date -u -d "@$last" +%T.%3N)"
  if awk -v f="$first" -v n="$EPOCHREALTIME" 'BEGIN { exit !(f - 3 < n + 1) }'; then
    fail_step 1 "the first grant ends before the sender could start: raise --ahead (now $ahead)"
    stop "$rpid"
    return 1
  fi
  bg_in laptop python3 "$probe" send "$db_ip" "$p0-$p1" "$W/exp.sent" --rate "$rate" \
    --start "$(awk -v f="$first" 'BEGIN { printf "%.3f", f - 3 }')" \
    --until "$(awk -v l="$last" 'BEGIN { printf "%.3f", l + 3 }')" >"$W/exp.send.log" 2>&1
  spid=$REPLY
  local d0 d1 lead
  read -ra d0 < <(drops)
  # Handshake first: laptop has had no traffic to db, and the first datagrams of a 20k/s burst
  # would be lost while WireGuard makes a session (all of the first ~100 ms in a trial run).
  lead=$(awk -v f="$first" -v n="$EPOCHREALTIME" 'BEGIN { d = f - 5 - n; printf "%.3f", (d > 0 ? d : 0) }')
  sleep "$lead"
  ip netns exec "${MESH_NS[laptop]}" ping -c 3 -i 0.2 -W 1 "$db_ip" >"$W/exp.prime" 2>&1 || echo "   note: no reply to the priming ping"
  wait "$spid" || { fail_step 1 "the sender failed: $(cat "$W/exp.send.log")"; stop "$rpid"; return 1; }
  sleep 1
  stop "$rpid"
  read -ra d1 < <(drops)
  echo "outside_filter laptop_tun_tx_dropped=$((d1[0] - d0[0])) db_tun_rx_dropped=$((d1[1] - d0[1])) db_udp_rcvbuf_errors=$((d1[2] - d0[2]))" >"$W/exp.drops"
  sed 's/^/   sender: /' "$W/exp.send.log"
  python3 "$probe" expiry "$W/exp.sent" "$W/exp.recv" "$W/exp.grants" >"$W/exp.result" ||
    { cat "$W/exp.result"; fail_step 1 "no grant was seen to end"; return 1; }
  cat "$W/exp.drops" >>"$W/exp.result"
  sed 's/^/   /' "$W/exp.result"
  echo "   load after: $(loadavg)"
}

# --- 2. grant add -> first admitted packet ------------------------------------------------------
step_admission() {
  local p0=21000 p1=$((21000 + adds - 1)) port rpid spid t0 t1 t2 got
  echo "== 2. grant add -> first packet admitted, $adds times (load $(loadavg))"
  : >"$W/adm.first" ; : >"$W/adm.latency" ; : >"$W/adm.meshctl"
  bg_in db python3 "$probe" recv "$db_ip" "$p0-$p1" "$W/adm.recv" --first "$W/adm.first" >"$W/adm.recv.log" 2>&1
  rpid=$REPLY
  wait_for "$W/adm.recv.log" 20 listening || { fail_step 2 "the receiver did not start: $(cat "$W/adm.recv.log")"; return 1; }
  for ((port = p0; port <= p1; port++)); do
    bg_in laptop python3 "$probe" send "$db_ip" "$port" "$W/adm.sent.$port" --rate 1000 --seconds 60 \
      >"$W/adm.send.$port.log" 2>&1
    spid=$REPLY
    wait_for "$W/adm.send.$port.log" 20 sending || { fail_step 2 "the sender did not start"; stop "$spid"; return 1; }
    sleep 0.2
    if grep -q "^$port " "$W/adm.first"; then
      fail_step 2 "port $port received datagrams before its grant"; stop "$spid"; return 1
    fi
    t0=$EPOCHREALTIME
    mesh_ctl grant add --from laptop --to "db:$port/udp" --for 300s --reason bench-grants --json >"$W/adm.grant.$port" 2>&1 ||
      { fail_step 2 "grant add failed: $(head -3 "$W/adm.grant.$port")"; stop "$spid"; return 1; }
    t1=$EPOCHREALTIME
    wait_for "$W/adm.first" 15 "^$port " || { fail_step 2 "nothing reached port $port within 15 s of its grant"; stop "$spid"; return 1; }
    stop "$spid"
    got=$(sed -n "s/^$port //p" "$W/adm.first")
    t2=$(awk -v t0="$t0" -v r="$got" 'BEGIN { printf "%.1f", (r / 1e9 - t0) * 1000 }')
    echo "$t2" >>"$W/adm.latency"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >>"$W/adm.meshctl"
    echo "   port $port: first packet after $t2 ms (meshctl ran $(tail -1 "$W/adm.meshctl") ms)"
  done
  stop "$rpid"
  echo "   grant add -> first packet ms: $(python3 "$probe" stats "$W/adm.latency")"
  echo "   meshctl process alone ms:     $(python3 "$probe" stats "$W/adm.meshctl")"
  result[adm.stored]=$(python3 "$probe" admission "$audit_log" "$W/adm.first" "$p0" "$p1")
  echo "   grant stored -> first packet ms: ${result[adm.stored]}"
}

# --- 3. key rotation under a stream and a ping --------------------------------------------------
step_rotation() {
  local port=22000 rpid spid ppid a b t0 secs
  echo "== 3. keys rotate --all under a 1000/s UDP stream and a 20/s ping (load $(loadavg))"
  a=$(rotations db) b=$(rotations laptop)
  [[ ${a:-0} -eq 0 && ${b:-0} -eq 0 ]] || echo "   note: nodes had rotated before (db $a, laptop $b)"
  mesh_ctl grant add --from laptop --to "db:$port/udp" --for 600s --reason bench-grants >/dev/null ||
    { fail_step 3 "grant add failed"; return 1; }
  : >"$W/rot.first"
  bg_in db python3 "$probe" recv "$db_ip" "$port" "$W/rot.recv" --first "$W/rot.first" >"$W/rot.recv.log" 2>&1
  rpid=$REPLY
  wait_for "$W/rot.recv.log" 20 listening || { fail_step 3 "the receiver did not start"; return 1; }
  bg_in laptop python3 "$probe" send "$db_ip" "$port" "$W/rot.sent" --rate 1000 --seconds 300 >"$W/rot.send.log" 2>&1
  spid=$REPLY
  # Count only from a flowing stream: the first datagrams may still wait for the grant to land.
  wait_for "$W/rot.first" 20 "^$port " || { fail_step 3 "the stream never arrived"; stop "$spid"; return 1; }
  bg_in laptop ping -i 0.05 -W 1 "$db_ip" >"$W/rot.ping" 2>&1
  ppid=$REPLY
  sleep 1
  t0=$EPOCHREALTIME
  mesh_ctl keys rotate --all >"$W/rot.ctl" 2>&1 || { fail_step 3 "keys rotate failed: $(cat "$W/rot.ctl")"; stop "$spid"; stop "$ppid" INT; return 1; }
  # Each status call is a process start too: bound the wait by time, not by a count of calls.
  while (($(now_ms) < ${t0%.*} * 1000 + 60000)); do
    a=$(rotations db) b=$(rotations laptop)
    [[ ${a:-0} -ge 1 && ${b:-0} -ge 1 ]] && break
    sleep 0.1
  done
  secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  sleep 2
  stop "$spid"
  stop "$ppid" INT
  sleep 1
  stop "$rpid"
  [[ ${a:-0} -ge 1 && ${b:-0} -ge 1 ]] || { fail_step 3 "keyRotations still db=${a:-?} laptop=${b:-?} after 60 s"; return 1; }
  echo "   both nodes rotated within $secs s of the command (keyRotations db=$a laptop=$b)"
  result[rot.udp]=$(python3 "$probe" stream "$W/rot.sent" "$W/rot.recv")
  result[rot.ping]=$(python3 "$probe" pings "$W/rot.ping")
  result[rot.secs]=$secs
  echo "   udp:  ${result[rot.udp]}"
  echo "   ping: ${result[rot.ping]}"
}

step_expiry || true
step_admission || true
step_rotation || true

field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" "$2" 2>/dev/null | head -1; }
echo
echo "== bench-grants: load at start $load_start, at end $(loadavg); $((SECONDS - started)) s in all"
printf '%-44s %s\n' "figure" "value"
if [[ -s $W/exp.result && -z ${failed[1]:-} ]]; then
  printf '%-44s %s\n' "grant end -> first drop, ms ($grants grants)" "$(grep '^latency_ms' "$W/exp.result" | cut -d' ' -f2-)"
  printf '%-44s %s\n' "  same, + one-way delay (reached db), ms" "$(grep '^at_db_ms' "$W/exp.result" | cut -d' ' -f2-)"
  printf '%-44s %s\n' "  per-port sampling interval, ms" "$(grep '^sampling_ms' "$W/exp.result" | cut -d' ' -f2-)"
  printf '%-44s %s\n' "  achieved send rate, pkt/s" "$(field rate_pps "$W/exp.result") (asked $rate)"
  printf '%-44s %s\n' "  ends spread, ms" "$(field end_spread_ms "$W/exp.result") ($(field ends_within_1s_of_median "$W/exp.result") within 1 s of the median)"
  printf '%-44s %s\n' "  leaks (sent after end, received)" "$(field leaks "$W/exp.result")"
  printf '%-44s %s\n' "  early losses (sent before end, lost)" "$(field early_losses "$W/exp.result") ($(field early_losses_last_50ms "$W/exp.result") in the last 50 ms; of $(field sent_before_end "$W/exp.result"))"
  printf '%-44s %s\n' "  dropped outside the filter" "$(cut -d' ' -f2- "$W/exp.drops")"
else
  printf '%-44s %s\n' "grant end -> first drop" "FAILED: ${failed[1]:-no result}"
fi
if [[ -z ${failed[2]:-} ]]; then
  printf '%-44s %s\n' "grant add -> first packet, ms ($adds adds)" "$(python3 "$probe" stats "$W/adm.latency")"
  printf '%-44s %s\n' "  meshctl process alone, ms" "$(python3 "$probe" stats "$W/adm.meshctl")"
  printf '%-44s %s\n' "  grant stored (audit) -> first packet, ms" "${result[adm.stored]}"
else
  printf '%-44s %s\n' "grant add -> first packet" "FAILED: ${failed[2]}"
fi
if [[ -z ${failed[3]:-} ]]; then
  printf '%-44s %s\n' "key rotation, UDP 1000/s" "${result[rot.udp]}"
  printf '%-44s %s\n' "key rotation, ping 20/s" "${result[rot.ping]}"
  printf '%-44s %s\n' "  rotate -> both nodes switched, s" "${result[rot.secs]}"
else
  printf '%-44s %s\n' "key rotation" "FAILED: ${failed[3]}"
fi
((${#failed[@]} == 0))
