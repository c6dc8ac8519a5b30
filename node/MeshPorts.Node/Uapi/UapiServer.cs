using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Uapi;

/// <summary>
/// Serves the WireGuard cross-platform UAPI (https://www.wireguard.com/xplatform/) on a unix stream
/// socket, so stock wg(8) and wg-quick configure and inspect the device as they would wireguard-go.
/// Several requests may follow each other on one connection; connections are served concurrently,
/// but get and set are serialized against each other, as wireguard-go's ipcMutex does.
/// </summary>
internal sealed partial class UapiServer : IAsyncDisposable
{
    /// <summary>Where wg(8) looks for userspace implementations' sockets on Linux.</summary>
    public const string DefaultSocketDirectory = "/var/run/wireguard";

    /// <summary>The longest line accepted (a key line is 76 bytes; an IPv6 endpoint with scope under 80).</summary>
    public const int MaxLineLength = 4096;

    /// <summary>The largest set request accepted: thousands of peers, yet bounded memory per connection.</summary>
    public const int MaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>Connections served at once; more are closed on accept.</summary>
    public const int MaxConnections = 16;

    private const UnixFileMode DirectoryMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly IUapiDevice _device;
    private readonly ILogger _logger;
    private readonly Lock _deviceLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private long _malformedRequests;
    private int _stopped;

    public UapiServer(string socketPath, IUapiDevice device, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(logger);
        SocketPath = socketPath;
        _device = device;
        _logger = logger;
    }

    public string SocketPath { get; }

    /// <summary>For tests: called right after bind(2), to see what the socket's path shows at that moment.</summary>
    internal Action? AfterBind { get; init; }

    /// <summary>Requests that were not valid protocol (bad framing, bad values, oversized).</summary>
    public long MalformedRequests => Interlocked.Read(ref _malformedRequests);

    /// <summary>"/var/run/wireguard/IFNAME.sock", where wg(8) looks for the interface.</summary>
    public static string DefaultSocketPath(string interfaceName)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        if (interfaceName.Contains('/', StringComparison.Ordinal) || interfaceName is "." or "..")
        {
            throw new ArgumentException($"'{interfaceName}' is not an interface name.", nameof(interfaceName));
        }

        return Path.Combine(DefaultSocketDirectory, interfaceName + ".sock");
    }

    /// <summary>
    /// Creates the socket (directory 0755 if missing, socket 0700) and starts accepting. A stale
    /// socket file is replaced; a live one (something accepts connections on it) is an error, so two
    /// daemons never fight over one interface.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another process is serving the socket, or already started.</exception>
    /// <exception cref="IOException">The directory or socket file cannot be created.</exception>
    /// <exception cref="SocketException">Binding or listening failed.</exception>
    public void Start()
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows speaks the UAPI over \\.\pipe\WireGuard\IFNAME, which this server does not build.
            throw new PlatformNotSupportedException("The UAPI unix socket server runs on Linux and other Unix systems.");
        }

        if (_listener is not null || Volatile.Read(ref _stopped) != 0)
        {
            throw new InvalidOperationException("The UAPI server was already started.");
        }

        var directory = Path.GetDirectoryName(SocketPath);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, DirectoryMode);
        }

        if (File.Exists(SocketPath))
        {
            if (Io.UnixSocketProbe.IsLive(SocketPath))
            {
                throw new InvalidOperationException(
                    $"{SocketPath} is in use: another process serves this interface (stop it, or pick another interface name).");
            }

            File.Delete(SocketPath);
            UapiLog.StaleSocketRemoved(_logger, SocketPath);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // Owner-only from the start, as wireguard-go's bind under umask 077 gives.
            Io.UnixSocketFile.Bind(listener, SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, AfterBind);
            listener.Listen(32);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, _stopping.Token));
        UapiLog.Listening(_logger, SocketPath);
    }

    /// <summary>Stops accepting, closes open connections and removes the socket file.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        var listener = _listener;
        listener?.Dispose();
        foreach (var socket in _connections.Keys)
        {
            socket.Dispose();
        }

        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        if (listener is not null)
        {
            try
            {
                File.Delete(SocketPath);
            }
            catch (IOException)
            {
                // Already gone or not ours to delete; nothing to clean.
            }

            UapiLog.Stopped(_logger, SocketPath);
        }

        _stopping.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private void CountMalformed(string reason)
    {
        Interlocked.Increment(ref _malformedRequests);
        UapiLog.Malformed(_logger, reason);
    }
}
