using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using MeshPorts.Contracts.Stun;
using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Discovery;

/// <summary>
/// Asks STUN servers (RFC 5389 Binding) where this node's WireGuard socket is seen from: requests go out
/// through <see cref="IUnderlaySender"/>, so the NAT mapping learned is the one peers use, and the device
/// hands back what looks like STUN through <see cref="TryHandleStun"/>. A response is taken only for an
/// outstanding transaction id, from the server that id was sent to, and only when it parses (its
/// FINGERPRINT holds, if it has one); everything else is left to the device to count.
/// Thread-safe: <see cref="TryHandleStun"/> runs on the device's receive thread.
/// </summary>
internal sealed class StunClient(IUnderlaySender underlay, TimeProvider time) : IStunSink
{
    /// <summary>RFC 5389 7.2.1's RTO, doubled after each try.</summary>
    public static readonly TimeSpan FirstRetransmit = TimeSpan.FromMilliseconds(500);

    /// <summary>Tries per server and round (500 ms + 1 s + 2 s: a silent server costs 3.5 s).</summary>
    public const int Tries = 3;

    private readonly Lock _gate = new();
    private readonly Dictionary<UInt128, Outstanding> _outstanding = [];

    /// <summary>Requests now waiting for an answer (each server's round holds one).</summary>
    public int OutstandingCount
    {
        get
        {
            lock (_gate)
            {
                return _outstanding.Count;
            }
        }
    }

    /// <summary>The address <paramref name="server"/> saw our request come from; null when it did not answer.</summary>
    public async Task<IPEndPoint?> QueryAsync(IPEndPoint server, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(server);
        var destination = PeerEndpoint.FromIPEndPoint(server);
        var pending = new Outstanding(destination);
        var transactionId = new byte[StunMessage.TransactionIdSize];
        UInt128 key;
        lock (_gate)
        {
            do
            {
                RandomNumberGenerator.Fill(transactionId);
                key = Key(transactionId);
            }
            while (!_outstanding.TryAdd(key, pending));
        }

        try
        {
            var request = new byte[StunMessage.MaxWrittenSize];
            var length = StunMessage.WriteBindingRequest(request, transactionId);
            var wait = FirstRetransmit;
            for (var attempt = 0; attempt < Tries; attempt++)
            {
                // A refused send (no route yet) is a lost request: the next try may find one.
                underlay.SendUnderlay(request.AsSpan(0, length), destination);
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                var delay = Task.Delay(wait, time, timer.Token);
                if (await Task.WhenAny(pending.Answer.Task, delay).ConfigureAwait(false) == pending.Answer.Task)
                {
                    await timer.CancelAsync().ConfigureAwait(false);
                    return await pending.Answer.Task.ConfigureAwait(false);
                }

                await delay.ConfigureAwait(false);
                wait *= 2;
            }

            return null;
        }
        finally
        {
            lock (_gate)
            {
                _outstanding.Remove(key);
            }
        }
    }

    /// <summary>Every server in parallel; the answers in the servers' order.</summary>
    public async Task<IReadOnlyList<StunAnswer>> QueryAllAsync(IReadOnlyList<IPEndPoint> servers, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var mapped = await Task.WhenAll(servers.Select(s => QueryAsync(s, cancellation))).ConfigureAwait(false);
        return servers.Select((s, i) => new StunAnswer(s, mapped[i])).ToList();
    }

    public bool TryHandleStun(ReadOnlySpan<byte> datagram, in PeerEndpoint source)
    {
        Span<byte> transactionId = stackalloc byte[StunMessage.TransactionIdSize];
        if (!StunMessage.TryReadBindingSuccess(datagram, transactionId, out var mapped))
        {
            return false;
        }

        Outstanding? pending;
        lock (_gate)
        {
            var key = Key(transactionId);
            // An id we did not send, or an answer from anywhere but the server asked: a guess or a spoof.
            if (!_outstanding.TryGetValue(key, out pending) || pending.Server != source)
            {
                return false;
            }

            _outstanding.Remove(key);
        }

        pending.Answer.TrySetResult(mapped);
        return true;
    }

    private static UInt128 Key(ReadOnlySpan<byte> transactionId) =>
        new(BinaryPrimitives.ReadUInt32BigEndian(transactionId), BinaryPrimitives.ReadUInt64BigEndian(transactionId[4..]));

    private sealed class Outstanding(PeerEndpoint server)
    {
        public PeerEndpoint Server { get; } = server;

        public TaskCompletionSource<IPEndPoint> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
