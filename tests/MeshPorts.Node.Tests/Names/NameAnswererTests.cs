using System.Net;
using Google.Protobuf.WellKnownTypes;
using Makaretu.Dns;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Names;
using Microsoft.Extensions.Time.Testing;
using ProtoPeer = MeshPorts.Contracts.Node.Peer;

namespace MeshPorts.Node.Tests.Names;

public sealed class NameAnswererTests
{
    private static readonly IPAddress SelfV4 = IPAddress.Parse("100.64.0.1");
    private static readonly IPAddress SelfV6 = IPAddress.Parse("fd7a:6d70::1");
    private static readonly IPAddress DbV4 = IPAddress.Parse("100.64.0.7");
    private static readonly IPAddress DbV6 = IPAddress.Parse("fd7a:6d70::7");
    private static readonly NameEntry Fallback = new("laptop", SelfV4, SelfV6, long.MaxValue, IsSelf: true);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
    private readonly CoordinatorClock _clock;
    private readonly NameCounters _counters = new();
    private readonly NameAnswerer _answerer;

    public NameAnswererTests()
    {
        _clock = new CoordinatorClock(_time);
        _answerer = new NameAnswerer(_counters);
    }

    private static SelfInfo Self(string suffix = "") => new()
    {
        NodeId = "n-self",
        Name = "laptop",
        OverlayIpv4 = SelfV4.ToString(),
        OverlayIpv6 = SelfV6.ToString(),
        DnsSuffix = suffix,
    };

    private ProtoPeer Peer(string name, IPAddress v4, IPAddress? v6, TimeSpan validFor, string? nodeId = null)
    {
        var peer = new ProtoPeer { NodeId = nodeId ?? "n-" + name, Name = name, ValidUntil = Timestamp.FromDateTimeOffset(_time.GetUtcNow() + validFor) };
        peer.AllowedIps.Add($"{v4}/32");
        if (v6 is not null)
        {
            peer.AllowedIps.Add($"{v6}/128");
        }

        return peer;
    }

    private NameZone Zone(params ProtoPeer[] peers) => NameZone.Build(Self(), Fallback, peers, _clock);

    private Message Ask(NameZone zone, string name, DnsType type = DnsType.A, NameAsker? asker = null)
    {
        var decision = _answerer.Decide(DnsQueries.Query(name, type), zone, asker ?? NameAsker.Local(SelfV4), _clock.NowTicks);
        Assert.Equal(NameDecisionKind.Reply, decision.Kind);
        return DnsQueries.Read(decision.Response!);
    }

    private static IPAddress[] Addresses(Message reply) =>
        [.. reply.Answers.Select(a => a switch { ARecord r => r.Address, AAAARecord r => r.Address, _ => IPAddress.None })];

    [Fact]
    public void GrantAppears_NameResolvesToThePeersOverlayAddresses()
    {
        Assert.Equal(MessageStatus.NameError, Ask(Zone(), "db.mesh").Status);

        var zone = Zone(Peer("db", DbV4, DbV6, TimeSpan.FromMinutes(10)));

        var a = Ask(zone, "db.mesh");
        Assert.Equal(MessageStatus.NoError, a.Status);
        Assert.True(a.AA);
        Assert.Equal([DbV4], Addresses(a));
        Assert.Equal(4242, a.Id);
        Assert.Equal([DbV6], Addresses(Ask(zone, "db.mesh", DnsType.AAAA)));
        Assert.InRange(a.Answers[0].TTL, TimeSpan.FromSeconds(1), NameAnswerer.MaxTtl);
    }

    [Fact]
    public void GrantEnds_ByTheNodesClock_NameIsNxDomainBeforeAnyDelta()
    {
        var zone = Zone(Peer("db", DbV4, DbV6, TimeSpan.FromSeconds(30)));
        Assert.Equal([DbV4], Addresses(Ask(zone, "db.mesh")));

        _time.Advance(TimeSpan.FromSeconds(29));
        var last = Ask(zone, "db.mesh");
        Assert.Equal([DbV4], Addresses(last));
        Assert.Equal(TimeSpan.FromSeconds(1), last.Answers[0].TTL);

        _time.Advance(TimeSpan.FromSeconds(1));
        var gone = Ask(zone, "db.mesh");
        Assert.Equal(MessageStatus.NameError, gone.Status);
        Assert.Empty(gone.Answers);
    }

    [Fact]
    public void PeerRemovedByDelta_NameIsNxDomain()
    {
        Assert.Equal([DbV4], Addresses(Ask(Zone(Peer("db", DbV4, null, TimeSpan.FromHours(1))), "db.mesh")));

        Assert.Equal(MessageStatus.NameError, Ask(Zone(), "db.mesh").Status);
        Assert.Equal(1, _counters.Answered);
        Assert.Equal(1, _counters.NameErrors);
    }

    [Fact]
    public void Names_AreCaseInsensitive_AndPeerNamesAreLowercased()
    {
        var zone = Zone(Peer("DB-Primary", DbV4, null, TimeSpan.FromHours(1)));

        Assert.Equal([DbV4], Addresses(Ask(zone, "db-primary.mesh")));
        Assert.Equal([DbV4], Addresses(Ask(zone, "DB-PRIMARY.MeSh")));
        Assert.Equal([SelfV4], Addresses(Ask(zone, "Laptop.MESH")));
    }

    [Fact]
    public void OtherTypes_AndAMissingFamily_AreNoData()
    {
        var zone = Zone(Peer("db", DbV4, null, TimeSpan.FromHours(1)));

        var mx = Ask(zone, "db.mesh", DnsType.MX);
        Assert.Equal(MessageStatus.NoError, mx.Status);
        Assert.Empty(mx.Answers);
        var aaaa = Ask(zone, "db.mesh", DnsType.AAAA);
        Assert.Equal(MessageStatus.NoError, aaaa.Status);
        Assert.Empty(aaaa.Answers);
        Assert.Equal(MessageStatus.NameError, Ask(zone, "x.db.mesh").Status);
    }

    [Fact]
    public void Suffix_ComesFromSelfInfo()
    {
        var zone = NameZone.Build(Self("Corp.Example"), Fallback, [Peer("db", DbV4, null, TimeSpan.FromHours(1))], _clock);

        Assert.Equal("corp.example", zone.Suffix);
        Assert.Equal([DbV4], Addresses(Ask(zone, "db.corp.example")));
        Assert.Equal(NameDecisionKind.Forward, _answerer.Decide(DnsQueries.Query("db.mesh"), zone, NameAsker.Local(SelfV4), _clock.NowTicks).Kind);
    }

    [Fact]
    public void UnusableOrDuplicateNames_AreLeftOut()
    {
        var zone = Zone(
            Peer("bad name", DbV4, null, TimeSpan.FromHours(1)),
            Peer("laptop", DbV4, null, TimeSpan.FromHours(1)),
            Peer("db", DbV4, null, TimeSpan.FromHours(1), nodeId: "a"),
            Peer("db", IPAddress.Parse("100.64.0.9"), null, TimeSpan.FromHours(1), nodeId: "b"));

        Assert.Equal(["db", "laptop"], zone.Entries.Select(e => e.Name).Order());
        Assert.Equal([DbV4], Addresses(Ask(zone, "db.mesh")));
        Assert.Equal([SelfV4], Addresses(Ask(zone, "laptop.mesh")));
    }

    [Fact]
    public void OtherNames_FromTheHost_AreForwarded_FromAPeer_Refused()
    {
        var zone = Zone(Peer("db", DbV4, null, TimeSpan.FromHours(1)));

        var local = _answerer.Decide(DnsQueries.Query("example.org", id: 77), zone, NameAsker.Local(SelfV4), _clock.NowTicks);
        Assert.Equal(NameDecisionKind.Forward, local.Kind);
        Assert.Equal(77, local.QueryId);

        var fromPeer = Ask(zone, "example.org", asker: NameAsker.Peer(DbV4));
        Assert.Equal(MessageStatus.Refused, fromPeer.Status);
        Assert.Equal(1, _counters.Refused);
    }

    [Fact]
    public void APeer_SeesThisNodeAndItself_NotTheRestOfThisNodesView()
    {
        var zone = Zone(Peer("db", DbV4, null, TimeSpan.FromHours(1)), Peer("web", IPAddress.Parse("100.64.0.8"), null, TimeSpan.FromHours(1)));
        var db = NameAsker.Peer(DbV4);

        Assert.Equal([SelfV4], Addresses(Ask(zone, "laptop.mesh", asker: db)));
        Assert.Equal([DbV4], Addresses(Ask(zone, "db.mesh", asker: db)));
        Assert.Equal(MessageStatus.NameError, Ask(zone, "web.mesh", asker: db).Status);
        Assert.Single(Addresses(Ask(zone, "web.mesh")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("1234010000010000000000")] // header claims a question that is not there
    [InlineData("12340100000100000000000002646203")] // name cut off mid-label
    [InlineData("1234010000010000000000c00c00010001")] // compression pointer to itself
    [InlineData("1234810000010000000000026462046d6573680000010001")] // a response (QR set), not a query
    [InlineData("1234010000020000000000026462046d6573680000010001026462046d6573680000010001")] // two questions
    [InlineData("1234290000010000000000026462046d6573680000010001")] // opcode UPDATE
    public void MalformedDatagrams_AreDroppedAndCounted(string hex)
    {
        var zone = Zone(Peer("db", DbV4, null, TimeSpan.FromHours(1)));

        var decision = _answerer.Decide(Convert.FromHexString(hex), zone, NameAsker.Local(SelfV4), _clock.NowTicks);

        Assert.Equal(NameDecisionKind.Drop, decision.Kind);
        Assert.Null(decision.Response);
        Assert.Equal(1, _counters.Malformed);
    }

    [Fact]
    public void RandomAndTruncatedDatagrams_NeverThrow_AndEveryDropIsCounted()
    {
        var zone = Zone(Peer("db", DbV4, DbV6, TimeSpan.FromHours(1)));
        var random = new Random(14);
        var valid = DnsQueries.Query("db.mesh");
        var drops = 0;
        for (var i = 0; i < 5000; i++)
        {
            byte[] datagram;
            if (i % 2 == 0)
            {
                datagram = new byte[random.Next(0, 600)];
                random.NextBytes(datagram);
            }
            else
            {
                // A real query with one byte flipped, or cut short.
                datagram = (byte[])valid.Clone();
                datagram[random.Next(datagram.Length)] ^= (byte)random.Next(1, 256);
                datagram = datagram[..random.Next(1, datagram.Length + 1)];
            }

            drops += _answerer.Decide(datagram, zone, NameAsker.Local(SelfV4), _clock.NowTicks).Kind == NameDecisionKind.Drop ? 1 : 0;
        }

        Assert.True(drops > 2500, $"{drops} of 5000 dropped");
        Assert.Equal(drops, _counters.Malformed);
    }

    [Fact]
    public void ServerFailure_KeepsTheQueryId()
    {
        var reply = DnsQueries.Read(NameAnswerer.ServerFailure(DnsQueries.Query("example.org", id: 9))!);

        Assert.Equal(MessageStatus.ServerFailure, reply.Status);
        Assert.Equal(9, reply.Id);
        Assert.Null(NameAnswerer.ServerFailure([1, 2, 3]));
    }
}
