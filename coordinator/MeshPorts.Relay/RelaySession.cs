using System.Net;
using System.Text;
using System.Threading.Channels;
using Grpc.Core;
using MeshPorts.Contracts.Relay;
using NSec.Cryptography;

namespace MeshPorts.Relay;

/// <summary>
/// One node's welcomed connection: its current ticket, its UDP session (id, key, replay window, the address
/// of its latest good frame, the relay's own counter towards it), its rate buckets, and the queue of
/// datagrams waiting for its TLS stream. Mutable state is changed only under the <see cref="RelayCore"/> lock.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Ended stays readable after the session ends; the token source holds no timer or handle.")]
public sealed class RelaySession
{
    private readonly Channel<Datagram> _outbound = Channel.CreateBounded<Datagram>(
        new BoundedChannelOptions(RelayLimits.TlsQueue) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly CancellationTokenSource _ended = new();

    internal RelaySession(RelayTicket ticket, ulong sessionId, byte[] udpKey, long nowMs)
    {
        NodeId = ticket.NodeId;
        NodeIdBytes = Encoding.ASCII.GetBytes(ticket.NodeId);
        MachineKey = ticket.MachinePublicKey.ToByteArray();
        SessionId = sessionId;
        UdpKeyBytes = udpKey;
        UdpKey = RelayUdpFrame.ImportKey(udpKey);
        Datagrams = new TokenBucket(RelayLimits.DatagramsPerSecond, RelayLimits.DatagramsPerSecond, nowMs);
        Bytes = new TokenBucket(RelayLimits.BytesPerSecond, RelayLimits.BytesPerSecond, nowMs);
        UseTicket(ticket);
    }

    public string NodeId { get; }

    public ulong SessionId { get; }

    /// <summary>When the current ticket ends (Unix ms); the session ends then unless a fresher one came.</summary>
    public long NotAfterUnixMs { get; private set; }

    /// <summary>Datagrams for this node's TLS stream (Received frames).</summary>
    public ChannelReader<Datagram> Outbound => _outbound.Reader;

    /// <summary>Cancelled when the session ends: replaced by a newer connection, ticket expired, or the stream ended.</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>Why the session ended, for the stream's final status; null while it lives.</summary>
    public Status? EndStatus { get; private set; }

    internal byte[] NodeIdBytes { get; }

    internal byte[] MachineKey { get; }

    internal byte[] UdpKeyBytes { get; }

    internal Key UdpKey { get; }

    internal RelayTicket Ticket { get; private set; } = null!;

    internal HashSet<string> Peers { get; private set; } = [];

    internal RelayReplayWindow Replay { get; } = new();

    internal ulong SendCounter { get; set; }

    internal IPEndPoint? UdpAddress { get; set; }

    internal long UdpSeenMs { get; set; }

    /// <summary>When the node last sent a datagram on its TLS stream: it does so only once its UDP session looks dead to it.</summary>
    internal long TlsSentMs { get; set; }

    internal TokenBucket Datagrams { get; }

    internal TokenBucket Bytes { get; }

    internal ITimer? Expiry { get; set; }

    internal bool IsEnded => EndStatus is not null;

    /// <summary>The answer to a good Hello.</summary>
    public Welcome Welcome() => new()
    {
        UdpSessionId = Google.Protobuf.ByteString.CopyFrom(SessionIdBytes()),
        UdpKey = Google.Protobuf.ByteString.CopyFrom(UdpKeyBytes),
        TicketNotAfterUnixMs = NotAfterUnixMs,
    };

    private byte[] SessionIdBytes()
    {
        var bytes = new byte[RelayUdpFrame.SessionIdSize];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, SessionId);
        return bytes;
    }

    internal void UseTicket(RelayTicket ticket)
    {
        Ticket = ticket;
        Peers = new HashSet<string>(ticket.PeerNodeIds, StringComparer.Ordinal);
        NotAfterUnixMs = ticket.NotAfterUnixMs;
    }

    internal bool TryQueue(Datagram datagram) => _outbound.Writer.TryWrite(datagram);

    /// <summary>Marks the session ended; the caller holds the relay's lock and has removed it from the maps.</summary>
    internal void End(Status status)
    {
        if (IsEnded)
        {
            return;
        }

        EndStatus = status;
        Expiry?.Dispose();
        _outbound.Writer.TryComplete();
        // Callbacks run elsewhere, never under the relay's lock held by the caller.
        _ = _ended.CancelAsync();
        UdpKey.Dispose();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(UdpKeyBytes);
    }
}
