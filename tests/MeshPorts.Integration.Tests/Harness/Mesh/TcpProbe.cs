using System.Globalization;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>
/// One TCP connection attempt that sends a line and expects it back. The outcome is "echoed",
/// "accepted-eof"/"accepted-reset"/"accepted-timeout" (connected, but no echo), "refused", "timeout"
/// or "error:...".
/// </summary>
internal static class TcpProbe
{
    private const string Script = """
        import socket, sys
        t = float(sys.argv[3])
        try:
            c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=t)
        except ConnectionRefusedError: print("refused"); sys.exit(0)
        except socket.timeout: print("timeout"); sys.exit(0)
        except OSError as e: print("error:%s:%s" % (type(e).__name__, e)); sys.exit(0)
        try:
            c.settimeout(t); c.sendall(b"probe\n"); got = b""
            while len(got) < 6:
                d = c.recv(64)
                if not d: break
                got += d
            print("echoed" if got == b"probe\n" else ("accepted-eof" if not got else "accepted-garbled"))
        except (ConnectionResetError, BrokenPipeError): print("accepted-reset")
        except socket.timeout: print("accepted-timeout")
        except OSError as e: print("accepted-error:%s" % type(e).__name__)
        """;

    public static bool IsConnected(string outcome) =>
        outcome == "echoed" || outcome.StartsWith("accepted", StringComparison.Ordinal);

    public static async Task<string> ProbeAsync(MeshHost from, string address, int port, TimeSpan timeout, CancellationToken ct)
    {
        var seconds = timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var result = await from.Namespace.ExecAsync(
            [Python.Executable, "-c", Script, address, port.ToString(CultureInfo.InvariantCulture), seconds],
            ct,
            timeout * 2 + TimeSpan.FromSeconds(20));
        return result.Succeeded && result.Stdout.Trim().Length > 0
            ? result.Stdout.Trim()
            : throw new InvalidOperationException($"the TCP probe itself failed: {result.Describe()}");
    }

    /// <summary>Probes until the echo comes back; returns when it did, or the last outcome with false at the deadline.</summary>
    public static async Task<(bool Echoed, string Last, DateTimeOffset At)> WaitForEchoAsync(
        MeshHost from, string address, int port, TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        var last = "(not tried)";
        while (DateTimeOffset.UtcNow < deadline)
        {
            last = await ProbeAsync(from, address, port, TimeSpan.FromSeconds(2), ct);
            if (last == "echoed")
            {
                return (true, last, DateTimeOffset.UtcNow);
            }

            await Task.Delay(100, ct);
        }

        return (false, last, DateTimeOffset.UtcNow);
    }
}
