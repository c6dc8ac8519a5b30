using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using MeshPorts.Contracts.Auth;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Contracts.Transport;
using MeshPorts.Coordinator.Auth;
using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Enrollment;

/// <summary>
/// Turns a join token and a signed request into an enrolled node: checks the signature, the token and the name,
/// picks an address, stores the node and the token's use in one step, and refuses floods from one source.
/// </summary>
internal sealed class NodeEnroller
{
    // Tries at a free address (and, from a fleet token, name) when another replica takes one first: each retry
    // reads the store, so a replica whose memory lags the others' enrollments still lands within a few.
    private const int MaxEnrollAttempts = 5;

    private readonly MeshContext _ctx;
    private readonly MeshModel _model;
    private readonly NetmapRecompute _recompute;
    private readonly FailureRateLimiter _enrollLimiter;

    public NodeEnroller(MeshContext ctx, MeshModel model, NetmapRecompute recompute)
    {
        _ctx = ctx;
        _model = model;
        _recompute = recompute;
        var o = ctx.Options;
        _enrollLimiter = new FailureRateLimiter(o.MaxEnrollFailures, o.EnrollFailureWindow, o.MaxEnrollFailureSources);
    }

    public async Task<EnrollResult> EnrollAsync(EnrollInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var now = _ctx.Now;
        if (_enrollLimiter.IsBlocked(input.Source, now, out var firstRefusal))
        {
            // Counted, not audited: one fsync'd event per refused request is what a flood wants.
            RateLimited(input.Source, firstRefusal);
        }

        if (input.MachineKey.Length != 32 || input.WireGuardKey.Length != 32)
        {
            await FailEnrollAsync(input, StateError.InvalidArgument, "machine and WireGuard public keys must be 32 bytes each", cancellationToken);
        }

        var skewError = NodeAuthenticator.SkewError(input.TimestampMs, now, _ctx.Options.MaxClockSkew);
        if (skewError is not null)
        {
            await FailEnrollAsync(input, StateError.FailedPrecondition, skewError, cancellationToken, kind: ErrorKinds.ClockSkew);
        }

        if (!NodeSignatureCheck.Verify(input.MachineKey, NodeSignatures.EnrollBytes(input.MachineKey, input.WireGuardKey, input.TimestampMs, input.Secret), input.Signature))
        {
            await FailEnrollAsync(input, StateError.Unauthenticated, "the enrollment signature does not verify with the given machine key", cancellationToken);
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(input.Secret));
        var token = await _ctx.Store.Tokens.FindBySecretHashAsync(hash, cancellationToken);
        if (token is null || !CryptographicOperations.FixedTimeEquals(token.SecretHash, hash))
        {
            await FailEnrollAsync(input, StateError.PermissionDenied, "the join token is not known to this coordinator; ask an admin for a new one", cancellationToken,
                next: new NextStep(NextStepKind.CreateToken));
        }

        foreach (var s in input.Services)
        {
            PortCheck.Require(s.Port);
        }

        var endpointError = NodeEndpoints.Check(input.Endpoints);
        if (endpointError is not null)
        {
            await FailEnrollAsync(input, StateError.InvalidArgument, endpointError, cancellationToken, token!.Id);
        }

        var namingError = NamingError(token!, input.RequestedName);
        if (namingError is not null)
        {
            var shown = input.RequestedName.Length > 63 ? input.RequestedName[..63] + "..." : input.RequestedName;
            await FailEnrollAsync(input, StateError.InvalidArgument, namingError, cancellationToken, token!.Id, new NextStep(NextStepKind.DropRequestedName, shown));
        }

        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            if (_model.Nodes.Values.Any(n => n.MachineKey.AsSpan().SequenceEqual(input.MachineKey)))
            {
                throw new StateException(StateError.AlreadyExists, "this machine key is already enrolled; reuse the node's saved state instead of enrolling again",
                    kind: ErrorKinds.MachineEnrolled);
            }

            if (_model.OwnerOfWireGuardKey(input.WireGuardKey, exceptId: null) is not null)
            {
                await FailEnrollAsync(input, StateError.AlreadyExists, MeshModel.WireGuardKeyTaken, cancellationToken, token!.Id);
            }

            var name = token!.Name.Length > 0 ? token.Name : await NextFleetNameLockedAsync(now, cancellationToken);
            // A token that cannot be used any more says so (from the store) rather than what its name clashes with;
            // it is read again because a racer on the same token may have used it since.
            if (_model.FindByName(name) is not null && await _ctx.Store.Tokens.FindBySecretHashAsync(hash, cancellationToken) is { } current && TokenIssuer.IsLive(current, now))
            {
                // Checked before the store is touched, so the token keeps its use.
                await FailEnrollAsync(input, StateError.AlreadyExists, $"a node named '{name}' is already enrolled; an admin must remove it first",
                    cancellationToken, token.Id, new NextStep(NextStepKind.RemoveNodeOrRename, name), ErrorKinds.NameTaken);
            }

            // Another coordinator on the same database may have taken an address this one has not heard of yet:
            // the store's unique index refuses it, and the next try picks among the addresses the store holds.
            var taken = _model.Nodes.Values.Select(n => n.AddressIndex).ToHashSet();
            NodeRecord node = null!;
            var index = 0;
            EnrollOutcome outcome = EnrollOutcome.Conflict;
            for (var attempt = 0; attempt < MaxEnrollAttempts && outcome == EnrollOutcome.Conflict; attempt++)
            {
                if (attempt > 0)
                {
                    var stored = await _ctx.Store.Nodes.ListAsync(cancellationToken);
                    if (stored.Any(n => n.MachineKey.AsSpan().SequenceEqual(input.MachineKey)))
                    {
                        break;
                    }

                    if (stored.Any(n => n.Name == name))
                    {
                        // A named token's name is the admin's: taken is taken. A fleet token's node-N is this
                        // coordinator's pick, and another replica took it a moment ago: pick again from the store.
                        if (token.Name.Length > 0)
                        {
                            break;
                        }

                        name = await NextFleetNameLockedAsync(now, cancellationToken, stored.Select(n => n.Name), retry: true);
                    }

                    taken.UnionWith(stored.Select(n => n.AddressIndex));
                }

                index = FreeSlot.Pick(1, OverlayAddressing.MaxIndex, taken.Contains, retry: attempt > 0);
                node = new NodeRecord
                {
                    Id = MeshModel.NewId("n_", 8),
                    Name = name,
                    User = token.User,
                    Tags = token.Tags,
                    MachineKey = input.MachineKey,
                    WireGuardKey = input.WireGuardKey,
                    KeyExpiresAt = now + (long)_ctx.Options.KeyLifetime.TotalMilliseconds,
                    AddressIndex = index,
                    Services = input.Services,
                    Endpoints = input.Endpoints,
                    EnrolledAt = now,
                    TokenId = token.Id,
                };
                try
                {
                    var audit = _ctx.Audit.Event("token.used", "node:" + name, token.Id, "ok", new { source = input.Source })
                        .And("node.enrolled", "node:" + name, name, "ok",
                            new { id = node.Id, ipv4 = OverlayAddressing.Ipv4(index), user = node.User, tags = node.Tags, requested = input.RequestedName, publicKey = Convert.ToBase64String(node.WireGuardKey) });
                    outcome = await _ctx.Store.Nodes.EnrollAsync(token.Id, now, node, audit, cancellationToken);
                }
                catch (EnrollConflictException)
                {
                    outcome = EnrollOutcome.Conflict;
                    taken.Add(index);
                }
            }

            switch (outcome)
            {
                case EnrollOutcome.TokenUsedUp:
                    await FailEnrollAsync(input, StateError.PermissionDenied, "the join token has already been used; ask an admin for a new one", cancellationToken, token.Id,
                        new NextStep(NextStepKind.CreateTokenWithUses));
                    break;
                case EnrollOutcome.TokenExpired:
                    await FailEnrollAsync(input, StateError.FailedPrecondition, "the join token has expired; ask an admin for a new one", cancellationToken, token.Id,
                        new NextStep(NextStepKind.CreateTokenWithTtl));
                    break;
                case EnrollOutcome.TokenRevoked:
                    await FailEnrollAsync(input, StateError.PermissionDenied, "the join token was revoked; ask an admin for a new one", cancellationToken, token.Id);
                    break;
                case EnrollOutcome.TokenUnknown:
                    await FailEnrollAsync(input, StateError.PermissionDenied, "the join token is not known to this coordinator", cancellationToken, token.Id);
                    break;
                case EnrollOutcome.Conflict:
                    throw new StateException(StateError.AlreadyExists, "name, address or machine key taken concurrently; retry");
                default:
                    break;
            }

            _model.Nodes[node.Id] = node;
            var v4 = OverlayAddressing.Ipv4(index);
            _recompute.RecomputeLocked(NetmapChange.Node(node.Id));
            _ctx.Metrics.Enrolled();
            StateLog.Enrolled(_ctx.Logger, name, v4);
            return new EnrollResult(node, v4, _model.Addressing.Ipv6(index), OverlayAddressing.Ipv4Prefix, _model.Addressing.Ipv6Prefix, _ctx.Options.KeyLifetime);
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    /// <summary>
    /// The node's name is the token's (an admin decision): <c>up --name</c> may only repeat it, and a nameless
    /// fleet token names its nodes itself, so holding any token never lets a node pick who it is.
    /// </summary>
    private static string? NamingError(TokenRecord token, string requested)
    {
        if (requested.Length == 0 || requested == token.Name)
        {
            return null;
        }

        return token.Name.Length > 0
            ? $"this join token names the node '{token.Name}'"
            : "this join token names its nodes node-1, node-2, ...";
    }

    /// <summary>node-N with the lowest N that no node has and no live token will give out.</summary>
    /// <param name="alsoTaken">Names known taken beyond this coordinator's model (the store's, after a race with a replica).</param>
    /// <param name="retry">After a race lost to another replica: one of the lowest free numbers at random (<see cref="FreeSlot"/>).</param>
    private async Task<string> NextFleetNameLockedAsync(long now, CancellationToken cancellationToken, IEnumerable<string>? alsoTaken = null, bool retry = false)
    {
        var reserved = (await _ctx.Store.Tokens.ListAsync(cancellationToken)).Where(t => t.Name.Length > 0 && TokenIssuer.IsLive(t, now)).Select(t => t.Name)
            .Concat(_model.Nodes.Values.Select(n => n.Name)).Concat(alsoTaken ?? []).ToHashSet(StringComparer.Ordinal);
        return FleetName(FreeSlot.Pick(1, int.MaxValue, i => reserved.Contains(FleetName(i)), retry));
    }

    private static string FleetName(int number) => FormattableString.Invariant($"node-{number}");

    private async Task FailEnrollAsync(EnrollInput input, StateError error, string message, CancellationToken cancellationToken, string tokenId = "",
        NextStep? next = null, string? kind = null)
    {
        // Concurrent failures from one source all passed IsBlocked; only the ones within budget are audited.
        if (!_enrollLimiter.TryRecordFailure(input.Source, _ctx.Now, out var firstRefusal))
        {
            RateLimited(input.Source, firstRefusal);
        }

        _ctx.Metrics.EnrollFailed();
        StateLog.EnrollRefused(_ctx.Logger, input.Source, message);
        await _ctx.Audit.AppendAsync("token.failed", "source:" + input.Source, tokenId, "denied", new { reason = message, requested = input.RequestedName }, cancellationToken);
        throw new StateException(error, message, next: next, kind: kind);
    }

    [DoesNotReturn]
    private void RateLimited(string source, bool log)
    {
        _ctx.Metrics.EnrollFailed();
        _ctx.Metrics.EnrollRateLimited();
        if (log)
        {
            AuthLog.EnrollRateLimited(_ctx.Logger, SourcePrefix.Of(source), (long)_ctx.Options.EnrollFailureWindow.TotalSeconds);
        }

        throw new StateException(StateError.ResourceExhausted, "too many failed enrollments from this address; wait a minute and retry with a valid join string");
    }
}
