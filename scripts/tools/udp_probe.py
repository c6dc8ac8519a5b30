#!/usr/bin/env python3
"""UDP probes for scripts/bench-grants.sh: a paced sender and a multi-port receiver that timestamp
every datagram, and the analyses of their logs. All namespaces share the kernel clock, so the send
time carried in a datagram and the receive time taken on the other side are comparable.

Datagram payload: seq (u64), send time (i64 ns since the epoch), padding to --size bytes.

  udp_probe.py recv HOST PORTS OUT [--first FILE] [--max-seconds S]
      Bind HOST:PORT for every port in PORTS ("9000-9099" or "9000,9005"); until SIGTERM/SIGINT (or
      --max-seconds), record every datagram. OUT gets one line per datagram: "port seq send_ns recv_ns".
      --first FILE: also append "port recv_ns" (flushed) the first time a port receives anything.
  udp_probe.py send HOST PORTS OUT --rate PPS [--start EPOCH] [--until EPOCH | --seconds S]
      Send round-robin over PORTS at PPS datagrams/s in total, from --start (default now) until
      --until / --seconds / SIGTERM. Pacing catches up after a stall (a burst), so each datagram's
      own send time is what counts. OUT gets "seq port send_ns" per datagram.
  udp_probe.py expiry SENT RECV GRANTS      (GRANTS: lines "port expiresAt", RFC 3339 or epoch ms)
      Per grant: first_drop = send time of the first datagram to its port that was not received and
      after which none was; latency = first_drop - expiresAt; at_db = the same, plus the one-way delay
      of the last datagram let in on that port (when the dropped one likely reached db's filter).
      Prints key=value lines.
  udp_probe.py stream SENT RECV
      sent / received / lost / reordered (arrived after a higher seq) for one stream.
  udp_probe.py pings PING_OUTPUT
      the same four numbers from the output of `ping` (icmp_seq order).
  udp_probe.py audit-grants AUDIT FIRST LAST   "port expiresAt-ms" of the grants on ports FIRST..LAST
      from `meshctl audit --json` (JSON lines); exit 1 if a port has none
  udp_probe.py admission AUDIT FIRSTS FIRST LAST   stats of (first datagram on a port, from recv
      --first) - (the audit time its grant.added was stored), ms, for ports FIRST..LAST
  udp_probe.py ends GRANTS      "earliest latest" expiresAt of GRANTS, epoch seconds
  udp_probe.py stats FILE       n / p50 / p99 / max / min of the numbers in FILE (one a line)
"""
import argparse
import datetime
import json
import re
import select
import signal
import socket
import struct
import sys
import time

HEADER = struct.Struct("!Qq")


class Stop(Exception):
    pass


def on_signal(*_):
    raise Stop()


def parse_ports(text):
    ports = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            ports.extend(range(int(lo), int(hi) + 1))
        else:
            ports.append(int(part))
    return ports


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def big_buffers(sock, option, force_option):
    # As root SO_*BUFFORCE ignores net.core.[rw]mem_max: a stalled (loaded) reader then loses nothing
    # to its own socket buffer, so losses measured are the node's.
    try:
        sock.setsockopt(socket.SOL_SOCKET, force_option, 8 << 20)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, option, 8 << 20)


def recv(args):
    ports = parse_ports(args.ports)
    poller = select.epoll()
    socks = {}
    for port in ports:
        s = socket.socket(family_of(args.host), socket.SOCK_DGRAM)
        big_buffers(s, socket.SO_RCVBUF, 33)  # SO_RCVBUFFORCE, <asm-generic/socket.h>
        s.bind((args.host, port))
        s.setblocking(False)
        poller.register(s.fileno(), select.EPOLLIN)
        socks[s.fileno()] = (s, port)
    records = []
    seen = set()
    first = open(args.first, "a", encoding="ascii") if args.first else None
    deadline = time.time() + args.max_seconds
    print("listening", flush=True)
    try:
        while time.time() < deadline:
            for fd, _ in poller.poll(0.2):
                s, port = socks[fd]
                while True:
                    try:
                        data = s.recv(2048)
                    except BlockingIOError:
                        break
                    now = time.time_ns()
                    if len(data) < HEADER.size:
                        continue
                    seq, sent = HEADER.unpack_from(data)
                    records.append((port, seq, sent, now))
                    if first is not None and port not in seen:
                        seen.add(port)
                        first.write(f"{port} {now}\n")
                        first.flush()
    except Stop:
        pass
    with open(args.out, "w", encoding="ascii") as out:
        out.writelines(f"{p} {q} {t} {r}\n" for p, q, t, r in records)


def send(args):
    ports = parse_ports(args.ports)
    s = socket.socket(family_of(args.host), socket.SOCK_DGRAM)
    big_buffers(s, socket.SO_SNDBUF, 32)  # SO_SNDBUFFORCE
    start_ns = int((args.start or time.time()) * 1e9)
    if args.until:
        end_ns = int(args.until * 1e9)
    else:
        end_ns = start_ns + int(args.seconds * 1e9)
    interval = 1e9 / args.rate
    pad = b"\0" * max(0, args.size - HEADER.size)
    targets = [(args.host, p) for p in ports]
    n = len(targets)
    times = []
    errors = 0
    try:
        while time.time_ns() < start_ns:
            time.sleep(min(0.05, max(0.0, (start_ns - time.time_ns()) / 1e9)))
        print("sending", flush=True)
        seq = 0
        while True:
            now = time.time_ns()
            if now >= end_ns:
                break
            due = int((now - start_ns) / interval) + 1
            while seq < due:
                t = time.time_ns()
                try:
                    s.sendto(HEADER.pack(seq, t) + pad, targets[seq % n])
                except OSError:
                    errors += 1  # counted as sent: the receiver decides what arrived
                times.append(t)
                seq += 1
            wait = (start_ns + seq * interval - time.time_ns()) / 1e9
            if wait > 0:
                time.sleep(wait)
    except Stop:
        pass
    with open(args.out, "w", encoding="ascii") as out:
        out.writelines(f"{q} {ports[q % n]} {t}\n" for q, t in enumerate(times))
    if times:
        span = (times[-1] - times[0]) / 1e9
        rate = (len(times) - 1) / span if span > 0 else 0
        print(f"sent={len(times)} seconds={span:.3f} rate={rate:.0f} send_errors={errors}", flush=True)


def read_sent(path):
    with open(path, encoding="ascii") as f:
        return [tuple(int(x) for x in line.split()) for line in f]


def read_recv(path):
    with open(path, encoding="ascii") as f:
        return [tuple(int(x) for x in line.split()) for line in f]


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def rfc3339_ns(text):
    """RFC 3339 to ns since the epoch, keeping every fractional digit (datetime stops at µs)."""
    m = re.fullmatch(r"([^.]+?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text.strip())
    if not m:
        raise ValueError(f"not an RFC 3339 time: {text}")
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    whole = datetime.datetime.fromisoformat(m.group(1) + zone)
    return int(whole.timestamp()) * 10**9 + int(((m.group(2) or "") + "000000000")[:9])


def expiry(args):
    sent = read_sent(args.sent)  # (seq, port, send_ns)
    records = read_recv(args.recv)
    received = {(p, q) for p, q, _, _ in records}
    delay = {(p, q): r - t for p, q, t, r in records}  # one-way, send to receive
    grants = read_grants(args.grants)
    by_port = {}
    for seq, port, t in sent:
        by_port.setdefault(port, []).append((seq, t))
    latencies, at_db, gaps, missing = [], [], [], []
    leaks = early = early_near = 0
    for port, end in sorted(grants.items()):
        rows = by_port.get(port, [])
        got = [(port, seq) in received for seq, _ in rows]
        last = max((i for i, g in enumerate(got) if g), default=-1)
        if last + 1 >= len(rows) or last < 0:
            missing.append(port)  # never cut within the window, or nothing ever arrived
        else:
            first_drop = rows[last + 1][1]
            latencies.append((first_drop - end) / 1e6)
            # When the first dropped datagram reached db, had it been as slow as the last one let in:
            # queueing under load delays both, so this is closer to the filter's own decision time.
            at_db.append((first_drop + delay[(port, rows[last][0])] - end) / 1e6)
            gaps.append((first_drop - rows[last][1]) / 1e6)
        for (seq, t), g in zip(rows, got):
            if t >= end and g:
                leaks += 1
            elif t < end and not g:
                early += 1
                if end - t < 50_000_000:
                    early_near += 1
    ends = sorted(grants.values())
    all_times = [t for _, _, t in sent]
    span = (all_times[-1] - all_times[0]) / 1e9 if len(all_times) > 1 else 0
    print(f"grants={len(grants)} measured={len(latencies)} uncut_or_empty={len(missing)}"
          + (f" ({','.join(map(str, missing[:10]))})" if missing else ""))
    middle = ends[len(ends) // 2]
    near = sum(1 for e in ends if abs(e - middle) <= 1_000_000_000)
    print(f"end_spread_ms={(ends[-1] - ends[0]) / 1e6:.0f} ends_within_1s_of_median={near}")
    print(f"sent={len(sent)} received={len(received)} send_seconds={span:.2f} "
          f"rate_pps={(len(sent) - 1) / span if span else 0:.0f}")
    if latencies:
        print(f"latency_ms p50={percentile(latencies, 50):.1f} p99={percentile(latencies, 99):.1f} "
              f"max={max(latencies):.1f} min={min(latencies):.1f}")
        print(f"at_db_ms p50={percentile(at_db, 50):.1f} p99={percentile(at_db, 99):.1f} "
              f"max={max(at_db):.1f} min={min(at_db):.1f}")
        print(f"sampling_ms p50={percentile(gaps, 50):.1f} max={max(gaps):.1f}")
    before = sum(1 for _, port, t in sent if port in grants and t < grants[port])
    print(f"leaks={leaks} early_losses={early} early_losses_last_50ms={early_near} sent_before_end={before}")
    return 0 if latencies else 1


def read_grants(path):
    grants = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            if line.strip():
                port, when = line.split()
                grants[int(port)] = int(when) * 10**6 if when.isdigit() else rfc3339_ns(when)
    return grants


def audit_grants(args):
    """meshctl prints times to the second; the audit's grant.added carries notAfter in ms."""
    ends = {}
    with open(args.audit, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            event = json.loads(line)
            d = event.get("details") or {}
            if event.get("kind") == "grant.added" and args.first <= d.get("port", -1) <= args.last:
                # Two grants on one port (a retried add) admit until the later end.
                ends[d["port"]] = max(ends.get(d["port"], 0), int(d["expiresAt"]))
    for port in sorted(ends):
        print(port, ends[port])
    return 0 if len(ends) == args.last - args.first + 1 else 1


def admission(args):
    """From the coordinator storing each grant (audit time, ms) to its port's first datagram on db."""
    stored = {}
    with open(args.audit, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                event = json.loads(line)
                d = event.get("details") or {}
                if event.get("kind") == "grant.added" and args.first <= d.get("port", -1) <= args.last:
                    stored[d["port"]] = rfc3339_ns(event["time"])
    values = []
    with open(args.firsts, encoding="ascii") as f:
        for line in f:
            port, ns = (int(x) for x in line.split())
            if port in stored:
                values.append((ns - stored[port]) / 1e6)
    if not values:
        print("n=0")
        return 1
    print(f"n={len(values)} p50={percentile(values, 50):.0f} p99={percentile(values, 99):.0f} "
          f"max={max(values):.0f} min={min(values):.0f}")
    return 0


def ends(args):
    values = read_grants(args.grants).values()
    print(f"{min(values) / 1e9:.3f} {max(values) / 1e9:.3f}")


def stats(args):
    with open(args.values, encoding="ascii") as f:
        values = [float(line) for line in f if line.strip()]
    if not values:
        print("n=0")
        return 1
    print(f"n={len(values)} p50={percentile(values, 50):.0f} p99={percentile(values, 99):.0f} "
          f"max={max(values):.0f} min={min(values):.0f}")
    return 0


def stream(args):
    seqs = sorted({q for q, _, _ in read_sent(args.sent)})
    got = [q for _, q, _, _ in read_recv(args.recv)]
    report(len(seqs), got)


def pings(args):
    got = []
    with open(args.output, encoding="ascii", errors="replace") as f:
        text = f.read()
    for word in text.split():
        if word.startswith("icmp_seq="):
            got.append(int(word.split("=")[1]))
    transmitted = 0
    for line in text.splitlines():
        if "packets transmitted" in line:
            transmitted = int(line.split()[0])
    report(transmitted, got)


def report(sent, got):
    highest, reordered = -1, 0
    for q in got:
        if q < highest:
            reordered += 1
        highest = max(highest, q)
    unique = len(set(got))
    print(f"sent={sent} received={unique} lost={sent - unique} reordered={reordered} duplicates={len(got) - unique}")


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("recv")
    r.add_argument("host")
    r.add_argument("ports")
    r.add_argument("out")
    r.add_argument("--first")
    r.add_argument("--max-seconds", type=float, default=600)
    s = sub.add_parser("send")
    s.add_argument("host")
    s.add_argument("ports")
    s.add_argument("out")
    s.add_argument("--rate", type=float, required=True)
    s.add_argument("--start", type=float)
    s.add_argument("--until", type=float)
    s.add_argument("--seconds", type=float, default=600)
    s.add_argument("--size", type=int, default=64)
    e = sub.add_parser("expiry")
    e.add_argument("sent")
    e.add_argument("recv")
    e.add_argument("grants")
    st = sub.add_parser("stream")
    st.add_argument("sent")
    st.add_argument("recv")
    p = sub.add_parser("pings")
    p.add_argument("output")
    en = sub.add_parser("ends")
    en.add_argument("grants")
    ag = sub.add_parser("audit-grants")
    ag.add_argument("audit")
    ag.add_argument("first", type=int)
    ag.add_argument("last", type=int)
    ad = sub.add_parser("admission")
    ad.add_argument("audit")
    ad.add_argument("firsts")
    ad.add_argument("first", type=int)
    ad.add_argument("last", type=int)
    sa = sub.add_parser("stats")
    sa.add_argument("values")
    args = ap.parse_args()
    handler = {"recv": recv, "send": send, "expiry": expiry, "stream": stream, "pings": pings,
               "ends": ends, "stats": stats, "audit-grants": audit_grants, "admission": admission}[args.mode]
    sys.exit(handler(args) or 0)


if __name__ == "__main__":
    main()
