using System.Diagnostics;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using MeshPorts.Contracts.Auth;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Transport;
using NSec.Cryptography;

namespace MeshPorts.LoadTest;

/// <summary>
/// One simulated node: a machine key, an enrollment, and a Watch stream whose events are timestamped on
/// arrival so the runner can tell how long a change took to reach it, and that fails over along the
/// coordinator URLs like a node. It applies nothing. The relay load
/// mode uses its machine key for relay tickets and Hellos.
/// </summary>
internal sealed class SimNode : IDisposable
{
    private const string WatchMethod = "/meshports.node.v1.NodeControl/Watch";
    private const string TicketMethod = "/meshports.node.v1.NodeControl/GetRelayTicket";

    // The node daemon's reconnect schedule (AgentOptions' defaults).
    private static readonly TimeSpan s_initialBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);

    private readonly Key _machine = Key.Create(SignatureAlgorithm.Ed25519);
    private readonly byte[] _machinePublic;
    private readonly List<Waiter> _waiters = [];
    private readonly TaskCompletionSource _snapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SimNode()
    {
        _machinePublic = _machine.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public string Name { get; private set; } = string.Empty;

    public string NodeId { get; private set; } = string.Empty;

    public int SnapshotBytes { get; private set; }

    /// <summary>Index of the replica (in the runner's URL list) the Watch stream is on or is trying next.</summary>
    public int Replica { get; private set; }

    /// <summary>Streams that failed or ended and were opened again.</summary>
    public int Reconnects { get; private set; }

    /// <summary>Completes when the first snapshot arrived on the Watch stream.</summary>
    public Task Snapshot => _snapshot.Task;

    public async Task EnrollAsync(NodeControl.NodeControlClient client, string secret, string name, CancellationToken cancellation)
    {
        // A random 32-byte value stands in for the Curve25519 key: the coordinator only relays it.
        var wgPublic = RandomNumberGenerator.GetBytes(32);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var signed = NodeSignatures.EnrollBytes(_machinePublic, wgPublic, now, secret);
        var request = new EnrollRequest
        {
            JoinSecret = secret,
            MachinePublicKey = ByteString.CopyFrom(_machinePublic),
            WireguardPublicKey = ByteString.CopyFrom(wgPublic),
            RequestedName = name,
            TimestampUnixMs = now,
            Signature = ByteString.CopyFrom(SignatureAlgorithm.Ed25519.Sign(_machine, signed)),
        };
        request.Services.Add(new ExposedService { Port = 5432, Protocol = Protocol.Tcp, Name = "postgres" });
        request.Endpoints.Add("127.0.0.1:51820");
        var response = await client.EnrollAsync(request, cancellationToken: cancellation).ConfigureAwait(false);
        Name = response.Name;
        NodeId = response.NodeId;
    }

    /// <summary>
    /// Follows the coordinator until cancelled, as the node daemon does: a stream that fails or ends moves to the
    /// next URL of <paramref name="replicas"/> (round robin) after the node's jittered backoff (Contracts'
    /// <see cref="Backoff"/>, the node's defaults), reset by a stream that delivered anything. Every stream asks
    /// for a snapshot. <paramref name="handshakes"/> bounds the streams between challenge and first event: the
    /// simulated nodes share one source address, whose live challenges the coordinator caps.
    /// </summary>
    public Task WatchAsync(IReadOnlyList<NodeControl.NodeControlClient> replicas, int first, SemaphoreSlim handshakes, CancellationToken cancellation)
    {
        Replica = first;
        return WatchLoopAsync(replicas, handshakes, cancellation);
    }

    /// <summary>Opens a second Watch stream just for its snapshot and returns that snapshot's size in bytes.</summary>
    public async Task<int> FetchSnapshotBytesAsync(NodeControl.NodeControlClient client, CancellationToken cancellation)
    {
        using var once = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var request = new WatchRequest { ResumeFromSerial = 0 };
        request.Auth = await SignAsync(client, WatchMethod, request, once.Token).ConfigureAwait(false);
        using var call = client.Watch(request, cancellationToken: once.Token);
        var size = await call.ResponseStream.MoveNext(once.Token).ConfigureAwait(false) ? call.ResponseStream.Current.CalculateSize() : 0;
        await once.CancelAsync().ConfigureAwait(false);
        return size;
    }

    /// <summary>GetRelayTicket as a node calls it: the coordinator-signed ticket naming this node's netmap peers, and the relays.</summary>
    public async Task<RelayTicketResponse> GetRelayTicketAsync(NodeControl.NodeControlClient client, CancellationToken cancellation)
    {
        var request = new RelayTicketRequest();
        request.Auth = await SignAsync(client, TicketMethod, request, cancellation).ConfigureAwait(false);
        return await client.GetRelayTicketAsync(request, cancellationToken: cancellation).ConfigureAwait(false);
    }

    /// <summary>Signs <paramref name="data"/> with this node's machine key (a relay Hello).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => SignatureAlgorithm.Ed25519.Sign(_machine, data);

    /// <summary>
    /// A call's NodeAuth (node.proto): a fresh challenge, and the signature over the method, nonce, time and
    /// the request body serialized without auth.
    /// </summary>
    private async Task<NodeAuth> SignAsync(NodeControl.NodeControlClient client, string method, IMessage request, CancellationToken cancellation)
    {
        var challenge = await client.GetChallengeAsync(
            new ChallengeRequest { MachinePublicKey = ByteString.CopyFrom(_machinePublic) }, cancellationToken: cancellation).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var signed = NodeSignatures.AuthBytes(method, challenge.Nonce.Span, now, SHA256.HashData(request.ToByteArray()));
        return new NodeAuth
        {
            MachinePublicKey = ByteString.CopyFrom(_machinePublic),
            Nonce = challenge.Nonce,
            TimestampUnixMs = now,
            Signature = ByteString.CopyFrom(Sign(signed)),
        };
    }

    /// <summary>Registers interest in the next event (snapshot or delta) that matches, before the change that causes it is made.</summary>
    public Task<Arrival> WaitFor(Func<WatchEvent, bool> match)
    {
        var waiter = new Waiter(match);
        lock (_waiters)
        {
            _waiters.Add(waiter);
        }

        return waiter.Completion.Task;
    }

    public void Dispose() => _machine.Dispose();

    private async Task WatchLoopAsync(IReadOnlyList<NodeControl.NodeControlClient> replicas, SemaphoreSlim handshakes, CancellationToken cancellation)
    {
        var backoff = new Backoff(s_initialBackoff, s_maxBackoff);
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                if (await FollowAsync(replicas[Replica], handshakes, cancellation).ConfigureAwait(false))
                {
                    backoff.Reset();
                }
            }
            catch (Exception) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException)
            {
                // A replica that is gone or refuses: the node moves on, as below.
            }

            Replica = (Replica + 1) % replicas.Count;
            Reconnects++;
            try
            {
                await Task.Delay(backoff.Next(), cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One Watch stream, from challenge to its end; true if anything arrived.</summary>
    private async Task<bool> FollowAsync(NodeControl.NodeControlClient client, SemaphoreSlim handshakes, CancellationToken cancellation)
    {
        await handshakes.WaitAsync(cancellation).ConfigureAwait(false);
        var held = true;
        try
        {
            var request = new WatchRequest { ResumeFromSerial = 0 };
            request.Auth = await SignAsync(client, WatchMethod, request, cancellation).ConfigureAwait(false);
            using var call = client.Watch(request, cancellationToken: cancellation);
            var receivedAny = false;
            while (await call.ResponseStream.MoveNext(cancellation).ConfigureAwait(false))
            {
                var arrived = Stopwatch.GetTimestamp();
                if (held)
                {
                    handshakes.Release();
                    held = false;
                }

                receivedAny = true;
                Deliver(call.ResponseStream.Current, arrived);
            }

            return receivedAny;
        }
        finally
        {
            if (held)
            {
                handshakes.Release();
            }
        }
    }

    private void Deliver(WatchEvent e, long arrived)
    {
        if (e.EventCase == WatchEvent.EventOneofCase.Snapshot)
        {
            SnapshotBytes = e.CalculateSize();
            _snapshot.TrySetResult();
        }
        else if (e.EventCase != WatchEvent.EventOneofCase.Delta)
        {
            return;
        }

        lock (_waiters)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(e))
                {
                    _waiters[i].Completion.TrySetResult(new Arrival(arrived, e.CalculateSize()));
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
