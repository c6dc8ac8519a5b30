using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using MeshPorts.Contracts.Cli;
using MeshPorts.Node.Device;
using MeshPorts.Node.Io;
using MeshPorts.Node.Uapi;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Cli;

/// <summary>
/// <c>meshports-node wg IFNAME [-f]</c>: bare userspace WireGuard, behaving like <c>wireguard-go IFNAME</c>.
/// Without <c>-f</c> it starts itself again in the background, waits until the interface and its UAPI
/// socket are ready, and returns, which is what <c>wg-quick</c> expects of a userspace implementation.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class WgCommand
{
    public const string Usage = "Usage: meshports-node wg IFNAME [-f|--foreground] [--no-offload]";

    /// <summary>Set to "off" (or "0") to run <c>wg</c> without offloads when a flag cannot be passed (wg-quick).</summary>
    public const string OffloadVariable = "MESHPORTS_OFFLOAD";

    // Set on the background child so it does not fork again.
    private const string ChildMarker = "MESHPORTS_WG_CHILD";

    public static async Task<int> RunAsync(string[] args, ILoggerFactory loggers)
    {
        var (name, foreground, noOffload) = Parse(args);
        var offloads = !noOffload && OffloadsAllowed(Environment.GetEnvironmentVariable(OffloadVariable));
        if (!foreground && Environment.GetEnvironmentVariable(ChildMarker) != "1")
        {
            return await StartInBackgroundAsync(name, offloads).ConfigureAwait(false);
        }

        return await RunForegroundAsync(name, offloads, loggers).ConfigureAwait(false);
    }

    /// <summary>True in the background process that <c>wg IFNAME</c> without <c>-f</c> starts.</summary>
    public static bool IsBackgroundChild => Environment.GetEnvironmentVariable(ChildMarker) == "1";

    /// <summary>
    /// Cuts the background process loose from its caller: a new session, and none of the caller's
    /// descriptors. Must run before anything touches <see cref="Console"/>, which dup()s the standard
    /// streams on first use.
    /// </summary>
    public static void DetachFromCaller()
    {
        // Leave the caller's session so a closing terminal or wg-quick's shell does not take us down.
        _ = Tmds.Linux.LibC.setsid();
        CloseInheritedDescriptors();
        if (!VerboseLogging())
        {
            // Like wireguard-go: without verbose logging a daemon writes nowhere, so it holds none of
            // the caller's pipes (a `$(...)` or a CI harness would wait for them forever).
            DetachStandardStreams();
        }
    }

    private static bool VerboseLogging() =>
        NodeCli.ParseLogLevel(Environment.GetEnvironmentVariable("LOG_LEVEL")) <= LogLevel.Debug;

    // Points the standard streams, and the runtime's own duplicates of them (it dup()s 0-2 at start
    // up, before any of our code runs), at /dev/null, so no descriptor of ours keeps the caller's
    // pipe or terminal. dup2 over the duplicates keeps their numbers valid for the runtime.
    private static unsafe void DetachStandardStreams()
    {
        var callers = new HashSet<string>(StringComparer.Ordinal);
        for (var std = 0; std <= 2; std++)
        {
            if (LinkTarget(std) is { } target)
            {
                callers.Add(target);
            }
        }

        var targets = new List<int> { 0, 1, 2 };
        foreach (var fd in OpenDescriptorsAboveStandard())
        {
            if (LinkTarget(fd) is { } target && callers.Contains(target))
            {
                targets.Add(fd);
            }
        }

        ReadOnlySpan<byte> path = "/dev/null\0"u8;
        fixed (byte* p = path)
        {
            var devnull = Tmds.Linux.LibC.open(p, Tmds.Linux.LibC.O_RDWR | Tmds.Linux.LibC.O_CLOEXEC);
            if (devnull < 0)
            {
                return;
            }

            foreach (var fd in targets)
            {
                _ = Tmds.Linux.LibC.dup2(devnull, fd);
            }

            _ = Tmds.Linux.LibC.close(devnull);
        }
    }

    // A snapshot, so callers may close or dup2 over descriptors while walking it.
    private static List<int> OpenDescriptorsAboveStandard()
    {
        var descriptors = new List<int>();
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var fd) && fd > 2)
            {
                descriptors.Add(fd);
            }
        }

        return descriptors;
    }

    private static string? LinkTarget(int fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Reads <see cref="OffloadVariable"/>: unset, "on" or "1" allow offloads, "off" or "0" do not.</summary>
    internal static bool OffloadsAllowed(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "on" or "1" => true,
        "off" or "0" => false,
        _ => throw new UsageException($"{OffloadVariable}='{value}' is not on or off"),
    };

    internal static (string Name, bool Foreground, bool NoOffload) Parse(string[] args)
    {
        string? name = null;
        var foreground = false;
        var noOffload = false;
        foreach (var arg in args)
        {
            switch (arg)
            {
                case "-f" or "--foreground":
                    foreground = true;
                    break;
                case "--no-offload":
                    noOffload = true;
                    break;
                case "-h" or "--help":
                    throw new UsageException(Usage);
                default:
                    if (arg.StartsWith('-'))
                    {
                        throw new UsageException($"unknown option '{arg}'. {Usage}");
                    }

                    if (name is not null)
                    {
                        throw new UsageException($"one interface name only, got '{name}' and '{arg}'. {Usage}");
                    }

                    name = arg;
                    break;
            }
        }

        if (name is null)
        {
            throw new UsageException($"missing interface name. {Usage}");
        }

        InterfaceNames.Validate(name);
        return (name, foreground, noOffload);
    }

    private static async Task<int> RunForegroundAsync(string name, bool offloads, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("meshports.wg");
        ITunDevice tun;
        try
        {
            tun = LinuxTunDevice.Create(name, offloads: offloads);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"meshports-node: cannot create TUN device {name}: {ex.Message} (run as root, and check /dev/net/tun exists)").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        using var device = new Device.Device(tun, new LinuxUdpTransportFactory(offloads), TimeProvider.System, loggers.CreateLogger<Device.Device>());
        device.Start();
        await using var uapi = new UapiServer(UapiServer.DefaultSocketPath(name), device, loggers.CreateLogger<UapiServer>());
        try
        {
            uapi.Start();
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"meshports-node: cannot serve the UAPI for {name}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.TrySetResult(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.TrySetResult(); });
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx => { ctx.Cancel = true; stop.TrySetResult(); });
        await Task.WhenAny(stop.Task, device.Closed).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    // The daemon must not keep the caller's pipes open (a `$(...)` or a test harness would wait for
    // them forever). Everything the runtime opens is close-on-exec, so a descriptor without that flag
    // was inherited from whoever started us: close it, as Go's wireguard-go does when it forks.
    private static void CloseInheritedDescriptors()
    {
        foreach (var fd in OpenDescriptorsAboveStandard())
        {
            var flags = Tmds.Linux.LibC.fcntl(fd, Tmds.Linux.LibC.F_GETFD, 0);
            if (flags >= 0 && (flags & Tmds.Linux.LibC.FD_CLOEXEC) == 0)
            {
                _ = Tmds.Linux.LibC.close(fd);
            }
        }
    }

    private static async Task<int> StartInBackgroundAsync(string name, bool offloads)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find my own executable");
        var start = new ProcessStartInfo(self) { UseShellExecute = false };

        // A framework-dependent build runs as `dotnet meshports-node.dll`; start it the same way.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "meshports-node.dll"));
        }

        start.ArgumentList.Add("wg");
        start.ArgumentList.Add(name);
        if (!offloads)
        {
            start.ArgumentList.Add("--no-offload");
        }

        start.Environment[ChildMarker] = "1";
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the background process");
        var socket = UapiServer.DefaultSocketPath(name);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (child.HasExited)
            {
                await Console.Error.WriteLineAsync($"meshports-node: the background process for {name} exited with code {child.ExitCode}").ConfigureAwait(false);
                return ExitCodes.Failed;
            }

            if (UnixSocketProbe.IsLive(socket))
            {
                return ExitCodes.Ok;
            }

            await Task.Delay(20).ConfigureAwait(false);
        }

        await Console.Error.WriteLineAsync($"meshports-node: {name} did not come up within 15 s").ConfigureAwait(false);
        return ExitCodes.Failed;
    }
}
