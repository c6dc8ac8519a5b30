using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Hosting;
using MeshPorts.Coordinator.Mapping;
using MeshPorts.Coordinator.Metrics;
using MeshPorts.Coordinator.Options;
using MeshPorts.Coordinator.State;
using MeshPorts.Coordinator.State.Endpoints;
using MeshPorts.Coordinator.State.Relays;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Streaming;
using Microsoft.Extensions.Hosting;

namespace MeshPorts.Coordinator.Services;

/// <summary>The node-facing API: thin translation to <see cref="MeshState"/>.</summary>
internal sealed class NodeControlService : NodeControl.NodeControlBase
{
    private readonly MeshState _state;
    private readonly FeedHub _hub;
    private readonly TimeProvider _time;
    private readonly CoordinatorOptions _options;
    private readonly CoordinatorMetrics _metrics;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly RelayTicketIssuer _tickets;
    private readonly RelayRegistrar _relays;

    public NodeControlService(MeshState state, FeedHub hub, CoordinatorClock clock, CoordinatorOptions options, CoordinatorMetrics metrics, IHostApplicationLifetime lifetime,
        RelayTicketIssuer tickets, RelayRegistrar relays)
    {
        _lifetime = lifetime;
        _tickets = tickets;
        _relays = relays;
        _state = state;
        _hub = hub;
        _time = clock.Time;
        _options = options;
        _metrics = metrics;
    }

    public override async Task<EnrollResponse> Enroll(EnrollRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var input = new EnrollInput(
            request.JoinSecret,
            request.MachinePublicKey.ToByteArray(),
            request.WireguardPublicKey.ToByteArray(),
            request.RequestedName,
            request.Services.Select(ProtoMapper.Service).ToList(),
            request.Endpoints.ToList(),
            request.TimestampUnixMs,
            request.Signature.ToByteArray(),
            Source(context));
        var result = await _state.Enrollment.EnrollAsync(input, context.CancellationToken);
        var response = new EnrollResponse
        {
            NodeId = result.Node.Id,
            Name = result.Node.Name,
            OverlayIpv4 = result.OverlayIpv4,
            OverlayIpv6 = result.OverlayIpv6,
            OverlayPrefixIpv4 = result.Ipv4Prefix,
            OverlayPrefixIpv6 = result.Ipv6Prefix,
            KeyExpiresAt = ProtoMapper.Time(result.Node.KeyExpiresAt),
            User = result.Node.User,
            KeyLifetimeSeconds = (long)result.KeyLifetime.TotalSeconds,
        };
        response.Tags.AddRange(result.Node.Tags);
        return response;
    }

    public override Task<ChallengeResponse> GetChallenge(ChallengeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var (nonce, expires, now) = _state.Authentication.IssueChallenge(request.MachinePublicKey.ToByteArray(), Source(context));
        return Task.FromResult(new ChallengeResponse
        {
            Nonce = ByteString.CopyFrom(nonce),
            ServerTime = ProtoMapper.Time(now),
            ExpiresAt = ProtoMapper.Time(expires),
        });
    }

    public override async Task Watch(WatchRequest request, IServerStreamWriter<WatchEvent> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var node = await AuthenticateAsync(request.Auth, request, context);
        var feed = _hub.Find(node.Id) ?? throw Removed();
        var (reader, handle, snapshot) = feed.Subscribe(request.ResumeFromSerial);
        if (snapshot)
        {
            _metrics.SnapshotSent();
        }

        _metrics.StreamOpened();

        // A stream also ends when the coordinator stops, so the host need not wait out its shutdown timeout
        // and the node learns at once that it must reconnect (to this coordinator later, or another).
        using var streamLife = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _lifetime.ApplicationStopping);
        var ct = streamLife.Token;
        try
        {
            await _state.Rotation.SubscribedAsync(node.Id, ct);
            while (!ct.IsCancellationRequested)
            {
                using var heartbeat = new CancellationTokenSource(_options.HeartbeatInterval, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, heartbeat.Token);
                bool more;
                try
                {
                    more = await reader.WaitToReadAsync(linked.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await responseStream.WriteAsync(new WatchEvent
                    {
                        Serial = feed.Serial,
                        Heartbeat = new Heartbeat { ServerTime = Timestamp.FromDateTimeOffset(_time.GetUtcNow()) },
                    }, ct);
                    continue;
                }

                if (!more)
                {
                    if (feed.Closed)
                    {
                        throw Removed();
                    }

                    throw new RpcException(new Status(StatusCode.Unavailable, "stream fell too far behind; reconnect and resume from your last serial"));
                }

                while (reader.TryRead(out var evt))
                {
                    await responseStream.WriteAsync(evt, ct);
                }

                _state.Nodes.Touch(node.Id);
            }
        }
        catch (OperationCanceledException) when (_lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            throw ShuttingDown();
        }
        finally
        {
            feed.Unsubscribe(handle);
            _metrics.StreamClosed();
        }

        if (_lifetime.ApplicationStopping.IsCancellationRequested)
        {
            throw ShuttingDown();
        }
    }

    public override async Task<AckResponse> Ack(AckRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var node = await AuthenticateAsync(request.Auth, request, context);
        await _state.Nodes.AckAsync(node, request.AppliedSerial, context.CancellationToken);
        return new AckResponse();
    }

    public override async Task<RotateKeyResponse> RotateKey(RotateKeyRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var node = await AuthenticateAsync(request.Auth, request, context);
        var (expires, serial) = await _state.Rotation.RotateKeyAsync(node, request.NewWireguardPublicKey.ToByteArray(), context.CancellationToken);
        return new RotateKeyResponse { KeyExpiresAt = ProtoMapper.Time(expires), Serial = serial };
    }

    public override async Task<DeniedFlowReportResponse> ReportDeniedFlows(DeniedFlowReport request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var node = await AuthenticateAsync(request.Auth, request, context);
        var flows = request.Flows
            .Select(ProtoMapper.DeniedFlow)
            .ToList();
        await _state.DeniedFlows.ReportDeniedFlowsAsync(node, flows, context.CancellationToken);
        return new DeniedFlowReportResponse();
    }

    public override async Task<EndpointReportResponse> ReportEndpoints(EndpointReport request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var node = await AuthenticateAsync(request.Auth, request, context);
        var paths = request.Paths.Select(p => new ReportedPath(p.PeerNodeId, p.Path, p.Endpoint, p.RttUs)).ToList();
        await _state.Endpoints.ReportAsync(node, [.. request.Candidates], request.HomeRelay, paths, context.CancellationToken);
        return new EndpointReportResponse();
    }

    public override async Task<CallMeResponse> CallMe(CallMeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var node = await AuthenticateAsync(request.Auth, request, context);
        var feed = _hub.Find(node.Id) ?? throw Removed();
        var endpoints = _state.Endpoints.CheckCallMe(node, request.PeerNodeId, feed.PeerIds());
        var evt = new WatchEvent { CallMe = new CallMeEvent { FromNodeId = node.Id } };
        evt.CallMe.Endpoints.AddRange(endpoints);
        _metrics.CallMe(delivered: _hub.Find(request.PeerNodeId)?.SendTransient(evt) ?? false);
        return new CallMeResponse();
    }

    public override async Task<RelayTicketResponse> GetRelayTicket(RelayTicketRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var node = await AuthenticateAsync(request.Auth, request, context);
        var feed = _hub.Find(node.Id) ?? throw Removed();
        var response = _tickets.Issue(node, feed.PeerIds());
        _metrics.RelayTicketIssued();
        return response;
    }

    public override async Task<RelayRegistrationResponse> RegisterRelay(RelayRegistration request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var node = await AuthenticateAsync(request.Auth, request, context);
        return _relays.Register(node, request, context.GetHttpContext().Connection.RemoteIpAddress);
    }

    /// <summary>The signature covers the request with its auth field cleared (node.proto, NodeAuth).</summary>
    public static byte[] BodyHash<T>(T request)
        where T : IMessage<T>
    {
        var clone = request.Clone();
        var field = clone.Descriptor.FindFieldByName("auth");
        field?.Accessor.Clear(clone);
        return SHA256.HashData(clone.ToByteArray());
    }

    private Task<NodeRecord> AuthenticateAsync<T>(NodeAuth? auth, T request, ServerCallContext context)
        where T : IMessage<T>
    {
        var input = auth is null
            ? null
            : new NodeAuthInput(auth.MachinePublicKey.ToByteArray(), auth.Nonce.ToByteArray(), auth.TimestampUnixMs, auth.Signature.ToByteArray());
        // The signature binds the method routing matched, never the path's text (CallAuthorizationInterceptor).
        var method = CallAuthorizationInterceptor.MatchedMethod(context)?.Method.FullName
            ?? throw new RpcException(new Status(StatusCode.PermissionDenied, "no caller may use this method"));
        return _state.Authentication.AuthenticateAsync(input, method, BodyHash(request), context.CancellationToken);
    }

    private static RpcException ShuttingDown() =>
        new(new Status(StatusCode.Unavailable, "the coordinator is shutting down; reconnect and resume from your last serial"));

    private static RpcException Removed() =>
        new(new Status(StatusCode.Unauthenticated, "this node was removed from the mesh; enroll again with a new join string"));

    private static string Source(ServerCallContext context) =>
        context.GetHttpContext().Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
