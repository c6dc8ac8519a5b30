using System.Net;
using MeshPorts.Node.Filter;
using MeshPorts.TestKit;
using static MeshPorts.Node.Tests.Filter.FilterHarness;
using static MeshPorts.Node.Tests.Filter.FilterPackets;

namespace MeshPorts.Node.Tests.Filter;

public class DeniedFlowAggregatorTests
{
    [Fact]
    public void Denials_AreGroupedByPeerProtocolAndPort_WithCountsAndTimes()
    {
        var h = new FilterHarness();
        h.In(Ci, Tcp(Other4, 1, Local4, 5432, 1, 0, Syn));
        h.Time.Advance(TimeSpan.FromSeconds(3));
        h.In(Ci, Tcp(Other4, 2, Local4, 5432, 1, 0, Syn));
        h.In(Ci, TestPackets.Udp(Other4, 2, Local4, 5432, [1]));
        h.In(Laptop, Tcp(Remote4, 2, Local4, 5432, 1, 0, Syn));

        var records = h.Filter.Denied.Drain().OrderBy(r => r.Peer == Laptop).ThenBy(r => r.IpProtocol).ToList();
        Assert.Equal(3, records.Count);
        var tcp = records[0];
        Assert.Equal(Ci, tcp.Peer);
        Assert.Equal(6, tcp.IpProtocol);
        Assert.Equal(5432, tcp.Port);
        Assert.Equal(2, tcp.Count);
        Assert.Equal(Start, tcp.FirstSeen);
        Assert.Equal(Start.AddSeconds(3), tcp.LastSeen);
        Assert.Equal(IPAddress.Parse(Other4), tcp.Source);
        Assert.Equal(IPAddress.Parse(Local4), tcp.Destination);
        Assert.Equal(17, records[1].IpProtocol);
        Assert.Equal(Laptop, records[2].Peer);

        Assert.Empty(h.Filter.Denied.Drain());
    }

    [Fact]
    public void Aggregator_IsBounded_AndCountsWhatDidNotFit()
    {
        var h = new FilterHarness(new FilterOptions { MaxDeniedGroups = 4 });
        for (ushort port = 1; port <= 10; port++)
        {
            h.In(Ci, Tcp(Other4, 1, Local4, port, 1, 0, Syn));
        }

        h.In(Ci, Tcp(Other4, 1, Local4, 1, 1, 0, Syn)); // an existing group still counts
        Assert.Equal(4, h.Filter.Denied.GroupCount);
        Assert.Equal(6, h.Filter.Denied.Overflow);
        var records = h.Filter.Denied.Drain();
        Assert.Equal(5, records.Sum(r => r.Count));
        Assert.Equal(0, h.Filter.Denied.Overflow);
    }

    [Fact]
    public void UnsolicitedPackets_AreNotReportedAsDeniedFlows()
    {
        var h = new FilterHarness();
        h.In(Ci, Tcp(Other4, 1, Local4, 5432, 1, 1, Ack));
        Assert.Empty(h.Filter.Denied.Drain());
        Assert.Equal(1, h.Filter.Counters.Denied(FilterReason.Unsolicited));
    }
}
