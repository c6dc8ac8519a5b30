using System.Net.Sockets;

namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// Removes what earlier, killed runs left behind: namespaces whose owning test process is gone and
/// UAPI sockets of our interfaces that nobody listens on any more. Runs of other processes that are
/// still alive (a parallel `scripts/test.sh`) are left alone.
/// </summary>
internal static class NetNsSweeper
{
    private const string UapiDirectory = "/var/run/wireguard";

    private static readonly Lazy<Task> Once = new(SweepAsync);

    public static Task EnsureSweptAsync() => Once.Value;

    /// <summary>One sweep; tests call it directly, everyone else through <see cref="EnsureSweptAsync"/>.</summary>
    public static async Task SweepAsync()
    {
        var list = await Command.RunAsync(["ip", "netns", "list"], CancellationToken.None, TimeSpan.FromSeconds(10));
        foreach (var line in list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ', 2)[0];
            if (UniqueNames.OwnerPid(name) is { } pid && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                await NetNs.DeleteAsync(name);
            }
        }

        if (!Directory.Exists(UapiDirectory))
        {
            return;
        }

        foreach (var socket in Directory.EnumerateFiles(UapiDirectory, UniqueNames.InterfacePrefix + "*.sock"))
        {
            if (!await IsListeningAsync(socket))
            {
                File.Delete(socket);
            }
        }
    }

    private static async Task<bool> IsListeningAsync(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            // Someone holds it but is slow; not ours to delete.
            return true;
        }
    }
}
