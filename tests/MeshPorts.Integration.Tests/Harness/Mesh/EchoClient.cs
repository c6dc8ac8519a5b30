using System.Globalization;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>
/// One open TCP connection to an echo service that does a 64-byte round trip every 50 ms, printing
/// "ok N T" per round trip and, once, "ended KIND T" (KIND reset, eof, timeout or error:...) when the
/// connection stops working. A silent drop shows as "timeout" 5 s (or the given silence) later, never as a clean end.
/// </summary>
internal sealed class EchoClient
{
    private const string Script = """
        import socket, sys, time
        def now(): return "%.3f" % time.time()
        t = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
        try:
            c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
        except OSError as e:
            print("failed", type(e).__name__, now(), flush=True); sys.exit(1)
        c.settimeout(t); print("connected", now(), flush=True)
        n = 0; kind = None
        while kind is None:
            try:
                c.sendall(b"x" * 64); got = b""
                while len(got) < 64:
                    d = c.recv(64 - len(got))
                    if not d: kind = "eof"; break
                    got += d
                if kind is None:
                    n += 1; print("ok", n, now(), flush=True); time.sleep(0.05)
            except (ConnectionResetError, BrokenPipeError): kind = "reset"
            except socket.timeout: kind = "timeout"
            except OSError as e: kind = "error:" + type(e).__name__
        print("ended", kind, now(), flush=True)
        """;

    private readonly BackgroundProcess _process;

    private EchoClient(BackgroundProcess process, DateTimeOffset startedAt)
    {
        _process = process;
        StartedAt = startedAt;
    }

    /// <summary>Just before the client process started: any end a service saw after this is this connection's.</summary>
    public DateTimeOffset StartedAt { get; }

    public string Output => _process.Output;

    /// <summary>Connects from <paramref name="from"/> and waits for the first round trip.</summary>
    public static Task<EchoClient> ConnectAsync(MeshNetwork network, MeshHost from, string address, int port, CancellationToken ct) =>
        ConnectAsync((label, argv) => network.StartService(label, from, argv), network.Logs, from, address, port, ct);

    /// <summary>The same, started by <paramref name="start"/> (label, argv); <paramref name="logs"/> goes into the failure message.</summary>
    public static async Task<EchoClient> ConnectAsync(
        Func<string, IReadOnlyList<string>, BackgroundProcess> start, Func<string> logs, MeshHost from, string address, int port, CancellationToken ct,
        TimeSpan? silence = null)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var process = start(
            $"echo client {from.Role} -> {address}:{port}",
            [Python.Executable, "-u", "-c", Script, address, port.ToString(CultureInfo.InvariantCulture),
                (silence ?? TimeSpan.FromSeconds(5)).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)]);
        var client = new EchoClient(process, startedAt);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (client.RoundTrips == 0)
        {
            if (process.HasExited || client.End is not null || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"no round trip from {from.Role} to {address}:{port}:\n{process.Output}\n{logs()}");
            }

            await Task.Delay(50, ct);
        }

        return client;
    }

    public int RoundTrips => LastOk()?.Count ?? 0;

    public DateTimeOffset? LastRoundTripAt => LastOk()?.At;

    public TcpEnd? End => _process.Output.Split('\n').Select(TcpEnd.TryParse).OfType<TcpEnd>().FirstOrDefault();

    /// <summary>Waits for the "ended" line; null when the connection still works at the deadline.</summary>
    public async Task<TcpEnd?> WaitForEndAsync(TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (End is { } end)
            {
                return end;
            }

            await Task.Delay(50, ct);
        }

        return End;
    }

    private (int Count, DateTimeOffset At)? LastOk()
    {
        var lines = _process.Output.Split('\n');
        for (var i = lines.Length - 1; i >= 0; i--)
        {
            var parts = lines[i].Trim().Split(' ');
            if (parts is ["ok", var n, var at]
                && int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                && double.TryParse(at, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                return (count, DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)));
            }
        }

        return null;
    }
}
