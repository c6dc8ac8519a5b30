using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using MeshPorts.Node.Daemon;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.LocalControl;

/// <summary>
/// The local control socket of <c>up</c>, <c>/var/run/meshports/IFNAME.sock</c>: one request line
/// (<c>status</c> or <c>down</c>) and one answer per connection. Root only: the directory is 0700 and
/// the socket 0600, so the kernel refuses everyone else before a byte is read.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ControlServer : IAsyncDisposable
{
    public const string DefaultDirectory = "/var/run/meshports";
    private const int MaxRequest = 64;

    private readonly Func<string> _status;
    private readonly Action _down;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task? _acceptLoop;

    public ControlServer(string socketPath, Func<string> status, Action down, ILogger logger)
    {
        SocketPath = socketPath;
        _status = status;
        _down = down;
        _logger = logger;
    }

    public string SocketPath { get; }

    /// <summary>For tests: called right after bind(2), to see what the socket's path shows at that moment.</summary>
    internal Action? AfterBind { get; init; }

    public static string PathFor(string interfaceName, string directory = DefaultDirectory) => Path.Combine(directory, interfaceName + ".sock");

    public void Start()
    {
        var directory = Path.GetDirectoryName(SocketPath)!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (File.Exists(SocketPath))
        {
            if (Io.UnixSocketProbe.IsLive(SocketPath))
            {
                throw new InvalidOperationException($"{SocketPath} is in use: a node daemon already runs this interface (meshports-node down, or pick another --ifname)");
            }

            File.Delete(SocketPath);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            Io.UnixSocketFile.Bind(listener, SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite, AfterBind);
            listener.Listen(8);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, _stopping.Token));
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellation).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(client, cancellation);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken cancellation)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var buffer = new byte[MaxRequest];
                var length = 0;
                while (length < buffer.Length && Array.IndexOf(buffer, (byte)'\n', 0, length) < 0)
                {
                    var read = await client.ReceiveAsync(buffer.AsMemory(length), timeout.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    length += read;
                }

                var request = Encoding.ASCII.GetString(buffer, 0, length).Trim();
                string answer;
                try
                {
                    answer = request switch
                    {
                        "status" => _status() + "\n",
                        "down" => "ok\n",
                        _ => "error unknown request; send 'status' or 'down'\n",
                    };
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A status that cannot be built must still get an answer, not a silent hang-up.
                    answer = $"error the daemon could not build its status: {ex.Message}\n";
                }

                await client.SendAsync(Encoding.UTF8.GetBytes(answer), timeout.Token).ConfigureAwait(false);
                if (request == "down")
                {
                    _down();
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException)
            {
                DaemonLog.ControlRequestFailed(_logger, ex.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        if (_listener is not null && File.Exists(SocketPath))
        {
            File.Delete(SocketPath);
        }

        _stopping.Dispose();
    }
}
