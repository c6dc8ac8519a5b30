using System.Diagnostics;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using MeshPorts.Contracts.Auth;
using MeshPorts.Contracts.Node;
using NSec.Cryptography;

namespace MeshPorts.LoadTest;

/// <summary>
/// One simulated node: a machine key, an enrollment, and a Watch stream whose events are timestamped on
/// arrival so the runner can tell how long a change took to reach it. It applies nothing. The relay load
/// mode uses its machine key for relay tickets and Hellos.
/// </summary>
internal sealed class SimNode : IDisposable
{
    private const string WatchMethod = "/meshports.node.v1.NodeControl/Watch";
    private const string TicketMethod = "/meshports.node.v1.NodeControl/GetRelayTicket";

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

    /// <summary>Opens the Watch stream and reads it until cancelled; returns the reading task.</summary>
    public async Task<Task> StartWatchAsync(NodeControl.NodeControlClient client, CancellationToken cancellation)
    {
        var request = new WatchRequest { ResumeFromSerial = 0 };
        request.Auth = await SignAsync(client, WatchMethod, request, cancellation).ConfigureAwait(false);
        var call = client.Watch(request, cancellationToken: cancellation);
        return ReadAsync(call, cancellation);
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

    /// <summary>Registers interest in the next event that matches, before the change that causes it is made.</summary>
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

    private async Task ReadAsync(AsyncServerStreamingCall<WatchEvent> call, CancellationToken cancellation)
    {
        using (call)
        {
            try
            {
                await foreach (var e in call.ResponseStream.ReadAllAsync(cancellation).ConfigureAwait(false))
                {
                    var arrived = Stopwatch.GetTimestamp();
                    if (e.EventCase == WatchEvent.EventOneofCase.Snapshot)
                    {
                        SnapshotBytes = e.CalculateSize();
                        _snapshot.TrySetResult();
                        continue;
                    }

                    if (e.EventCase != WatchEvent.EventOneofCase.Delta)
                    {
                        continue;
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
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled || cancellation.IsCancellationRequested)
            {
                // The runner ends every stream at the end of the benchmark.
            }
            catch (Exception ex)
            {
                _snapshot.TrySetException(ex);
                throw;
            }
        }
    }
}
