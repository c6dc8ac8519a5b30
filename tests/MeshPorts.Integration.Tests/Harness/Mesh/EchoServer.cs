using System.Globalization;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>
/// A TCP echo service, usually bound to 127.0.0.1 only: the kind of service `--expose` exists for. It prints
/// "accepted T" and "ended KIND T" (KIND eof, reset or error:...; T in Unix seconds) per connection,
/// so a test can tell when the service's end of a cut connection went away.
/// </summary>
internal sealed class EchoServer
{
    private const string Script = """
        import socket, sys, threading, time
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((sys.argv[2], int(sys.argv[1]))); s.listen(64)
        print("listening", flush=True)
        def serve(c):
            kind = "eof"
            try:
                while True:
                    d = c.recv(65536)
                    if not d: break
                    c.sendall(d)
            except (ConnectionResetError, BrokenPipeError): kind = "reset"
            except OSError as e: kind = "error:" + type(e).__name__
            finally:
                print("ended %s %.3f" % (kind, time.time()), flush=True); c.close()
        while True:
            c, _ = s.accept(); print("accepted %.3f" % time.time(), flush=True)
            threading.Thread(target=serve, args=(c,), daemon=True).start()
        """;

    private readonly BackgroundProcess _process;

    private EchoServer(BackgroundProcess process) => _process = process;

    public string Output => _process.Output;

    /// <summary>Starts it on <paramref name="bindAddress"/>: 127.0.0.1 for an exposed service, 0.0.0.0 for one like sshd.</summary>
    public static Task<EchoServer> StartAsync(MeshNetwork network, MeshHost host, int port, CancellationToken ct, string bindAddress = "127.0.0.1") =>
        StartAsync((label, argv) => network.StartService(label, host, argv), host, port, ct, bindAddress);

    /// <summary>The same, started by <paramref name="start"/> (label, argv) so any harness keeps its output for failure messages.</summary>
    public static async Task<EchoServer> StartAsync(
        Func<string, IReadOnlyList<string>, BackgroundProcess> start, MeshHost host, int port, CancellationToken ct, string bindAddress = "127.0.0.1")
    {
        var process = start(
            $"echo service {bindAddress}:{port} on {host.Role}",
            [Python.Executable, "-u", "-c", Script, port.ToString(CultureInfo.InvariantCulture), bindAddress]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!process.Output.Contains("listening", StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the echo service on {host.Role} did not start listening on {bindAddress}:{port}:\n{process.Output}");
            }

            await Task.Delay(50, ct);
        }

        return new EchoServer(process);
    }

    /// <summary>When connections of the service ended, in order.</summary>
    public IReadOnlyList<TcpEnd> Ends() =>
        [.. _process.Output.Split('\n').Select(TcpEnd.TryParse).OfType<TcpEnd>()];
}
