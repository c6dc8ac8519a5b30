using System.Text.RegularExpressions;

namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>One `dig` run inside a host's namespace: the reply's status and its answer addresses.</summary>
internal sealed partial record Dig(string Status, IReadOnlyList<string> Addresses, string Output)
{
    public static async Task<Dig> AskAsync(MeshHost host, string server, string name, CancellationToken ct, string type = "A")
    {
        var result = await host.Namespace.ExecAsync(
            ["dig", "+time=2", "+tries=1", "+noall", "+comments", "+answer", "@" + server, name, type], ct, TimeSpan.FromSeconds(10));
        var status = StatusLine().Match(result.Stdout) is { Success: true } m ? m.Groups[1].Value : "NO-REPLY";
        var addresses = result.Stdout.Split('\n')
            .Select(line => line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 5 && f[3] is "A" or "AAAA" && !f[0].StartsWith(';'))
            .Select(f => f[4])
            .ToList();
        return new Dig(status, addresses, result.Describe());
    }

    /// <summary>Asks until <paramref name="done"/> holds or <paramref name="within"/> passes; the last reply either way.</summary>
    public static async Task<(Dig Last, bool Done, DateTimeOffset At)> WaitAsync(
        MeshHost host, string server, string name, Func<Dig, bool> done, TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (true)
        {
            var dig = await AskAsync(host, server, name, ct);
            var now = DateTimeOffset.UtcNow;
            if (done(dig) || now > deadline)
            {
                return (dig, done(dig), now);
            }

            await Task.Delay(200, ct);
        }
    }

    [GeneratedRegex(@"status: ([A-Z]+)")]
    private static partial Regex StatusLine();
}
