using System.Globalization;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>
/// The real `meshctl`, run in the LAN namespace with the config the coordinator wrote, always with
/// --json where the tests read the answer.
/// </summary>
internal sealed class Meshctl(NetNs lan, string configPath)
{
    // meshctl is a .NET program; starting one on a loaded 2-core box has taken over 5 s.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public async Task<CommandResult> RunAsync(CancellationToken ct, params string[] args) =>
        await Command.RunAsync(
            ["ip", "netns", "exec", lan.Name, MeshPrograms.Meshctl(), .. args],
            ct,
            Timeout,
            environment: new Dictionary<string, string> { ["MESHCTL_CONFIG"] = configPath });

    public async Task<string> RunCheckedAsync(CancellationToken ct, params string[] args)
    {
        var result = await RunAsync(ct, args);
        return result.Succeeded ? result.Stdout : throw new InvalidOperationException(result.Describe());
    }

    /// <summary>The join string: the only thing `token create` prints on stdout.</summary>
    public async Task<string> TokenCreateAsync(string name, string? user, IReadOnlyList<string> tags, CancellationToken ct)
    {
        List<string> args = ["token", "create", "--name", name];
        if (user is not null)
        {
            args.AddRange(["--user", user]);
        }

        foreach (var tag in tags)
        {
            args.AddRange(["--tag", tag]);
        }

        var join = (await RunCheckedAsync(ct, [.. args])).Trim();
        return join.Length > 0 && !join.Contains('\n', StringComparison.Ordinal)
            ? join
            : throw new FormatException($"`meshctl token create` did not print one join string:\n{join}");
    }

    public async Task<MeshGrant> GrantAddAsync(string from, string to, TimeSpan duration, CancellationToken ct)
    {
        var seconds = string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalSeconds}s");
        var json = await RunCheckedAsync(ct, "grant", "add", "--from", from, "--to", to, "--for", seconds, "--json");
        return MeshJson.Parse<MeshGrant>(json, "grant add --json");
    }

    public async Task<MeshGrant> GrantRevokeAsync(string id, CancellationToken ct) =>
        MeshJson.Parse<MeshGrant>(await RunCheckedAsync(ct, "grant", "revoke", id, "--json"), "grant revoke --json");

    public async Task<IReadOnlyList<MeshNodeRecord>> NodesListAsync(CancellationToken ct) =>
        MeshJson.Parse<MeshNodeRecord[]>(await RunCheckedAsync(ct, "nodes", "list", "--json"), "nodes list --json");

    public Task<string> KeysRotateAllAsync(CancellationToken ct) => RunCheckedAsync(ct, "keys", "rotate", "--all", "--json");
}
