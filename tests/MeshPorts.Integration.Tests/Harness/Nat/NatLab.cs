using System.Globalization;

namespace MeshPorts.Integration.Tests.Harness.Nat;

/// <summary>
/// A small internet in namespaces: a "public" namespace with a bridge on 198.51.100.0/24 (RFC 5737
/// TEST-NET-2) holding the internet's servers (198.51.100.1, .2, .3: the coordinator, STUN or echo
/// servers), and sites, each a NAT router on that bridge (198.51.100.11, .12, ...) with hosts on a
/// private LAN behind it (10.77.SITE.0/24). Every namespace is named like the rest of the harness
/// (`mpit-PID-RAND-ROLE`), so parallel runs never collide and the sweeper removes a killed run's lab;
/// every link lives inside those namespaces, so disposal, even of a failed test, leaves nothing.
/// </summary>
internal sealed class NatLab : IAsyncDisposable
{
    public const string PublicSubnet = "198.51.100.";
    public const int PublicPrefixLength = 24;
    public const string PublicBridge = "inet";

    /// <summary>The internet's own addresses, all in <see cref="Public"/>: where the coordinator and servers listen.</summary>
    public static readonly IReadOnlyList<string> ServerAddresses = [PublicSubnet + "1", PublicSubnet + "2", PublicSubnet + "3"];

    private readonly List<NatSite> _sites = [];

    private NatLab(NetNs publicNet) => Public = publicNet;

    /// <summary>The internet: servers run here, with <see cref="ServerAddresses"/>.</summary>
    public NetNs Public { get; }

    public static string ServerAddress => ServerAddresses[0];

    public IReadOnlyList<NatSite> Sites => _sites;

    /// <summary>The public namespace and every site's, for cleanup checks.</summary>
    public IEnumerable<string> NamespaceNames => [Public.Name, .. _sites.SelectMany(s => s.NamespaceNames)];

    public static async Task<NatLab> CreateAsync(CancellationToken ct)
    {
        Prerequisites.Require();
        Prerequisites.RequireNatTools();
        await NetNsSweeper.EnsureSweptAsync();
        var lab = new NatLab(await NetNs.CreateAsync("natpub", ct));
        try
        {
            await lab.Public.IpAsync(ct, "link", "add", PublicBridge, "type", "bridge");
            foreach (var address in ServerAddresses)
            {
                await lab.Public.IpAsync(ct, "addr", "add", $"{address}/{PublicPrefixLength}", "dev", PublicBridge);
            }

            await lab.Public.IpAsync(ct, "link", "set", PublicBridge, "up");
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds a site: a router doing <paramref name="kind"/> NAT with <paramref name="hosts"/> hosts behind it.</summary>
    public async Task<NatSite> AddSiteAsync(NatKind kind, int hosts, CancellationToken ct)
    {
        if (_sites.Count >= 200)
        {
            throw new InvalidOperationException("the lab's address plan has room for 200 sites");
        }

        var site = await NatSite.CreateAsync(Public, PublicBridge, _sites.Count + 1, kind, hosts, ct);
        _sites.Add(site);
        return site;
    }

    /// <summary>Every router's live ruleset and mappings, for failure messages.</summary>
    public async Task<string> DescribeAsync(CancellationToken ct)
    {
        var text = new System.Text.StringBuilder();
        foreach (var site in _sites)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"=== site {site.Index} ({site.Router.Name}, {site.PublicAddress}, {site.Kind}, udp blocked {site.UdpBlocked}) ===");
            text.AppendLine(await site.RulesetAsync(ct));
            text.AppendLine((await site.Router.ExecAsync(["conntrack", "-L"], ct)).Stdout);
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var site in _sites)
        {
            await site.DisposeAsync();
        }

        await Public.DisposeAsync();
    }
}
