using System.Security.Cryptography;
using System.Text;
using MeshPorts.Contracts.Relay;
using Xunit;

namespace MeshPorts.Contracts.Tests.Relay;

/// <summary>UDP relay frames: the layout of docs/nat.md, the tag, and what a forger or a replayer can and cannot do.</summary>
public sealed class RelayUdpFrameTests
{
    private static readonly byte[] PeerId = Encoding.ASCII.GetBytes("n_0123456789abcdef");

    [Fact]
    public void AFrameRoundTrips()
    {
        using var key = RelayUdpFrame.ImportKey(RandomNumberGenerator.GetBytes(32));
        var payload = RandomNumberGenerator.GetBytes(148);
        var buffer = new byte[1500];
        var length = RelayUdpFrame.Write(buffer, 0x1122334455667788, 7, RelayFrameKind.Datagram, PeerId, payload, key, RelayDirection.ToRelay);
        var frame = buffer.AsSpan(0, length);
        Assert.Equal(RelayUdpFrame.HeaderSize + PeerId.Length + payload.Length + RelayUdpFrame.TagSize, length);
        Assert.True(RelayUdpFrame.IsRelayFrame(frame));
        Assert.True(RelayUdpFrame.TryReadHeader(frame, out var header));
        Assert.Equal(0x1122334455667788UL, header.SessionId);
        Assert.Equal(7UL, header.Counter);
        Assert.Equal(RelayFrameKind.Datagram, header.Kind);
        Assert.Equal(PeerId, frame.Slice(header.PeerIdOffset, header.PeerIdLength).ToArray());
        Assert.Equal(payload, frame.Slice(header.PayloadOffset, header.PayloadLength).ToArray());
        Assert.True(RelayUdpFrame.VerifyTag(frame, key, RelayDirection.ToRelay));
    }

    [Fact]
    public void EveryFlippedBitFailsTheTag()
    {
        using var key = RelayUdpFrame.ImportKey(RandomNumberGenerator.GetBytes(32));
        var buffer = new byte[256];
        var length = RelayUdpFrame.Write(buffer, 1, 1, RelayFrameKind.Datagram, PeerId, [1, 2, 3, 4], key, RelayDirection.ToRelay);
        for (var bit = 0; bit < length * 8; bit++)
        {
            var copy = buffer.AsSpan(0, length).ToArray();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(RelayUdpFrame.VerifyTag(copy, key, RelayDirection.ToRelay), $"bit {bit} flipped and the tag still held");
        }
    }

    [Fact]
    public void AFrameDoesNotCheckInTheOtherDirectionOrUnderAnotherKey()
    {
        using var key = RelayUdpFrame.ImportKey(RandomNumberGenerator.GetBytes(32));
        using var other = RelayUdpFrame.ImportKey(RandomNumberGenerator.GetBytes(32));
        var buffer = new byte[256];
        var length = RelayUdpFrame.Write(buffer, 1, 1, RelayFrameKind.Keepalive, [], [], key, RelayDirection.ToRelay);
        Assert.True(RelayUdpFrame.VerifyTag(buffer.AsSpan(0, length), key, RelayDirection.ToRelay));
        Assert.False(RelayUdpFrame.VerifyTag(buffer.AsSpan(0, length), key, RelayDirection.FromRelay));
        Assert.False(RelayUdpFrame.VerifyTag(buffer.AsSpan(0, length), other, RelayDirection.ToRelay));
    }

    [Fact]
    public void MalformedLayoutsAreRefused()
    {
        using var key = RelayUdpFrame.ImportKey(RandomNumberGenerator.GetBytes(32));
        var buffer = new byte[256];
        var length = RelayUdpFrame.Write(buffer, 1, 1, RelayFrameKind.Datagram, PeerId, [9], key, RelayDirection.ToRelay);
        for (var cut = 0; cut < length; cut++)
        {
            // Any cut either fails the layout or leaves a frame whose tag cannot hold.
            Assert.False(RelayUdpFrame.TryReadHeader(buffer.AsSpan(0, cut), out _) && RelayUdpFrame.VerifyTag(buffer.AsSpan(0, cut), key, RelayDirection.ToRelay));
        }

        var badKind = buffer.AsSpan(0, length).ToArray();
        badKind[20] = 9;
        Assert.False(RelayUdpFrame.TryReadHeader(badKind, out _));

        var longId = buffer.AsSpan(0, length).ToArray();
        longId[21] = 200;
        Assert.False(RelayUdpFrame.TryReadHeader(longId, out _));

        // A keepalive carries neither a peer nor a payload, a datagram both.
        var keepalive = new byte[64];
        var k = RelayUdpFrame.Write(keepalive, 1, 2, RelayFrameKind.Keepalive, [], [], key, RelayDirection.ToRelay);
        Assert.True(RelayUdpFrame.TryReadHeader(keepalive.AsSpan(0, k), out var header));
        Assert.Equal(0, header.PayloadLength);
        var empty = new byte[64];
        var e = RelayUdpFrame.Write(empty, 1, 3, RelayFrameKind.Datagram, PeerId, [], key, RelayDirection.ToRelay);
        Assert.False(RelayUdpFrame.TryReadHeader(empty.AsSpan(0, e), out _));
    }

    [Fact]
    public void WriteRefusesWhatCannotBeAFrame()
    {
        using var key = RelayUdpFrame.ImportKey(RandomNumberGenerator.GetBytes(32));
        Assert.Throws<ArgumentException>(() => RelayUdpFrame.Write(new byte[1024], 1, 1, RelayFrameKind.Datagram, new byte[65], [1], key, RelayDirection.ToRelay));
        Assert.Throws<ArgumentException>(() => RelayUdpFrame.Write(new byte[30], 1, 1, RelayFrameKind.Datagram, PeerId, [1], key, RelayDirection.ToRelay));
    }

    [Fact]
    public void RandomInputNeverThrows()
    {
        using var key = RelayUdpFrame.ImportKey(RandomNumberGenerator.GetBytes(32));
        var random = new Random(12);
        var buffer = new byte[200];
        for (var i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            buffer[0] = RelayUdpFrame.Marker;
            buffer[1] = (byte)'M';
            buffer[2] = (byte)'R';
            buffer[3] = 1;
            var frame = buffer.AsSpan(0, random.Next(buffer.Length));
            if (RelayUdpFrame.TryReadHeader(frame, out _))
            {
                Assert.False(RelayUdpFrame.VerifyTag(frame, key, RelayDirection.ToRelay));
            }
        }
    }
}
