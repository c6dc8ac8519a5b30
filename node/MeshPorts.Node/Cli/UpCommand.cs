using System.Net;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using MeshPorts.Contracts.Cli;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Contracts.Join;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Transport;
using MeshPorts.Native.Linux;
using MeshPorts.Node.Agent;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Daemon;
using MeshPorts.Node.Expose;
using MeshPorts.Node.Routing;
using MeshPorts.Node.StateDirectory;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Cli;

/// <summary>
/// <c>meshports-node up</c>: enroll (or reuse the identity in the state dir), then run the daemon in the
/// foreground until SIGTERM, SIGINT, <c>meshports-node down</c> or the interface's deletion.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class UpCommand
{
    private static readonly TimeSpan MaxEnrollBackoff = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, ILoggerFactory loggers)
    {
        var options = UpArguments.ParseUp(args);
        JoinString? join = null;
        if (options.Join is { } joinText)
        {
            if (!JoinString.TryDecode(joinText, out join, out var error))
            {
                throw new UsageException($"--join: {error}");
            }
        }

        // Checked before anything is created or discovered: a refused 'up' leaves no empty state directory behind.
        var store = new NodeStateStore(options.StateDirectory);
        if (join is null && !File.Exists(store.PathOf(NodeStateStore.EnrollmentFile)))
        {
            await Console.Error.WriteLineAsync($"meshports-node: {NodeEnrollment.NotEnrolled(store)}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        var logger = loggers.CreateLogger("meshports.up");
        using var stopping = new CancellationTokenSource();
        NodeDaemon? daemon = null;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
            daemon?.Stop(context.Signal.ToString());
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        IReadOnlyList<string> endpoints;
        try
        {
            endpoints = options.Endpoints.Count > 0
                ? await AdvertisedEndpoints.ResolveAsync(options.Endpoints, stopping.Token).ConfigureAwait(false)
                : HostEndpoints.Discover(options.ListenPort, options.InterfaceName);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }

        DaemonLog.Endpoints(logger, string.Join(", ", endpoints));
        var services = options.Expose.Select(e => new ExposedService
        {
            Port = e.Port,
            Protocol = e.Protocol == PortProtocol.Tcp ? Protocol.Tcp : Protocol.Udp,
            Name = e.Service ?? "",
        }).ToList();

        EnrolledIdentity enrolled;
        try
        {
            enrolled = await EnrollWithRetryAsync(store, join, options, services, endpoints, logger, stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is NodeStateException or CoordinatorException)
        {
            await Console.Error.WriteLineAsync($"meshports-node: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        using var machine = enrolled.Machine;
        var record = enrolled.Record;
        var clientLogger = loggers.CreateLogger<CoordinatorClient>();
        await using var link = new CoordinatorLink([.. record.Urls().Select(url => new CoordinatorClient(url, record.Pin, machine, TimeProvider.System, clientLogger))]);
        if (!record.IsComplete)
        {
            // Recovery after a crash between Enroll and node.json: the first snapshot says who we are.
            try
            {
                record = await CompleteFromSnapshotAsync(link, record, stopping.Token).ConfigureAwait(false);
                store.SaveEnrollment(record);
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Ok;
            }
            catch (CoordinatorException ex)
            {
                await Console.Error.WriteLineAsync($"meshports-node: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.Failed;
            }
        }

        var identity = ToIdentity(record, enrolled, store);
        try
        {
            daemon = new NodeDaemon(options, identity, link, new StateKeyStore(store), loggers, TimeProvider.System);
            if (stopping.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }

            return await daemon.RunAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"meshports-node: cannot bring up {options.InterfaceName}: {ex.Message}{PrivilegeHint(ex)}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
        finally
        {
            daemon?.Dispose();
        }
    }

    private static async Task<EnrolledIdentity> EnrollWithRetryAsync(
        NodeStateStore store,
        JoinString? join,
        UpOptions options,
        IReadOnlyList<ExposedService> services,
        IReadOnlyList<string> endpoints,
        ILogger logger,
        CancellationToken cancellation)
    {
        var schedule = new ReconnectSchedule(TimeSpan.FromSeconds(1), MaxEnrollBackoff, ReconnectSchedule.DefaultOutageMax);
        while (true)
        {
            try
            {
                return await NodeEnrollment.EnsureEnrolledAsync(store, join, options.Name, services, endpoints, TimeProvider.System, logger, cancellation).ConfigureAwait(false);
            }
            catch (CoordinatorException ex) when (ex.IsTransient)
            {
                // A coordinator that is restarting must not make systemd give up on the node.
                var delay = schedule.Next(ex);
                AgentLog.Disconnected(logger, ex.Message, DurationText.FormatApproximate(delay));
                await Task.Delay(delay, cancellation).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The first snapshot from the first replica that answers (a Watch only reads, so asking the next one is safe).</summary>
    private static async Task<EnrollmentRecord> CompleteFromSnapshotAsync(CoordinatorLink link, EnrollmentRecord record, CancellationToken cancellation)
    {
        var failures = new List<CoordinatorException>();
        for (var tried = 0; tried < link.ReplicaCount; tried++, link.MoveToNextReplica())
        {
            try
            {
                await foreach (var watchEvent in link.WatchAsync(0, cancellation).ConfigureAwait(false))
                {
                    if (watchEvent.EventCase == WatchEvent.EventOneofCase.Snapshot && watchEvent.Snapshot.Self is { } self)
                    {
                        return record.CompleteFrom(self);
                    }
                }
            }
            catch (CoordinatorException ex) when (ex.Kind == CoordinatorErrorKind.Unreachable)
            {
                failures.Add(ex);
            }
        }

        throw failures.Count > 0
            ? CoordinatorErrors.NoReplica(failures)
            : new CoordinatorException(CoordinatorErrorKind.Unreachable, "the coordinator closed the stream before sending this node's snapshot; start again");
    }

    private static NodeIdentity ToIdentity(EnrollmentRecord record, EnrolledIdentity enrolled, NodeStateStore store)
    {
        var prefixes = new List<IpPrefix>();
        foreach (var text in new[] { record.OverlayPrefixIpv4, record.OverlayPrefixIpv6 })
        {
            if (!string.IsNullOrEmpty(text) && IpPrefix.TryParse(text, out var prefix))
            {
                prefixes.Add(prefix);
            }
        }

        return new NodeIdentity
        {
            Name = record.Name!,
            CoordinatorUrl = new Uri(record.CoordinatorUrl),
            OverlayIpv4 = IPAddress.Parse(record.OverlayIpv4!),
            OverlayIpv6 = string.IsNullOrEmpty(record.OverlayIpv6) ? null : IPAddress.Parse(record.OverlayIpv6),
            OverlayPrefixes = prefixes,
            PrivateKey = enrolled.WireGuardKey,
            NextPrivateKey = store.LoadNextWireGuardKey(),
            KeyExpiresAt = record.KeyExpiresAt,
            KeyLifetime = record.KeyLifetimeSeconds is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromHours(1),
            Machine = enrolled.Machine,
        };
    }

    // Only a failure that root or a TUN device would fix gets that hint; a port in use names its own fix.
    private static string PrivilegeHint(Exception ex) =>
        ex is UnauthorizedAccessException || ex is NativeException { Errno: 1 or 2 or 13 or 19 }
            ? " (run as root, with /dev/net/tun)"
            : "";
}
