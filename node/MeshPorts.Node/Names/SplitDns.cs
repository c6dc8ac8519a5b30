using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Names;

/// <summary>
/// Split DNS through systemd-resolved, where it runs: NAME.SUFFIX queries on this host go to the node's
/// name server on its interface, everything else as before. Set at start and again when the coordinator's
/// suffix changes; <c>resolvectl revert</c> on dispose (down, SIGTERM, any exit of <c>up</c>). Elsewhere it
/// only logs what to add by hand (docs/node.md "Names").
/// </summary>
internal sealed class SplitDns : IDisposable
{
    /// <summary>systemd-resolved's varlink socket: present while it runs (sd_booted alone is not enough in containers).</summary>
    public const string ResolvedSocket = "/run/systemd/resolve/io.systemd.Resolve";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(5);

    private readonly string _interface;
    private readonly IPAddress _server;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private string? _suffix;
    private Task _pending = Task.CompletedTask;
    private bool _set;

    private SplitDns(string interfaceName, IPAddress server, ILogger logger)
    {
        _interface = interfaceName;
        _server = server;
        _logger = logger;
    }

    /// <summary>True when systemd-resolved answers on this host.</summary>
    public static bool ResolvedRunning() => File.Exists(ResolvedSocket);

    /// <summary>Routes ~<paramref name="suffix"/> to <paramref name="server"/> on the interface; null (and a hint logged) without systemd-resolved.</summary>
    public static SplitDns? Start(string interfaceName, IPAddress server, string suffix, ILogger logger)
    {
        if (!ResolvedRunning())
        {
            NameLog.NoResolved(logger, server.ToString(), suffix);
            return null;
        }

        var split = new SplitDns(interfaceName, server, logger);
        split.Route(suffix);
        return split;
    }

    /// <summary>Sets the route for <paramref name="suffix"/> if it changed; returns at once (the commands run in the background, one at a time).</summary>
    public void Route(string suffix)
    {
        lock (_lock)
        {
            if (suffix == _suffix)
            {
                return;
            }

            _suffix = suffix;
            _pending = _pending.ContinueWith(_ => Apply(suffix), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private void Apply(string suffix)
    {
        foreach (var args in SplitDnsCommands.Set(_interface, _server, suffix))
        {
            if (Run(args) is { } error)
            {
                NameLog.SplitDnsFailed(_logger, _interface, error);
                return;
            }
        }

        _set = true;
        NameLog.SplitDnsSet(_logger, _interface, suffix, _server.ToString());
    }

    public void Dispose()
    {
        Task pending;
        lock (_lock)
        {
            pending = _pending;
        }

        pending.Wait(CommandTimeout * 3);
        if (_set && Run(SplitDnsCommands.Revert(_interface)) is { } error)
        {
            NameLog.SplitDnsFailed(_logger, _interface, "revert: " + error);
        }
    }

    /// <summary>Runs resolvectl; null on success, else what went wrong.</summary>
    private static string? Run(string[] args)
    {
        var start = new ProcessStartInfo(SplitDnsCommands.Program)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(CommandTimeout))
            {
                process.Kill();
                return $"{SplitDnsCommands.Program} {string.Join(' ', args)} took over {CommandTimeout.TotalSeconds:0} s";
            }

            return process.ExitCode == 0 ? null : $"{SplitDnsCommands.Program} {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return $"cannot run {SplitDnsCommands.Program}: {ex.Message}";
        }
    }
}
