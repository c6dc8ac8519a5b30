using System.Globalization;
using MeshPorts.Integration.Tests.Harness;
using MeshPorts.Integration.Tests.Harness.Nat;

namespace MeshPorts.Integration.Tests.Tests.Nat;

/// <summary>
/// The NAT lab proves itself with plain sockets before any product test trusts it: each NAT kind maps
/// the way real ones do, the UDP block and the flush do what the product tests will rely on, and two
/// port-preserving NATs let plain UDP punch through when both sides send at once.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class NatLabTests
{
    private const int ServerPort = 3478;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);

    private static string Server(int i) => NatLab.ServerAddresses[i] + ":" + ServerPort.ToString(CultureInfo.InvariantCulture);

    [Fact(Timeout = 30_000)]
    public async Task PortPreservingNat_ServersSeeTheRoutersPublicAddressAndTheHostsOwnPort()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = cts.Token;
        await using var lab = await NatLab.CreateAsync(ct);
        var site = await lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);
        await NatProbe.ServeAsync(lab.Public, ServerPort, NatLab.ServerAddresses, ct);

        var answers = await NatProbe.AskAsync(site.Hosts[0].Namespace, 40001, [Server(0), Server(1)], AskTimeout, ct);

        Assert.True(
            answers.All(a => a.SeenAddress == site.PublicAddress && a.SeenPort == 40001),
            $"expected {site.PublicAddress}:40001 (the router's address, the host's port): {string.Join("; ", answers)}\n{await lab.DescribeAsync(ct)}");
        var mappings = await site.MappingsAsync(ct);
        Assert.Contains(mappings, m => m.Protocol == "udp" && m.Source == site.Hosts[0].LanAddress && m.SourcePort == 40001 && m.Public == $"{site.PublicAddress}:40001");
    }

    [Fact(Timeout = 30_000)]
    public async Task SymmetricNat_SameLocalPortGetsADifferentPublicPortPerDestination()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = cts.Token;
        await using var lab = await NatLab.CreateAsync(ct);
        var site = await lab.AddSiteAsync(NatKind.Symmetric, hosts: 1, ct);
        await NatProbe.ServeAsync(lab.Public, ServerPort, NatLab.ServerAddresses, ct);

        var answers = await NatProbe.AskAsync(site.Hosts[0].Namespace, 40001, [Server(0), Server(1), Server(2)], AskTimeout, ct);

        var describe = string.Join("; ", answers);
        Assert.True(answers.All(a => a.SeenAddress == site.PublicAddress), $"every server should see {site.PublicAddress}: {describe}");
        Assert.True(answers.Select(a => a.SeenPort).Distinct().Count() == 3, $"three destinations should see three public ports: {describe}");
    }

    [Fact(Timeout = 30_000)]
    public async Task PortPreservingNat_TwoHostsOnTheSamePort_GetTwoPublicPorts()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = cts.Token;
        await using var lab = await NatLab.CreateAsync(ct);
        var site = await lab.AddSiteAsync(NatKind.PortPreserving, hosts: 2, ct);
        await NatProbe.ServeAsync(lab.Public, ServerPort, NatLab.ServerAddresses, ct);

        var first = await NatProbe.AskAsync(site.Hosts[0].Namespace, 51820, [Server(0)], AskTimeout, ct);
        var second = await NatProbe.AskAsync(site.Hosts[1].Namespace, 51820, [Server(0)], AskTimeout, ct);

        // Two nodes on 51820 behind one home router: only the first keeps its port, as on a real one.
        Assert.True(first[0].SeenAddress == site.PublicAddress && first[0].SeenPort == 51820, $"first host: {first[0]}");
        Assert.True(second[0].SeenAddress == site.PublicAddress && second[0].SeenPort is not null and not 51820, $"second host: {second[0]}");
    }

    [Fact(Timeout = 30_000)]
    public async Task UdpBlocked_UdpDoesNotGetOutButTcpDoes_AndUnblockingLetsUdpOutAgain()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = cts.Token;
        await using var lab = await NatLab.CreateAsync(ct);
        var site = await lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);
        var host = site.Hosts[0].Namespace;
        await NatProbe.ServeAsync(lab.Public, ServerPort, NatLab.ServerAddresses, ct);
        var before = await NatProbe.AskAsync(host, 40001, [Server(0)], AskTimeout, ct);
        Assert.True(before[0].Answered, $"UDP should pass before the block: {before[0]}");

        await site.BlockUdpAsync(true, ct);
        var blocked = await NatProbe.AskAsync(host, 40001, [Server(0)], AskTimeout, ct);
        var tcp = await NatProbe.TcpAsync(host, Server(0), TimeSpan.FromSeconds(3), ct);
        var dropped = await site.UdpDroppedAsync(ct);

        Assert.False(blocked[0].Answered, $"UDP got out through the block (a running flow too): {blocked[0]}\n{await lab.DescribeAsync(ct)}");
        Assert.True(dropped > 0, "the block's counter shows no dropped datagram");
        Assert.StartsWith($"seen {site.PublicAddress} ", tcp, StringComparison.Ordinal);

        await site.BlockUdpAsync(false, ct);
        var after = await NatProbe.AskAsync(host, 40001, [Server(0)], AskTimeout, ct);
        Assert.True(after[0].Answered, $"UDP should pass again once unblocked: {after[0]}");
    }

    [Fact(Timeout = 30_000)]
    public async Task FlushedMapping_IsGoneForTheServer_AndRebindMovesTheFlowToANewPublicPort()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = cts.Token;
        await using var lab = await NatLab.CreateAsync(ct);
        var site = await lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);
        var host = site.Hosts[0].Namespace;
        await NatProbe.ServeAsync(lab.Public, ServerPort, NatLab.ServerAddresses, ct);
        var client = NatProbe.StartAskAndListen(host, 40003, [Server(0)], AskTimeout, TimeSpan.FromSeconds(8));
        await WaitForAsync(() => client.Output.Contains("listening", StringComparison.Ordinal), "the client to get its answer", client, ct);
        Assert.Contains($"reply {Server(0)} seen {site.PublicAddress} 40003", client.Output, StringComparison.Ordinal);

        // While mapped, the server can reach the host unasked at the mapping: the control for what follows.
        await NatProbe.SendFromAsync(lab.Public, NatLab.ServerAddress, ServerPort, site.PublicAddress, 40003, "before-flush", ct);
        await WaitForAsync(() => client.Output.Contains("before-flush", StringComparison.Ordinal), "the datagram sent to the live mapping", client, ct);

        await site.FlushMappingsAsync(ct);
        var left = await site.MappingsAsync(ct);
        await NatProbe.SendFromAsync(lab.Public, NatLab.ServerAddress, ServerPort, site.PublicAddress, 40003, "after-flush", ct);
        await Task.Delay(TimeSpan.FromSeconds(1), ct);

        Assert.DoesNotContain(left, m => m.Protocol == "udp" && m.SourcePort == 40003);
        Assert.DoesNotContain("after-flush", client.Output, StringComparison.Ordinal);

        await site.RebindAsync(ct);
        var rebound = await NatProbe.AskAsync(host, 40004, [Server(0)], AskTimeout, ct);
        Assert.True(
            rebound[0].SeenAddress == site.PublicAddress && rebound[0].SeenPort is >= 20100 and <= 20199,
            $"after a rebind the flow should leave from a port of the new block 20100-20199: {rebound[0]}");
    }

    [Fact(Timeout = 30_000)]
    public async Task PortForward_TakesTheInternetsDatagramToTheLanHost()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = cts.Token;
        await using var lab = await NatLab.CreateAsync(ct);
        var site = await lab.AddSiteAsync(NatKind.PortPreserving, hosts: 2, ct);
        var listener = NatProbe.StartAskAndListen(site.Hosts[1].Namespace, 51820, [], AskTimeout, TimeSpan.FromSeconds(6));
        await WaitForAsync(() => listener.Output.Contains("listening", StringComparison.Ordinal), "the LAN listener", listener, ct);

        await NatProbe.SendFromAsync(lab.Public, NatLab.ServerAddress, ServerPort, site.PublicAddress, 51820, "unforwarded", ct);
        await site.AddPortForwardAsync(PortForward.Udp(51820, site.Hosts[1], 51820), ct);
        await NatProbe.SendFromAsync(lab.Public, NatLab.ServerAddress, ServerPort, site.PublicAddress, 51820, "forwarded", ct);
        await WaitForAsync(() => listener.Output.Contains("forwarded", StringComparison.Ordinal), "the forwarded datagram", listener, ct);

        Assert.Contains($"got {NatLab.ServerAddress} {ServerPort} forwarded", listener.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("unforwarded", listener.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task TwoPortPreservingNats_PlainUdpHolePunchWorks_WhenBothSendAtOnce()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = cts.Token;
        await using var lab = await NatLab.CreateAsync(ct);
        var home = await lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);
        var office = await lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);

        var (a, b) = await PunchAsync(home, office, TimeSpan.FromSeconds(8), ct);

        Assert.True(a.Contains("punched", StringComparison.Ordinal) && b.Contains("punched", StringComparison.Ordinal), $"home:\n{a}\noffice:\n{b}\n{await lab.DescribeAsync(ct)}");
        Assert.Contains($"got {office.PublicAddress} 41641 punch office", a, StringComparison.Ordinal);
        Assert.Contains($"got {home.PublicAddress} 41641 punch home", b, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task SymmetricNatOnOneSide_NaivePunchToThePeersOwnPortFails()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = cts.Token;
        await using var lab = await NatLab.CreateAsync(ct);
        var home = await lab.AddSiteAsync(NatKind.PortPreserving, hosts: 1, ct);
        var cafe = await lab.AddSiteAsync(NatKind.Symmetric, hosts: 1, ct);

        var (a, b) = await PunchAsync(home, cafe, TimeSpan.FromSeconds(3), ct);

        Assert.True(a.Contains("timeout", StringComparison.Ordinal) && b.Contains("timeout", StringComparison.Ordinal), $"a symmetric NAT should defeat a punch to port 41641:\nhome:\n{a}\ncafe:\n{b}");
    }

    [Fact(Timeout = 30_000)]
    public async Task Dispose_LeavesNoNamespaceNoLinkAndNoProcessBehind()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = cts.Token;
        var linksBefore = await Command.RunCheckedAsync(["ip", "-o", "link", "show"], ct);
        var lab = await NatLab.CreateAsync(ct);
        string[] namespaces;
        int serverPid;
        try
        {
            await lab.AddSiteAsync(NatKind.PortPreserving, hosts: 2, ct);
            await lab.AddSiteAsync(NatKind.Symmetric, hosts: 1, ct);
            namespaces = [.. lab.NamespaceNames];
            serverPid = (await NatProbe.ServeAsync(lab.Public, ServerPort, NatLab.ServerAddresses, ct)).Pid;
            Assert.Equal(6, namespaces.Length);
            var during = await Command.RunCheckedAsync(["ip", "netns", "list"], ct);
            Assert.All(namespaces, ns => Assert.Contains(ns, during, StringComparison.Ordinal));
        }
        finally
        {
            await lab.DisposeAsync();
        }

        var after = await Command.RunCheckedAsync(["ip", "netns", "list"], ct);
        Assert.All(namespaces, ns => Assert.DoesNotContain(ns, after, StringComparison.Ordinal));
        Assert.False(Directory.Exists($"/proc/{serverPid}"), "the server in the public namespace outlived the lab");
        var linksAfter = await Command.RunCheckedAsync(["ip", "-o", "link", "show"], ct);
        Assert.Equal(LinkNames(linksBefore), LinkNames(linksAfter));
    }

    private static async Task<(string A, string B)> PunchAsync(NatSite a, NatSite b, TimeSpan within, CancellationToken ct)
    {
        var pa = NatProbe.StartPunch(a.Hosts[0].Namespace, 41641, b.PublicAddress + ":41641", within, a.Kind == NatKind.Symmetric ? "cafe" : "home");
        var pb = NatProbe.StartPunch(b.Hosts[0].Namespace, 41641, a.PublicAddress + ":41641", within, b.Kind == NatKind.Symmetric ? "cafe" : "office");
        await pa.WaitForExitAsync(within + TimeSpan.FromSeconds(5), ct);
        await pb.WaitForExitAsync(within + TimeSpan.FromSeconds(5), ct);
        return (pa.Output, pb.Output);
    }

    private static string[] LinkNames(string ipLink) =>
        [.. ipLink.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':', 3)[1].Trim()).Order(StringComparer.Ordinal)];

    private static async Task WaitForAsync(Func<bool> condition, string what, BackgroundProcess process, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(8);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited 8 s for {what}:\n{process.Output}");
            }

            await Task.Delay(50, ct);
        }
    }
}
