using System.Net;
using System.Net.Sockets;
using Makaretu.Dns;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Names;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Tests.Names;

/// <summary>The server and the forwarder over real loopback sockets (the overlay interface is the integration tests').</summary>
public sealed class NameServerTests
{
    private static readonly IPAddress Loopback = IPAddress.Loopback;

    private static NameZone SelfZone() => NameZone.SelfOnly(new NameEntry("laptop", IPAddress.Parse("100.64.0.1"), null, long.MaxValue, IsSelf: true));

    private static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static async Task<byte[]?> AskAsync(int port, byte[] query, TimeSpan wait)
    {
        using var client = new UdpClient(AddressFamily.InterNetwork);
        client.Connect(Loopback, port);
        await client.SendAsync(query);
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            return (await client.ReceiveAsync(timeout.Token)).Buffer;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>A stand-in upstream resolver: answers every query with one A record, 192.0.2.53.</summary>
    private static async Task RunUpstreamAsync(UdpClient upstream, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await upstream.ReceiveAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var query = DnsQueries.Read(received.Buffer);
            var reply = query.CreateResponse();
            reply.Answers.Add(new ARecord { Name = query.Questions[0].Name, Address = IPAddress.Parse("192.0.2.53"), TTL = TimeSpan.FromMinutes(1) });
            await upstream.SendAsync(reply.ToByteArray(), received.RemoteEndPoint, stop);
        }
    }

    [Fact]
    public void Classify_TheHostAskingItsOwnOverlayAddress_IsLocal_EvenWhenLinuxNamesTheOverlayInterface()
    {
        // What stop 28's namespace test showed: dig on the laptop to @100.64.0.2 arrives with the overlay
        // interface's index, not lo's; taken for a peer, the host saw only itself.
        var own = new[] { IPAddress.Parse("100.64.0.2"), IPAddress.Parse("fd7a:115c:a1e0::2") };
        const int lo = 1, overlay = 7, lan = 2;

        Assert.True(NameServer.Classify(overlay, IPAddress.Parse("100.64.0.2"), lo, overlay, own)!.Value.IsLocalHost);
        Assert.True(NameServer.Classify(overlay, IPAddress.Parse("::ffff:100.64.0.2"), lo, overlay, own)!.Value.IsLocalHost);
        Assert.True(NameServer.Classify(overlay, IPAddress.Parse("fd7a:115c:a1e0::2"), lo, overlay, own)!.Value.IsLocalHost);
        Assert.True(NameServer.Classify(lo, IPAddress.Loopback, lo, overlay, own)!.Value.IsLocalHost);

        var peer = NameServer.Classify(overlay, IPAddress.Parse("100.64.0.1"), lo, overlay, own)!.Value;
        Assert.False(peer.IsLocalHost);
        Assert.Equal(IPAddress.Parse("100.64.0.1"), peer.Source);

        // The node's own address arriving on the LAN is never the host (the kernel drops it as martian anyway).
        Assert.Null(NameServer.Classify(lan, IPAddress.Parse("100.64.0.2"), lo, overlay, own));
        Assert.Null(NameServer.Classify(lan, IPAddress.Parse("192.0.2.9"), lo, overlay, own));
    }

    [Fact]
    public async Task OverLoopback_AnswersTheZone_ForwardsOtherNames_AndDropsGarbage()
    {
        using var upstream = new UdpClient(new IPEndPoint(Loopback, 0));
        using var stopUpstream = new CancellationTokenSource();
        var upstreamRun = RunUpstreamAsync(upstream, stopUpstream.Token);
        var forwarder = new NameForwarder(() => [(IPEndPoint)upstream.Client.LocalEndPoint!], TimeSpan.FromSeconds(2));
        var port = FreeUdpPort();
        await using var server = new NameServer([Loopback], () => -1, SelfZone(), forwarder, new CoordinatorClock(TimeProvider.System), NullLogger.Instance, port);
        server.Start();
        Assert.Equal([Loopback], server.Serving);

        var own = DnsQueries.Read((await AskAsync(port, DnsQueries.Query("LAPTOP.mesh"), TimeSpan.FromSeconds(5)))!);
        Assert.Equal(IPAddress.Parse("100.64.0.1"), Assert.IsType<ARecord>(Assert.Single(own.Answers)).Address);

        var forwarded = DnsQueries.Read((await AskAsync(port, DnsQueries.Query("www.example.org", id: 31), TimeSpan.FromSeconds(5)))!);
        Assert.Equal(31, forwarded.Id);
        Assert.Equal(IPAddress.Parse("192.0.2.53"), Assert.IsType<ARecord>(Assert.Single(forwarded.Answers)).Address);

        Assert.Null(await AskAsync(port, [0xde, 0xad, 0xbe, 0xef, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x66, 0x6f], TimeSpan.FromMilliseconds(500)));
        Assert.Equal(1, server.Counters.Malformed);
        Assert.Equal(1, server.Counters.Forwarded);

        // Still serving after the garbage.
        Assert.NotNull(await AskAsync(port, DnsQueries.Query("nobody.mesh"), TimeSpan.FromSeconds(5)));
        Assert.Equal(1, server.Counters.NameErrors);
        await stopUpstream.CancelAsync();
        await upstreamRun;
    }

    [Fact]
    public async Task Forwarder_AnUpstreamThatIsSilent_IsSkippedForTheNext_AndNoneAnsweringIsServFail()
    {
        using var silent = new UdpClient(new IPEndPoint(Loopback, 0));
        using var answering = new UdpClient(new IPEndPoint(Loopback, 0));
        using var stop = new CancellationTokenSource();
        var run = RunUpstreamAsync(answering, stop.Token);

        var both = new NameForwarder(() => [(IPEndPoint)silent.Client.LocalEndPoint!, (IPEndPoint)answering.Client.LocalEndPoint!], TimeSpan.FromMilliseconds(300));
        Assert.NotNull(await both.ForwardAsync(DnsQueries.Query("a.example"), CancellationToken.None));

        var onlySilent = new NameForwarder(() => [(IPEndPoint)silent.Client.LocalEndPoint!], TimeSpan.FromMilliseconds(300));
        Assert.Null(await onlySilent.ForwardAsync(DnsQueries.Query("a.example"), CancellationToken.None));
        Assert.Null(await new NameForwarder(() => []).ForwardAsync(DnsQueries.Query("a.example"), CancellationToken.None));

        var port = FreeUdpPort();
        await using var server = new NameServer([Loopback], () => -1, SelfZone(), onlySilent, new CoordinatorClock(TimeProvider.System), NullLogger.Instance, port);
        server.Start();
        var reply = DnsQueries.Read((await AskAsync(port, DnsQueries.Query("a.example"), TimeSpan.FromSeconds(5)))!);
        Assert.Equal(MessageStatus.ServerFailure, reply.Status);
        Assert.Equal(1, server.Counters.ForwardFailed);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public void HostResolvers_ReadsNameserverLines_WithoutThisNodesOwnAddressesOrRepeats()
    {
        var own = new[] { IPAddress.Parse("100.64.0.1") };
        var servers = HostResolvers.Parse(
            [
                "# generated",
                "nameserver 127.0.0.53",
                "  nameserver\t192.0.2.1  # comment",
                "nameserver 100.64.0.1",
                "nameserver 192.0.2.1",
                "nameserver 2001:db8::53",
                "nameserverx 192.0.2.9",
                "nameserver not-an-address",
                "search example.org",
            ],
            own);

        Assert.Equal(["127.0.0.53:53", "192.0.2.1:53", "[2001:db8::53]:53"], servers.Select(s => s.ToString()));
    }
}
