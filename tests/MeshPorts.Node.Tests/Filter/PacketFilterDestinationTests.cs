using System.Net;
using MeshPorts.Node.Filter;
using MeshPorts.TestKit;
using static MeshPorts.Node.Tests.Filter.FilterHarness;
using static MeshPorts.Node.Tests.Filter.FilterPackets;

namespace MeshPorts.Node.Tests.Filter;

/// <summary>
/// A peer may reach this node's overlay addresses and nothing else: not the host's LAN address, not a
/// docker bridge, not what the host routes to, whatever grants it holds and whatever flows are open.
/// </summary>
public class PacketFilterDestinationTests
{
    private const ushort Db = 5432;
    private const string Lan4 = "192.168.1.10";
    private const string Docker4 = "172.31.255.1";
    private const string Lan6 = "2001:db8::10";

    [Theory]
    [InlineData(Remote4, Lan4)]
    [InlineData(Remote4, Docker4)]
    [InlineData(Remote4, Other4)]
    [InlineData(Remote6, Lan6)]
    [InlineData(Remote6, "fd7a:115c:a1e0::3")]
    public void Inbound_ToAnAddressNotThisNodes_IsDroppedEvenWithAGrant(string remote, string destination)
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, Start.AddMinutes(5)), Grant("g2", Laptop, 53, Start.AddMinutes(5), FilterProtocol.Udp)]);

        Assert.Equal(FilterVerdict.Drop(FilterReason.NotForThisNode), h.In(Laptop, Tcp(remote, 40000, destination, Db, 1, 0, Syn)));
        Assert.Equal(FilterVerdict.Drop(FilterReason.NotForThisNode), h.In(Laptop, TestPackets.Udp(remote, 5000, destination, 53, [1])));

        Assert.Equal(2, h.Filter.Counters.Denied(FilterReason.NotForThisNode));
        Assert.Equal(0, h.Filter.Counters.Allowed);
        Assert.Equal(0, h.Filter.FlowCount);
        Assert.Empty(h.Filter.Denied.Drain());
    }

    [Theory]
    [InlineData(Remote4, Local4)]
    [InlineData(Remote6, Local6)]
    public void Inbound_ToThisNodesOverlayAddress_IsStillAdmittedByTheGrant(string remote, string local)
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Grant("g1", Laptop, Db, Start.AddMinutes(5))]);

        Assert.True(h.In(Laptop, Tcp(remote, 40000, local, Db, 1, 0, Syn)).IsAllowed);
        Assert.Equal(0, h.Filter.Counters.Denied(FilterReason.NotForThisNode));
    }

    [Theory]
    [InlineData(Remote4, Lan4)]
    [InlineData(Remote6, Lan6)]
    public void Inbound_EchoRequestToAnotherAddress_IsDropped(string remote, string destination)
    {
        var h = new FilterHarness();
        h.Filter.ReplaceRules([Rule("r", Laptop, Db)]);

        Assert.Equal(FilterVerdict.Drop(FilterReason.NotForThisNode), h.In(Laptop, TestPackets.IcmpEcho(remote, destination, 7, 1)));
        Assert.Equal(1, h.Filter.Counters.Denied(FilterReason.NotForThisNode));
        Assert.Equal(0, h.Filter.FlowCount);
    }

    [Fact]
    public void Inbound_IcmpErrorToAnotherAddress_IsDroppedThoughItQuotesAnOpenFlow()
    {
        var h = new FilterHarness();
        var sent = TestPackets.Udp(Lan4, 5353, Remote4, 53, new byte[8]);
        Assert.True(h.Out(Laptop, sent).IsAllowed);

        Assert.Equal(FilterVerdict.Drop(FilterReason.NotForThisNode), h.In(Laptop, Unreachable(Remote4, Lan4, sent)));
        Assert.Equal(1, h.Filter.Counters.Denied(FilterReason.NotForThisNode));
    }

    [Theory]
    [InlineData(Remote4, Lan4)]
    [InlineData(Remote6, Lan6)]
    public void Inbound_ReturnTrafficOfAFlowThisNodeOpenedFromAnotherAddress_IsDropped(string remote, string local)
    {
        // The host sent from a non-overlay source through the mesh interface; the flow exists, yet its
        // replies are addressed off the overlay and must not come in.
        var h = new FilterHarness();
        Assert.True(h.Out(Laptop, TestPackets.Udp(local, 5353, remote, 53, [1])).IsAllowed);
        Assert.True(h.Out(Laptop, Tcp(local, 40000, remote, 22, 1, 0, Syn)).IsAllowed);
        Assert.Equal(2, h.Filter.FlowCount);

        Assert.Equal(FilterVerdict.Drop(FilterReason.NotForThisNode), h.In(Laptop, TestPackets.Udp(remote, 53, local, 5353, [2])));
        Assert.Equal(FilterVerdict.Drop(FilterReason.NotForThisNode), h.In(Laptop, Tcp(remote, 22, local, 40000, 9, 2, Syn | Ack)));
        Assert.Equal(2, h.Filter.Counters.Denied(FilterReason.NotForThisNode));
    }

    [Fact]
    public void Inbound_ReturnTrafficToThisNodesOverlayAddress_IsStillAdmitted()
    {
        var h = new FilterHarness();
        Assert.True(h.Out(Laptop, TestPackets.Udp(Local4, 5353, Remote4, 53, [1])).IsAllowed);
        Assert.True(h.In(Laptop, TestPackets.Udp(Remote4, 53, Local4, 5353, [2])).IsAllowed);
    }

    [Fact]
    public void Constructor_WithoutAddresses_Throws()
    {
        Assert.Throws<ArgumentException>(() => new PacketFilter(TimeProvider.System, Array.Empty<IPAddress>()));
    }

    private static byte[] Unreachable(string router, string destination, byte[] quoted)
    {
        // Type 3 code 3 carries the offending packet's header and first 8 data bytes (RFC 792).
        var body = new byte[Math.Min(quoted.Length, 28)];
        quoted.AsSpan(0, body.Length).CopyTo(body);
        var icmp = TestPackets.IcmpEcho(router, destination, 0, 0, payloadLength: body.Length);
        icmp[20] = 3;
        icmp[21] = 3;
        icmp[24] = icmp[25] = icmp[26] = icmp[27] = 0;
        body.CopyTo(icmp, 28);
        return icmp;
    }
}
