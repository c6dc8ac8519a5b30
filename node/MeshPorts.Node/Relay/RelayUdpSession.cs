using MeshPorts.Contracts.Relay;
using MeshPorts.WireGuard.Net;
using NSec.Cryptography;

namespace MeshPorts.Node.Relay;

/// <summary>
/// What one Welcome set up for UDP relay frames with one relay: the session id and key, our send counter,
/// the receive replay window and the keepalive timings. A reconnect makes a new one; frames of the old
/// session are then unknown.
/// </summary>
internal sealed class RelayUdpSession
{
    private readonly Lock _receive = new();
    private readonly RelayReplayWindow _replay = new();
    private long _sendCounter;
    private const long Never = long.MinValue;

    private long _lastAnswer = Never;
    private long _keepaliveSent = Never;
    private long _roundTripTicks = -1;

    public RelayUdpSession(ulong sessionId, Key key, PeerEndpoint relayEndpoint)
    {
        SessionId = sessionId;
        Key = key;
        RelayEndpoint = relayEndpoint;
    }

    public ulong SessionId { get; }

    public Key Key { get; }

    /// <summary>The relay's UDP address; frames from anywhere else are not this relay's.</summary>
    public PeerEndpoint RelayEndpoint { get; }

    /// <summary>Each direction counts on its own, from 1.</summary>
    public ulong NextCounter() => (ulong)Interlocked.Increment(ref _sendCounter);

    /// <summary>Takes a counter once, after its frame authenticated.</summary>
    public bool AcceptCounter(ulong counter)
    {
        lock (_receive)
        {
            return _replay.Accept(counter);
        }
    }

    /// <summary>The latest keepalive's send time: an answer is taken as answering it.</summary>
    public void KeepaliveSent(long timestamp) => Interlocked.Exchange(ref _keepaliveSent, timestamp);

    /// <summary>An answer arrived at <paramref name="timestamp"/>: the session is up, and the latest keepalive's round trip is known.</summary>
    public void Answered(long timestamp, TimeProvider time)
    {
        Volatile.Write(ref _lastAnswer, timestamp);
        var sent = Interlocked.Exchange(ref _keepaliveSent, Never);
        if (sent != Never)
        {
            Volatile.Write(ref _roundTripTicks, time.GetElapsedTime(sent, timestamp).Ticks);
        }
    }

    public bool IsUp(long now, TimeProvider time, TimeSpan window)
    {
        var last = Volatile.Read(ref _lastAnswer);
        return last != Never && time.GetElapsedTime(last, now) < window;
    }

    /// <summary>The latest keepalive round trip, or null before the first answer.</summary>
    public TimeSpan? RoundTrip
    {
        get
        {
            var ticks = Volatile.Read(ref _roundTripTicks);
            return ticks < 0 ? null : TimeSpan.FromTicks(ticks);
        }
    }

    public static bool TryParseWelcome(Welcome welcome, PeerEndpoint relayEndpoint, out RelayUdpSession? session)
    {
        session = null;
        if (welcome.UdpSessionId.Length != RelayUdpFrame.SessionIdSize || welcome.UdpKey.Length != 32)
        {
            return false;
        }

        var id = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(welcome.UdpSessionId.Span);
        session = new RelayUdpSession(id, RelayUdpFrame.ImportKey(welcome.UdpKey.Span), relayEndpoint);
        return true;
    }
}
