using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Node.Tests.Paths;

/// <summary>What a path manager does with probes arriving on the socket, good and bad.</summary>
public sealed class ProbeSinkTests : IDisposable
{
    private static readonly PeerEndpoint ASource = PathTestData.Ep("198.51.100.7:41641");
    private readonly FakeTimeProvider _time = new(PathTestData.Start);
    private readonly FakeNetwork _network;
    private readonly PathNode _b;
    private readonly WgKey _aPrivate = WgKey.GeneratePrivate();

    public ProbeSinkTests()
    {
        _network = new FakeNetwork(_time);
        _b = new PathNode(_network, "b", "192.0.2.2:51820", options: new PathManagerOptions { ReplayCapacity = 8 });

        // A's candidate is nowhere on the fake network, so B's own pings to it vanish.
        _b.Manager.Update([new PathPeer("a", _aPrivate.PublicFromPrivate(), null, [PathTestData.Ep("192.0.2.99:51820")], "coordinator")]);
        _network.Sent.Clear();
    }

    public void Dispose() => _b.Dispose();

    private byte[] KeyFor(WgKey ownPrivate, WgKey peerPublic)
    {
        var key = new byte[ProbeCodec.KeySize];
        Assert.True(ProbeCodec.TryDeriveKey(ownPrivate, peerPublic, key));
        return key;
    }

    private byte[] Ping(WgKey? sealWith = null, long? timeMs = null, ProbeTxId? txId = null, WgKey? headerKey = null)
    {
        var packet = new byte[ProbeCodec.PacketSize];
        var message = new ProbeMessage(ProbeKind.Ping, txId ?? ProbeTxId.NewRandom(), timeMs ?? _time.GetUtcNow().ToUnixTimeMilliseconds(), default);
        ProbeCodec.Seal(message, headerKey ?? _aPrivate.PublicFromPrivate(), KeyFor(sealWith ?? _aPrivate, _b.PublicKey), packet);
        return packet;
    }

    private List<(PeerEndpoint From, PeerEndpoint To, byte[] Datagram)> Replies() => [.. _network.Sent.Where(s => s.From == _b.Address)];

    [Fact]
    public void Ping_FromACurrentPeer_IsAnsweredWithASameSizePongToItsSource_NamingThatSource()
    {
        var ping = Ping();
        _b.Manager.HandleProbe(ping, ASource);

        var reply = Assert.Single(Replies());
        Assert.Equal(ASource, reply.To);
        Assert.Equal(ping.Length, reply.Datagram.Length);
        Assert.True(ProbeCodec.TryReadSender(reply.Datagram, out var sender));
        Assert.Equal(_b.PublicKey, sender);
        Assert.Equal(ProbeOpenResult.Ok, ProbeCodec.Open(reply.Datagram, KeyFor(_aPrivate, _b.PublicKey), out var pong));
        Assert.Equal(ProbeKind.Pong, pong.Kind);
        Assert.Equal(ASource, pong.Observed);
        Assert.Equal(1, _b.Manager.Counters.PingsReceived);
        Assert.Equal(1, _b.Manager.Counters.PongsSent);
        Assert.Equal(0, _b.Manager.Counters.Dropped);
    }

    [Fact]
    public void Ping_WithAForgedTag_IsDroppedAsBadTag_AndNotAnswered()
    {
        var ping = Ping();
        ping[^1] ^= 0x80;
        _b.Manager.HandleProbe(ping, ASource);
        Assert.Empty(Replies());
        Assert.Equal(1, _b.Manager.Counters.BadTag);
    }

    [Fact]
    public void Ping_NamingAPeerButSealedUnderAnotherKey_IsBadTag()
    {
        _b.Manager.HandleProbe(Ping(sealWith: WgKey.GeneratePrivate()), ASource);
        Assert.Empty(Replies());
        Assert.Equal(1, _b.Manager.Counters.BadTag);
    }

    [Fact]
    public void Ping_FromAKeyNoPeerHas_IsDroppedBeforeAnyCryptography()
    {
        var stranger = WgKey.GeneratePrivate();
        _b.Manager.HandleProbe(Ping(sealWith: stranger, headerKey: stranger.PublicFromPrivate()), ASource);
        Assert.Empty(Replies());
        Assert.Equal(1, _b.Manager.Counters.UnknownSender);
        Assert.Equal(0, _b.Manager.Counters.BadTag);
    }

    [Fact]
    public void Ping_Replayed_EvenFromAnotherSource_IsDroppedAsReplay()
    {
        var ping = Ping();
        _b.Manager.HandleProbe(ping, ASource);
        _b.Manager.HandleProbe(ping, PathTestData.Ep("203.0.113.50:9"));
        var reply = Assert.Single(Replies());
        Assert.Equal(ASource, reply.To);
        Assert.Equal(1, _b.Manager.Counters.Replay);
    }

    [Fact]
    public void Ping_WithAFreshNonceButAnOldTransactionId_IsAReplay()
    {
        var txId = ProbeTxId.NewRandom();
        _b.Manager.HandleProbe(Ping(txId: txId), ASource);
        _b.Manager.HandleProbe(Ping(txId: txId), ASource);
        Assert.Single(Replies());
        Assert.Equal(1, _b.Manager.Counters.Replay);
    }

    [Theory]
    [InlineData(-61)]
    [InlineData(61)]
    [InlineData(-3600)]
    public void Ping_MoreThan60sFromOurClock_IsStale(int offsetSeconds)
    {
        var time = _time.GetUtcNow().AddSeconds(offsetSeconds).ToUnixTimeMilliseconds();
        _b.Manager.HandleProbe(Ping(timeMs: time), ASource);
        Assert.Empty(Replies());
        Assert.Equal(1, _b.Manager.Counters.Stale);
    }

    [Theory]
    [InlineData(-59)]
    [InlineData(59)]
    public void Ping_Within60sOfOurClock_IsAnswered(int offsetSeconds)
    {
        var time = _time.GetUtcNow().AddSeconds(offsetSeconds).ToUnixTimeMilliseconds();
        _b.Manager.HandleProbe(Ping(timeMs: time), ASource);
        Assert.Single(Replies());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(60)]
    [InlineData(102)]
    [InlineData(104)]
    [InlineData(2000)]
    public void Datagram_TruncatedOrOversize_IsMalformed(int length)
    {
        var ping = Ping();
        var datagram = new byte[length];
        ping.AsSpan(0, Math.Min(length, ping.Length)).CopyTo(datagram);
        _b.Manager.HandleProbe(datagram, ASource);
        Assert.Empty(Replies());
        Assert.Equal(1, _b.Manager.Counters.Malformed);
    }

    [Theory]
    [InlineData("[100::7]:1")]
    [InlineData("224.0.0.9:520")]
    [InlineData("0.0.0.0:51820")]
    public void Ping_FromAVirtualMulticastOrUnspecifiedSource_IsNotAnswered(string source)
    {
        _b.Manager.HandleProbe(Ping(), PathTestData.Ep(source));
        Assert.Empty(Replies());
        Assert.Equal(1, _b.Manager.Counters.RefusedTargets);
    }

    [Fact]
    public void Pong_ForNoPingInFlight_IsUnsolicited_AndMovesNothing()
    {
        var packet = new byte[ProbeCodec.PacketSize];
        var pong = new ProbeMessage(ProbeKind.Pong, ProbeTxId.NewRandom(), _time.GetUtcNow().ToUnixTimeMilliseconds(), _b.Address);
        ProbeCodec.Seal(pong, _aPrivate.PublicFromPrivate(), KeyFor(_aPrivate, _b.PublicKey), packet);
        _b.Manager.HandleProbe(packet, ASource);
        _b.Manager.Tick();

        Assert.Equal(1, _b.Manager.Counters.Unsolicited);
        Assert.Equal("relay", _b.Control.PathOf("a"));
        Assert.Equal("relay", Assert.Single(_b.Manager.Status()).Path);
    }

    [Fact]
    public void OwnPing_ReflectedBack_IsFromAnUnknownSender()
    {
        _time.Advance(TimeSpan.FromMilliseconds(500));
        _b.Manager.Tick();
        var own = _network.Sent.First(s => s.From == _b.Address).Datagram;
        _network.Sent.Clear();
        _b.Manager.HandleProbe(own, ASource);
        Assert.Empty(Replies());
        Assert.Equal(1, _b.Manager.Counters.UnknownSender);
    }

    [Fact]
    public void Pings_BeyondTheReplayCacheWhileAllAreLive_AreRefused_NotForgotten()
    {
        for (var i = 0; i < 8; i++)
        {
            _b.Manager.HandleProbe(Ping(), ASource);
        }

        _b.Manager.HandleProbe(Ping(), ASource);
        Assert.Equal(8, Replies().Count);
        Assert.Equal(1, _b.Manager.Counters.Flood);
    }

    [Fact]
    public void Probes_AfterThePeerIsRemoved_AreFromAnUnknownSender()
    {
        _b.Manager.Update([]);
        _b.Manager.HandleProbe(Ping(), ASource);
        Assert.Empty(Replies());
        Assert.Equal(1, _b.Manager.Counters.UnknownSender);
    }
}
