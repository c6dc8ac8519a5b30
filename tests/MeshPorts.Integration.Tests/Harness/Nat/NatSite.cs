using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshPorts.Integration.Tests.Harness.Nat;

/// <summary>
/// One site behind a NAT: a router namespace with "wan" on the lab's public net (its public address)
/// and a bridge "lan" for the site's private /24, and host namespaces on that bridge whose default
/// route is the router. The NAT kind, the UDP block, port forwards and the public port range can be
/// changed while traffic runs; <see cref="FlushMappingsAsync"/> forgets every mapping (a NAT reboot).
/// </summary>
internal sealed partial class NatSite : IAsyncDisposable
{
    public const string Wan = "wan";
    public const string Lan = "lan";
    private const int FirstHostOctet = 10;

    private readonly List<NatHost> _hosts = [];
    private readonly List<PortForward> _forwards = [];
    private readonly SemaphoreSlim _rules = new(1, 1);
    private int _rebinds;

    private NatSite(int index, NetNs router)
    {
        Index = index;
        Router = router;
    }

    /// <summary>1 for the lab's first site: its public address is 198.51.100.11, its LAN 10.77.1.0/24.</summary>
    public int Index { get; }

    public NetNs Router { get; }

    public string PublicAddress => string.Create(CultureInfo.InvariantCulture, $"{NatLab.PublicSubnet}{10 + Index}");

    public string LanSubnet => string.Create(CultureInfo.InvariantCulture, $"10.77.{Index}.");

    public string RouterLanAddress => LanSubnet + "1";

    public IReadOnlyList<NatHost> Hosts => _hosts;

    public NatKind Kind { get; private set; }

    public bool UdpBlocked { get; private set; }

    /// <summary>The public port range masquerade is held to, or null when it picks freely.</summary>
    public (int First, int Last)? PortRange { get; private set; }

    public IReadOnlyList<PortForward> Forwards => _forwards;

    /// <summary>Namespaces of the router and every host, for cleanup checks.</summary>
    public IEnumerable<string> NamespaceNames => [Router.Name, .. _hosts.Select(h => h.Namespace.Name)];

    internal static async Task<NatSite> CreateAsync(NetNs publicNet, string publicBridge, int index, NatKind kind, int hosts, CancellationToken ct)
    {
        var site = new NatSite(index, await NetNs.CreateAsync(string.Create(CultureInfo.InvariantCulture, $"nat{index}r"), ct)) { Kind = kind };
        try
        {
            var router = site.Router;
            var uplink = string.Create(CultureInfo.InvariantCulture, $"site{index}");

            // Created directly inside the namespaces, so no name ever appears in the host namespace.
            await Command.RunCheckedAsync(["ip", "link", "add", Wan, "netns", router.Name, "type", "veth", "peer", uplink, "netns", publicNet.Name], ct);
            await publicNet.IpAsync(ct, "link", "set", uplink, "master", publicBridge);
            await publicNet.IpAsync(ct, "link", "set", uplink, "up");
            await router.IpAsync(ct, "addr", "add", $"{site.PublicAddress}/{NatLab.PublicPrefixLength}", "dev", Wan);
            await router.IpAsync(ct, "link", "set", Wan, "up");
            await router.IpAsync(ct, "link", "add", Lan, "type", "bridge");
            await router.IpAsync(ct, "addr", "add", $"{site.RouterLanAddress}/24", "dev", Lan);
            await router.IpAsync(ct, "link", "set", Lan, "up");
            await router.ExecCheckedAsync(["sysctl", "-qw", "net.ipv4.ip_forward=1"], ct);
            await site.ApplyAsync(ct);
            for (var i = 0; i < hosts; i++)
            {
                await site.AddHostAsync(ct);
            }

            return site;
        }
        catch
        {
            await site.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds a host namespace on the LAN (10.77.SITE.10, .11, ...) with the router as default gateway.</summary>
    public async Task<NatHost> AddHostAsync(CancellationToken ct)
    {
        var number = _hosts.Count + 1;
        var name = string.Create(CultureInfo.InvariantCulture, $"nat{Index}h{number}");
        var ns = await NetNs.CreateAsync(name, ct);
        var host = new NatHost(name, ns, LanSubnet + (FirstHostOctet + _hosts.Count).ToString(CultureInfo.InvariantCulture), this);
        _hosts.Add(host);
        var port = string.Create(CultureInfo.InvariantCulture, $"h{number}");
        await Command.RunCheckedAsync(["ip", "link", "add", "eth0", "netns", ns.Name, "type", "veth", "peer", port, "netns", Router.Name], ct);
        await Router.IpAsync(ct, "link", "set", port, "master", Lan);
        await Router.IpAsync(ct, "link", "set", port, "up");
        await ns.IpAsync(ct, "addr", "add", $"{host.LanAddress}/24", "dev", "eth0");
        await ns.IpAsync(ct, "link", "set", "eth0", "up");
        await ns.IpAsync(ct, "route", "add", "default", "via", RouterLanAddress);
        return host;
    }

    /// <summary>Switches the NAT kind; flows already mapped keep their mapping until <see cref="FlushMappingsAsync"/>.</summary>
    public Task SetKindAsync(NatKind kind, CancellationToken ct) => ChangeAsync(() => Kind = kind, ct);

    /// <summary>Drops every UDP datagram forwarded between the LAN and the internet (both ways, running flows too); TCP still passes.</summary>
    public Task BlockUdpAsync(bool blocked, CancellationToken ct) => ChangeAsync(() => UdpBlocked = blocked, ct);

    public Task AddPortForwardAsync(PortForward forward, CancellationToken ct) => ChangeAsync(() => _forwards.Add(forward), ct);

    /// <summary>Holds masquerade to a public port range (null: free choice again). Existing mappings stay until flushed.</summary>
    public Task SetPortRangeAsync((int First, int Last)? range, CancellationToken ct) => ChangeAsync(() => PortRange = range, ct);

    /// <summary>Forgets every mapping (`conntrack -F` in the router): the next packet of a flow is a new flow to the NAT.</summary>
    public Task FlushMappingsAsync(CancellationToken ct) => Router.ExecCheckedAsync(["conntrack", "-F"], ct);

    /// <summary>
    /// A NAT that reboots onto new public ports: masquerade moves to a port block no earlier mapping
    /// used (20000-20099, 20100-20199, ...) and every mapping is flushed, so the next packet of any
    /// flow leaves from a public port it never had.
    /// </summary>
    public async Task RebindAsync(CancellationToken ct)
    {
        var first = 20000 + (100 * Interlocked.Increment(ref _rebinds));
        await SetPortRangeAsync((first, first + 99), ct);
        await FlushMappingsAsync(ct);
    }

    /// <summary>The router's tcp and udp conntrack entries, i.e. its current mappings.</summary>
    public async Task<IReadOnlyList<ConntrackEntry>> MappingsAsync(CancellationToken ct) =>
        ConntrackEntry.ParseAll(await Router.ExecCheckedAsync(["conntrack", "-L"], ct));

    /// <summary>UDP datagrams the block dropped since the last rule change.</summary>
    public async Task<long> UdpDroppedAsync(CancellationToken ct)
    {
        var text = await Router.ExecCheckedAsync(["nft", "list", "counter", "ip", NatRules.Table, NatRules.UdpDroppedCounter], ct);
        var match = PacketsPattern().Match(text);
        return match.Success
            ? long.Parse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture)
            : throw new FormatException($"no packet count in `nft list counter`:\n{text}");
    }

    /// <summary>The router's live ruleset, for failure messages.</summary>
    public async Task<string> RulesetAsync(CancellationToken ct) => (await Router.ExecAsync(["nft", "list", "ruleset"], ct)).Stdout;

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.Namespace.DisposeAsync();
        }

        await Router.DisposeAsync();
    }

    private async Task ChangeAsync(Action change, CancellationToken ct)
    {
        await _rules.WaitAsync(ct);
        try
        {
            change();
            await ApplyAsync(ct);
        }
        finally
        {
            _rules.Release();
        }
    }

    private async Task ApplyAsync(CancellationToken ct) =>
        await Router.ExecCheckedAsync(["nft", "-f", "-"], ct, stdin: NatRules.Build(Wan, Lan, Kind, UdpBlocked, _forwards, PortRange));

    [GeneratedRegex(@"packets (\d+)")]
    private static partial Regex PacketsPattern();
}
