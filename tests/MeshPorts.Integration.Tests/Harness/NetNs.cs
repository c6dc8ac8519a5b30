namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// One network namespace this test run created. Disposal stops what was started in it, kills whatever
/// else still runs inside, and deletes it, so a failed test leaves nothing behind.
/// </summary>
internal sealed class NetNs : IAsyncDisposable
{
    private readonly List<BackgroundProcess> _processes = [];

    private NetNs(string name) => Name = name;

    public string Name { get; }

    public static async Task<NetNs> CreateAsync(string role, CancellationToken ct)
    {
        var ns = new NetNs(UniqueNames.Namespace(role));
        await Command.RunCheckedAsync(["ip", "netns", "add", ns.Name], ct);
        try
        {
            await ns.IpAsync(ct, "link", "set", "lo", "up");
        }
        catch
        {
            await ns.DisposeAsync();
            throw;
        }

        return ns;
    }

    /// <summary>Runs `ip -n NAME ARGS...`, failing with its output on a non-zero exit.</summary>
    public Task<string> IpAsync(CancellationToken ct, params string[] args) =>
        Command.RunCheckedAsync(["ip", "-n", Name, .. args], ct);

    public Task<CommandResult> ExecAsync(IReadOnlyList<string> argv, CancellationToken ct, TimeSpan? timeout = null, string? stdin = null) =>
        Command.RunAsync(["ip", "netns", "exec", Name, .. argv], ct, timeout, stdin);

    public Task<string> ExecCheckedAsync(IReadOnlyList<string> argv, CancellationToken ct, TimeSpan? timeout = null, string? stdin = null) =>
        Command.RunCheckedAsync(["ip", "netns", "exec", Name, .. argv], ct, timeout, stdin);

    /// <summary>Starts a long-running command inside; it is stopped when the namespace is disposed.</summary>
    public BackgroundProcess StartBackground(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string>? environment = null)
    {
        // `ip netns exec` execs the command, so the process we hold is the command itself.
        var process = BackgroundProcess.Start(["ip", "netns", "exec", Name, .. argv], environment);
        lock (_processes)
        {
            _processes.Add(process);
        }

        return process;
    }

    public async ValueTask DisposeAsync()
    {
        BackgroundProcess[] started;
        lock (_processes)
        {
            started = [.. _processes];
            _processes.Clear();
        }

        foreach (var process in started)
        {
            try
            {
                await process.DisposeAsync();
            }
            catch (Exception)
            {
                // Whatever survives is killed by DeleteAsync through `ip netns pids`.
            }
        }

        await DeleteAsync(Name);
    }

    /// <summary>Kills every process still inside the namespace, then deletes it.</summary>
    public static async Task DeleteAsync(string name)
    {
        try
        {
            var pids = await Command.RunAsync(["ip", "netns", "pids", name], CancellationToken.None, TimeSpan.FromSeconds(10));
            foreach (var pid in pids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await Command.RunAsync(["kill", "-KILL", pid], CancellationToken.None, TimeSpan.FromSeconds(5));
            }

            await Command.RunAsync(["ip", "netns", "del", name], CancellationToken.None, TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            // Cleanup is best effort; the sweeper of the next run removes what is left.
        }
    }
}
