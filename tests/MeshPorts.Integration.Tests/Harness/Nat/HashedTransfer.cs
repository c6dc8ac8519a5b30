using System.Globalization;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Harness.Nat;

/// <summary>
/// A TCP transfer with its proof: a sink that answers each connection with the sha256 of everything it
/// read, and a client that sends random bytes, half-closes, and compares the sink's hash with its own
/// ("ok BYTES SECONDS", "mismatch", or "failed KIND").
/// </summary>
internal static class HashedTransfer
{
    private const string Script = """
        import hashlib, os, socket, sys, time
        if sys.argv[1] == "sink":
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((sys.argv[2], int(sys.argv[3]))); s.listen(8); print("listening", flush=True)
            while True:
                c, _ = s.accept(); h = hashlib.sha256(); n = 0; c.settimeout(30)
                try:
                    while True:
                        d = c.recv(65536)
                        if not d: break
                        h.update(d); n += len(d)
                    c.sendall(h.hexdigest().encode()); print("received", n, flush=True)
                except OSError as e: print("sink error", type(e).__name__, flush=True)
                finally: c.close()
        else:
            addr, port, size, timeout = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
            data = os.urandom(size); start = time.time()
            try:
                c = socket.create_connection((addr, port), timeout=timeout); c.sendall(data); c.shutdown(socket.SHUT_WR)
                got = b""
                while True:
                    d = c.recv(256)
                    if not d: break
                    got += d
            except OSError as e: print("failed", type(e).__name__, flush=True); sys.exit(0)
            ok = got.decode() == hashlib.sha256(data).hexdigest()
            print("ok %d %.3f" % (size, time.time() - start) if ok else "mismatch %r" % got, flush=True)
        """;

    public static async Task<BackgroundProcess> StartSinkAsync(NatMesh mesh, NatHost host, string bindAddress, int port, CancellationToken ct)
    {
        var process = mesh.StartService(
            $"hash sink {bindAddress}:{port} on {host.Name}", host.Namespace, [Python.Executable, "-u", "-c", Script, "sink", bindAddress, Text(port)]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!process.Output.Contains("listening", StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the hash sink on {host.Name} did not listen on {bindAddress}:{port}:\n{process.Output}");
            }

            await Task.Delay(50, ct);
        }

        return process;
    }

    /// <summary>Sends <paramref name="bytes"/> from <paramref name="from"/>; retries until "ok ..." or the deadline, returning the last outcome.</summary>
    public static async Task<string> SendUntilOkAsync(NatHost from, string address, int port, int bytes, TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        var last = "(not tried)";
        while (DateTime.UtcNow < deadline)
        {
            var result = await from.Namespace.ExecAsync(
                [Python.Executable, "-u", "-c", Script, "send", address, Text(port), Text(bytes), "5"], ct, TimeSpan.FromSeconds(60));
            last = result.Succeeded ? result.Stdout.Trim() : result.Describe();
            if (last.StartsWith("ok ", StringComparison.Ordinal))
            {
                return last;
            }

            await Task.Delay(500, ct);
        }

        return last;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
