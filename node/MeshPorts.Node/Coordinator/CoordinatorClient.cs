using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using MeshPorts.Contracts.Auth;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Transport;
using MeshPorts.Node.StateDirectory;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Coordinator;

/// <summary>
/// The node's side of node.proto: one HTTP/2 connection to the coordinator, trusted only by its pin, and every
/// call after Enroll signed with the machine key over a fresh nonce. Failures surface as
/// <see cref="CoordinatorException"/> with a <see cref="CoordinatorErrorKind"/> the daemon acts on.
/// </summary>
internal sealed class CoordinatorClient : IAsyncDisposable
{
    /// <summary>Unary calls are small; anything slower than this is a coordinator in trouble, worth a retry.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Snapshots of big meshes exceed gRPC's 4 MB default; this leaves room for tens of thousands of peers.</summary>
    private const int MaxMessageSize = 64 * 1024 * 1024;

    /// <summary>Past this, warn before the coordinator (60 s bound by default) starts refusing.</summary>
    private static readonly TimeSpan SkewWarning = TimeSpan.FromSeconds(30);

    private static readonly string Service = NodeControl.Descriptor.FullName;
    private static readonly string WatchMethod = $"/{Service}/Watch";
    private static readonly string AckMethod = $"/{Service}/Ack";
    private static readonly string RotateKeyMethod = $"/{Service}/RotateKey";
    private static readonly string ReportDeniedFlowsMethod = $"/{Service}/ReportDeniedFlows";
    private static readonly string ReportEndpointsMethod = $"/{Service}/ReportEndpoints";
    private static readonly string CallMeMethod = $"/{Service}/CallMe";
    private static readonly string GetRelayTicketMethod = $"/{Service}/GetRelayTicket";

    private readonly Uri _url;
    private readonly CertificatePin _pin;
    private readonly MachineKey _machine;
    private readonly ByteString _machinePublic;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GrpcChannel _channel;
    private readonly NodeControl.NodeControlClient _client;

    // The key a refused server presented, set by the TLS callback and taken by the failing call's error mapping.
    private StrongBox<CertificatePin>? _presented;

    public CoordinatorClient(Uri url, string pin, MachineKey machineKey, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(machineKey);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        if (url.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"the coordinator URL '{url}' must be https:// (the coordinator serves nothing in plaintext)", nameof(url));
        }

        if (!CertificatePin.TryParse(pin, out _pin))
        {
            throw new ArgumentException($"the pin '{pin}' is not a SHA-256 fingerprint (sha256:<64 hex>); copy it from the join string or meshctl.conf", nameof(pin));
        }

        _url = url;
        _machine = machineKey;
        _machinePublic = ByteString.CopyFrom(machineKey.PublicKey.Span);
        _time = time;
        _logger = logger;
        var handler = PinnedHttpHandler.Create(_pin, PinnedHttpHandler.DefaultKeepAlive, presented => Volatile.Write(ref _presented, new StrongBox<CertificatePin>(presented)));
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxMessageSize,
        });
        _client = new NodeControl.NodeControlClient(_channel);
    }

    public Uri Url => _url;

    public async Task<EnrollResponse> EnrollAsync(
        string joinSecret,
        ReadOnlyMemory<byte> wireGuardPublicKey,
        string? requestedName,
        IReadOnlyList<ExposedService> services,
        IReadOnlyList<string> endpoints,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(joinSecret);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(endpoints);
        var timestamp = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var signed = NodeSignatures.EnrollBytes(_machine.PublicKey.Span, wireGuardPublicKey.Span, timestamp, joinSecret);
        var request = new EnrollRequest
        {
            JoinSecret = joinSecret,
            MachinePublicKey = _machinePublic,
            WireguardPublicKey = ByteString.CopyFrom(wireGuardPublicKey.Span),
            RequestedName = requestedName ?? string.Empty,
            TimestampUnixMs = timestamp,
            Signature = ByteString.CopyFrom(_machine.Sign(signed)),
        };
        request.Services.AddRange(services);
        request.Endpoints.AddRange(endpoints);
        return await CallAsync("enrollment", () => _client.EnrollAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync, cancellationToken);
    }

    /// <summary>
    /// The node's view of the mesh. No deadline: the stream lives as long as the connection (keepalive pings
    /// notice a dead one). Cancelling <paramref name="cancellationToken"/> ends the enumeration quietly; any other
    /// end, including the server closing the stream, throws <see cref="CoordinatorException"/>.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(ulong resumeFromSerial, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new WatchRequest { ResumeFromSerial = resumeFromSerial };
        try
        {
            request.Auth = await AuthorizeAsync(WatchMethod, request, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            yield break;
        }

        using var call = _client.Watch(request, cancellationToken: cancellationToken);
        CoordinatorLog.WatchOpened(_logger, _url.GetLeftPart(UriPartial.Authority), resumeFromSerial);
        while (true)
        {
            bool next;
            try
            {
                next = await call.ResponseStream.MoveNext(cancellationToken);
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is RpcException or OperationCanceledException)
            {
                yield break;
            }
            catch (RpcException ex)
            {
                throw Map(ex, "netmap watch");
            }

            if (!next)
            {
                throw new CoordinatorException(
                    CoordinatorErrorKind.Unreachable,
                    $"the coordinator at {_url.GetLeftPart(UriPartial.Authority)} ended the Watch stream (restarting?); the node reconnects");
            }

            yield return call.ResponseStream.Current;
        }
    }

    public async Task AckAsync(ulong appliedSerial, CancellationToken cancellationToken)
    {
        var request = new AckRequest { AppliedSerial = appliedSerial };
        request.Auth = await AuthorizeAsync(AckMethod, request, cancellationToken);
        await CallAsync("netmap acknowledgement", () => _client.AckAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync, cancellationToken);
    }

    public async Task<RotateKeyResponse> RotateKeyAsync(ReadOnlyMemory<byte> newWireGuardPublicKey, CancellationToken cancellationToken)
    {
        var request = new RotateKeyRequest { NewWireguardPublicKey = ByteString.CopyFrom(newWireGuardPublicKey.Span) };
        request.Auth = await AuthorizeAsync(RotateKeyMethod, request, cancellationToken);
        return await CallAsync("key rotation", () => _client.RotateKeyAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync, cancellationToken);
    }

    public async Task ReportDeniedFlowsAsync(IReadOnlyList<DeniedFlow> flows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flows);
        var request = new DeniedFlowReport();
        request.Flows.AddRange(flows);
        request.Auth = await AuthorizeAsync(ReportDeniedFlowsMethod, request, cancellationToken);
        await CallAsync("denied-flow report", () => _client.ReportDeniedFlowsAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync, cancellationToken);
    }

    /// <summary>Replaces this node's reported candidates, home relay and per-peer paths (docs/nat.md).</summary>
    public async Task ReportEndpointsAsync(EndpointReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var request = report.Clone();
        request.Auth = null;
        request.Auth = await AuthorizeAsync(ReportEndpointsMethod, request, cancellationToken);
        await CallAsync("endpoint report", () => _client.ReportEndpointsAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync, cancellationToken);
    }

    /// <summary>Asks the coordinator to have <paramref name="peerNodeId"/> probe this node now.</summary>
    public async Task CallMeAsync(string peerNodeId, CancellationToken cancellationToken)
    {
        var request = new CallMeRequest { PeerNodeId = peerNodeId };
        request.Auth = await AuthorizeAsync(CallMeMethod, request, cancellationToken);
        await CallAsync("call-me", () => _client.CallMeAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync, cancellationToken);
    }

    /// <summary>A fresh relay ticket naming this node's current peers, and the relays to use it at.</summary>
    public async Task<RelayTicketResponse> GetRelayTicketAsync(CancellationToken cancellationToken)
    {
        var request = new RelayTicketRequest();
        request.Auth = await AuthorizeAsync(GetRelayTicketMethod, request, cancellationToken);
        return await CallAsync("relay ticket", () => _client.GetRelayTicketAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// node.proto's NodeAuth: a fresh single-use nonce, then a signature over method, nonce, time and the
    /// SHA-256 of <paramref name="request"/> as serialized now, with its auth field still unset.
    /// </summary>
    private async Task<NodeAuth> AuthorizeAsync(string method, IMessage request, CancellationToken cancellationToken)
    {
        var challenge = await CallAsync(
            "sign-in",
            () => _client.GetChallengeAsync(new ChallengeRequest { MachinePublicKey = _machinePublic }, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync,
            cancellationToken);
        var now = _time.GetUtcNow();
        if (challenge.ServerTime is { } serverTime && (now - serverTime.ToDateTimeOffset()).Duration() > SkewWarning)
        {
            CoordinatorLog.ClockSkew(_logger, (now - serverTime.ToDateTimeOffset()).TotalSeconds);
        }

        var timestamp = now.ToUnixTimeMilliseconds();
        var bodyHash = SHA256.HashData(request.ToByteArray());
        var signed = NodeSignatures.AuthBytes(method, challenge.Nonce.Span, timestamp, bodyHash);
        return new NodeAuth
        {
            MachinePublicKey = _machinePublic,
            Nonce = challenge.Nonce,
            TimestampUnixMs = timestamp,
            Signature = ByteString.CopyFrom(_machine.Sign(signed)),
        };
    }

    private async Task<T> CallAsync<T>(string operation, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (RpcException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"{operation} was cancelled", ex, cancellationToken);
        }
        catch (RpcException ex)
        {
            throw Map(ex, operation);
        }
    }

    private CoordinatorException Map(RpcException ex, string operation)
    {
        var presented = Interlocked.Exchange(ref _presented, null);
        return CoordinatorErrors.Map(ex, operation, _url, _pin, presented?.Value);
    }

    /// <summary>gRPC compares deadlines with the system clock, not a TimeProvider, so this one is real time by necessity.</summary>
    private static DateTime Deadline() => DateTime.UtcNow + CallTimeout;
}
