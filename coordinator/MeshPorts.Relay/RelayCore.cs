using System.Buffers.Binary;
using System.Security.Cryptography;
using Grpc.Core;
using MeshPorts.Contracts.Relay;
using NSec.Cryptography;

namespace MeshPorts.Relay;

/// <summary>
/// The relay with no transport and no database (docs/nat.md, relay.proto): checks Hellos and tickets
/// against the coordinator's relay key, keeps one session per node, and forwards A → B only while both
/// current tickets name each other. The gRPC service and the UDP socket of a host (the coordinator, or a
/// standalone relay) feed it; time comes from the <see cref="TimeProvider"/> it is given. Thread-safe: one
/// lock guards every session.
/// </summary>
public sealed partial class RelayCore : IDisposable
{
    private readonly PublicKey _ticketKey;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, RelaySession> _byNode = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, RelaySession> _bySessionId = [];

    public RelayCore(string relayId, PublicKey ticketKey, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(relayId);
        ArgumentNullException.ThrowIfNull(ticketKey);
        ArgumentNullException.ThrowIfNull(time);
        RelayId = relayId;
        _ticketKey = ticketKey;
        _time = time;
    }

    public string RelayId { get; }

    public RelayCounters Counters { get; } = new();

    public TimeProvider Time => _time;

    /// <summary>The socket datagrams arriving over TLS leave on when the destination has a fresh UDP address; null: TLS only.</summary>
    public IRelayUdpSender? UdpSender { get; set; }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A fresh Challenge for one connection.</summary>
    public Challenge NewChallenge() => new()
    {
        Nonce = Google.Protobuf.ByteString.CopyFrom(RandomNumberGenerator.GetBytes(RelaySignatures.NonceSize)),
        RelayId = RelayId,
    };

    /// <summary>
    /// Checks a Hello against the challenge sent on this connection: the ticket signed by the coordinator
    /// (else UNAUTHENTICATED), unexpired and the timestamp within 60 s (else FAILED_PRECONDITION), the Hello
    /// signed by the ticket's machine key (else UNAUTHENTICATED). A welcomed node's earlier session ends.
    /// </summary>
    public RelayAdmission Admit(ReadOnlySpan<byte> challengeNonce, Hello? hello)
    {
        if (hello?.Ticket is null)
        {
            return RelayAdmission.Refused(StatusCode.Unauthenticated, "the Hello carries no ticket; fetch one with GetRelayTicket");
        }

        // Signature first, expiry apart: an expired ticket is told apart from a forged one.
        if (!RelayTickets.TryVerify(_ticketKey, hello.Ticket, long.MinValue, out var ticket))
        {
            return RelayAdmission.Refused(StatusCode.Unauthenticated, "the ticket is not signed by this relay's coordinator");
        }

        var now = NowMs;
        if (ticket.NotAfterUnixMs <= now)
        {
            return RelayAdmission.Refused(StatusCode.FailedPrecondition, "the ticket has expired; fetch a fresh one with GetRelayTicket");
        }

        if (Math.Abs(now - hello.TimestampUnixMs) > (long)RelaySignatures.HelloSkew.TotalMilliseconds)
        {
            return RelayAdmission.Refused(StatusCode.FailedPrecondition, "the Hello's clock is more than 60 s from the relay's; set the node's clock (NTP)");
        }

        if (!HelloSigned(challengeNonce, hello, ticket))
        {
            return RelayAdmission.Refused(StatusCode.Unauthenticated, "the Hello is not signed by the ticket's machine key over this connection's challenge");
        }

        if (ticket.NodeId.Length > RelayUdpFrame.MaxPeerIdLength || !ticket.NodeId.All(char.IsAscii))
        {
            return RelayAdmission.Refused(StatusCode.Unauthenticated, "the ticket's node id is not one a relay frame can carry");
        }

        var keyBytes = RandomNumberGenerator.GetBytes(32);
        lock (_lock)
        {
            ulong sessionId;
            do
            {
                sessionId = BinaryPrimitives.ReadUInt64BigEndian(RandomNumberGenerator.GetBytes(RelayUdpFrame.SessionIdSize));
            }
            while (_bySessionId.ContainsKey(sessionId));

            if (_byNode.TryGetValue(ticket.NodeId, out var earlier))
            {
                EndLocked(earlier, new Status(StatusCode.Aborted, "a newer connection of this node replaced this one"));
            }

            var session = new RelaySession(ticket, sessionId, keyBytes, now);
            _byNode[session.NodeId] = session;
            _bySessionId[sessionId] = session;
            session.Expiry = _time.CreateTimer(_ => Expire(session), null, Due(session, now), Timeout.InfiniteTimeSpan);
            Counters.SessionOpened();
            return new RelayAdmission(session, Status.DefaultSuccess);
        }
    }

    /// <summary>
    /// Takes a fresher ticket in-stream: it must verify, be unexpired, name the same node and machine key,
    /// and be issued later than the current one (an older ticket could name a peer since revoked).
    /// Returns null when taken, else the status the call ends with.
    /// </summary>
    public Status? Renew(RelaySession session, SignedTicket? signed)
    {
        ArgumentNullException.ThrowIfNull(session);
        var now = NowMs;
        if (!RelayTickets.TryVerify(_ticketKey, signed, now, out var ticket))
        {
            return new Status(StatusCode.Unauthenticated, "the new ticket is not signed by this relay's coordinator, or has expired");
        }

        if (!string.Equals(ticket.NodeId, session.NodeId, StringComparison.Ordinal)
            || !CryptographicOperations.FixedTimeEquals(ticket.MachinePublicKey.Span, session.MachineKey))
        {
            return new Status(StatusCode.Unauthenticated, "the new ticket is for another node or machine key");
        }

        lock (_lock)
        {
            if (session.IsEnded)
            {
                return session.EndStatus;
            }

            if (ticket.IssuedUnixMs <= session.Ticket.IssuedUnixMs)
            {
                return new Status(StatusCode.FailedPrecondition, "the new ticket is not fresher than the current one");
            }

            session.UseTicket(ticket);
            session.Expiry?.Change(Due(session, now), Timeout.InfiniteTimeSpan);
            return null;
        }
    }

    /// <summary>Ends a session (its stream ended); nothing if it already ended.</summary>
    public void End(RelaySession session, Status status)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_lock)
        {
            EndLocked(session, status);
        }
    }

    /// <summary>The node's live session, if any (tests and diagnostics).</summary>
    public RelaySession? Find(string nodeId)
    {
        lock (_lock)
        {
            return _byNode.GetValueOrDefault(nodeId);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var session in _byNode.Values.ToList())
            {
                EndLocked(session, new Status(StatusCode.Unavailable, "the relay is stopping"));
            }
        }
    }

    private static TimeSpan Due(RelaySession session, long nowMs) => TimeSpan.FromMilliseconds(Math.Max(0, session.NotAfterUnixMs - nowMs));

    private static bool HelloSigned(ReadOnlySpan<byte> challengeNonce, Hello hello, RelayTicket ticket)
    {
        if (challengeNonce.Length != RelaySignatures.NonceSize || hello.Signature.Length != 64
            || !PublicKey.TryImport(SignatureAlgorithm.Ed25519, ticket.MachinePublicKey.Span, KeyBlobFormat.RawPublicKey, out var machineKey))
        {
            return false;
        }

        var signed = RelaySignatures.HelloBytes(challengeNonce, hello.TimestampUnixMs, hello.Ticket.Ticket.Span);
        return SignatureAlgorithm.Ed25519.Verify(machineKey!, signed, hello.Signature.Span);
    }

    private void Expire(RelaySession session)
    {
        lock (_lock)
        {
            if (!session.IsEnded && session.NotAfterUnixMs <= NowMs)
            {
                EndLocked(session, Expired);
            }
        }
    }

    private static Status Expired => new(StatusCode.FailedPrecondition, "the ticket has expired; fetch a fresh one with GetRelayTicket and connect again");

    private void EndLocked(RelaySession session, Status status)
    {
        if (session.IsEnded)
        {
            return;
        }

        if (_byNode.TryGetValue(session.NodeId, out var current) && ReferenceEquals(current, session))
        {
            _byNode.Remove(session.NodeId);
        }

        _bySessionId.Remove(session.SessionId);
        session.End(status);
        Counters.SessionClosed();
    }
}
