using System.Globalization;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Harness.Nat;

/// <summary>
/// Plain-socket probes of the lab, one python3 script with subcommands run by `ip netns exec`: a
/// server that tells each UDP or TCP client the address and port it saw ("seen IP PORT"), a client
/// that asks from a fixed local port and then listens, a one-shot sender that spoofs nothing (it binds
/// the server's own address and port, SO_REUSEPORT, as the server itself would answer), and a hole
/// punch that sends to a peer's public endpoint until it hears back.
/// </summary>
internal static class NatProbe
{
    private const string Script = """
        import select, socket, sys, time
        def sock(kind, addr, port, reuse=True):
            s = socket.socket(socket.AF_INET, kind)
            if reuse:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            s.bind((addr, port)); return s
        def ep(text):
            a, p = text.rsplit(":", 1); return (a, int(p))
        cmd, args = sys.argv[1], sys.argv[2:]
        if cmd == "serve":
            port = int(args[0]); udp = [sock(socket.SOCK_DGRAM, a, port) for a in args[1:]]
            tcp = [sock(socket.SOCK_STREAM, a, port) for a in args[1:]]
            for t in tcp: t.listen(16)
            print("ready", flush=True)
            while True:
                r, _, _ = select.select(udp + tcp, [], [])
                for s in r:
                    local = "%s:%d" % s.getsockname()
                    if s in udp:
                        d, a = s.recvfrom(2048); s.sendto(b"seen %s %d" % (a[0].encode(), a[1]), a)
                        print("udp %s %d -> %s" % (a[0], a[1], local), flush=True)
                    else:
                        c, a = s.accept(); c.sendall(b"seen %s %d\n" % (a[0].encode(), a[1])); c.close()
                        print("tcp %s %d -> %s" % (a[0], a[1], local), flush=True)
        elif cmd == "ask":
            s = sock(socket.SOCK_DGRAM, "0.0.0.0", int(args[0]), reuse=False)
            timeout, listen = float(args[1]), float(args[2])
            for dest in args[3:]:
                d = ep(dest); s.sendto(b"ask", d); end = time.time() + timeout; answer = None
                while answer is None and time.time() < end:
                    r, _, _ = select.select([s], [], [], max(0, end - time.time()))
                    if r:
                        data, a = s.recvfrom(2048)
                        if a == d: answer = data.decode(errors="replace")
                print("reply %s %s" % (dest, answer) if answer else "noreply %s" % dest, flush=True)
            print("listening", flush=True); end = time.time() + listen
            while time.time() < end:
                r, _, _ = select.select([s], [], [], max(0, end - time.time()))
                if r:
                    data, a = s.recvfrom(2048); print("got %s %d %s" % (a[0], a[1], data.decode(errors="replace")), flush=True)
            print("done", flush=True)
        elif cmd == "send":
            s = sock(socket.SOCK_DGRAM, args[0], int(args[1])); s.sendto(args[4].encode(), (args[2], int(args[3])))
            print("sent", flush=True)
        elif cmd == "tcp":
            try:
                c = socket.create_connection(ep(args[0]), timeout=float(args[1])); print(c.recv(256).decode().strip(), flush=True)
            except OSError as e: print("failed %s" % type(e).__name__, flush=True)
        elif cmd == "punch":
            s = sock(socket.SOCK_DGRAM, "0.0.0.0", int(args[0]), reuse=False); peer = ep(args[1])
            end = time.time() + float(args[2]); name = args[3].encode(); got = False; after = 0; sent = 0
            while time.time() < end and after < 10:
                s.sendto(b"punch " + name, peer); sent += 1
                if got: after += 1
                r, _, _ = select.select([s], [], [], 0.05)
                while r:
                    data, a = s.recvfrom(2048)
                    if not got: print("got %s %d %s" % (a[0], a[1], data.decode(errors="replace")), flush=True)
                    got = True; r, _, _ = select.select([s], [], [], 0)
            print("sent %d" % sent, flush=True); print("punched" if got else "timeout", flush=True)
        """;

    /// <summary>Starts the "seen" server on UDP and TCP <paramref name="port"/> of each address and waits until it listens.</summary>
    public static async Task<BackgroundProcess> ServeAsync(NetNs ns, int port, IEnumerable<string> addresses, CancellationToken ct)
    {
        var process = ns.StartBackground([Python.Executable, "-u", "-c", Script, "serve", Text(port), .. addresses]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!process.Output.Contains("ready", StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the probe server in {ns.Name} did not get ready:\n{process.Output}");
            }

            await Task.Delay(50, ct);
        }

        return process;
    }

    /// <summary>From local UDP <paramref name="localPort"/>, asks each destination in turn what it saw.</summary>
    public static async Task<IReadOnlyList<UdpAnswer>> AskAsync(
        NetNs ns, int localPort, IReadOnlyList<string> destinations, TimeSpan timeout, CancellationToken ct)
    {
        var result = await ns.ExecAsync(
            [Python.Executable, "-u", "-c", Script, "ask", Text(localPort), Seconds(timeout), "0", .. destinations],
            ct,
            timeout * destinations.Count + TimeSpan.FromSeconds(20));
        var answers = UdpAnswer.ParseAll(result.Stdout);
        return result.Succeeded && answers.Count == destinations.Count
            ? answers
            : throw new InvalidOperationException($"the UDP ask probe failed: {result.Describe()}");
    }

    /// <summary>Like <see cref="AskAsync"/>, but keeps the socket open afterwards for <paramref name="listen"/>, printing "got IP PORT PAYLOAD" per datagram.</summary>
    public static BackgroundProcess StartAskAndListen(NetNs ns, int localPort, IReadOnlyList<string> destinations, TimeSpan timeout, TimeSpan listen) =>
        ns.StartBackground([Python.Executable, "-u", "-c", Script, "ask", Text(localPort), Seconds(timeout), Seconds(listen), .. destinations]);

    /// <summary>One datagram from the server's own <paramref name="source"/>:<paramref name="sourcePort"/>, as if the server sent it unasked.</summary>
    public static Task<string> SendFromAsync(NetNs ns, string source, int sourcePort, string destination, int destinationPort, string payload, CancellationToken ct) =>
        ns.ExecCheckedAsync([Python.Executable, "-u", "-c", Script, "send", source, Text(sourcePort), destination, Text(destinationPort), payload], ct);

    /// <summary>One TCP connect to the "seen" server: "seen IP PORT", or "failed KIND".</summary>
    public static async Task<string> TcpAsync(NetNs ns, string destination, TimeSpan timeout, CancellationToken ct)
    {
        var result = await ns.ExecAsync([Python.Executable, "-u", "-c", Script, "tcp", destination, Seconds(timeout)], ct, timeout + TimeSpan.FromSeconds(20));
        return result.Succeeded ? result.Stdout.Trim() : throw new InvalidOperationException($"the TCP probe failed: {result.Describe()}");
    }

    /// <summary>
    /// Sends "punch NAME" from local UDP <paramref name="localPort"/> to <paramref name="peer"/> every 50 ms
    /// for at most <paramref name="within"/>; prints "got IP PORT PAYLOAD" on the first datagram back, sends
    /// 10 more so the peer hears it too, then "punched" (or "timeout").
    /// </summary>
    public static BackgroundProcess StartPunch(NetNs ns, int localPort, string peer, TimeSpan within, string name) =>
        ns.StartBackground([Python.Executable, "-u", "-c", Script, "punch", Text(localPort), peer, Seconds(within), name]);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
