using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MeshPorts.Contracts.Auth;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Contracts.Join;
using MeshPorts.Coordinator.Auth;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State;

/// <summary>Join tokens, enrollment and per-call node authentication.</summary>
internal sealed partial class MeshState
{
    public async Task<(TokenRecord Token, string JoinString)> CreateTokenAsync(string name, string user, IReadOnlyList<string> tags, TimeSpan? ttl, int uses, CancellationToken cancellationToken)
    {
        name = name.Trim();
        user = user.Trim();
        if (name.Length > 0 && !Names.IsNodeName(name))
        {
            throw new StateException(StateError.InvalidArgument, $"'{name}': use 1-63 of [a-z0-9-] (it becomes the node's default name)", RequestField.TokenName);
        }

        if (user.Length > 0 && !Names.IsLabel(user))
        {
            throw new StateException(StateError.InvalidArgument, $"'{user}': use 1-64 of [A-Za-z0-9-_.@]", RequestField.TokenUser);
        }

        var cleanTags = tags.Select(t => t.StartsWith("tag:", StringComparison.Ordinal) ? t[4..] : t).Distinct(StringComparer.Ordinal).ToList();
        foreach (var tag in cleanTags)
        {
            if (!Names.IsLabel(tag))
            {
                throw new StateException(StateError.InvalidArgument, $"'{tag}': use 1-64 of [A-Za-z0-9-_.@]", RequestField.TokenTag);
            }
        }

        var lifetime = ttl ?? _options.DefaultTokenTtl;
        if (lifetime <= TimeSpan.Zero)
        {
            throw new StateException(StateError.InvalidArgument, "must be positive", RequestField.TokenTtl, new NextStep(NextStepKind.Example, "1h"));
        }

        if (lifetime > _options.MaxTokenTtl)
        {
            throw new StateException(StateError.InvalidArgument,
                $"{DurationText.Format(lifetime)} exceeds the cap of {DurationText.Format(_options.MaxTokenTtl)}; ask for at most that", RequestField.TokenTtl,
                new NextStep(NextStepKind.TokenTtlCapSetting));
        }

        uses = uses == 0 ? 1 : uses;
        if (uses is < 1 or > 100_000)
        {
            throw new StateException(StateError.InvalidArgument, "must be 1-100000", RequestField.TokenUses);
        }

        // A name is an admin's decision about one machine; a token that could enroll it twice would make it a race.
        if (name.Length > 0 && uses > 1)
        {
            throw new StateException(StateError.InvalidArgument, "enrolls exactly one node", RequestField.TokenName,
                new NextStep(NextStepKind.DropUsesOrName, uses.ToString(CultureInfo.InvariantCulture)));
        }

        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = Now;
        var token = new TokenRecord
        {
            Id = NewId("tok_", 5),
            SecretHash = SHA256.HashData(Encoding.UTF8.GetBytes(secret)),
            Name = name,
            User = user,
            Tags = cleanTags,
            UsesTotal = uses,
            UsesLeft = uses,
            CreatedAt = now,
            ExpiresAt = now + (long)lifetime.TotalMilliseconds,
        };
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Under the gate, so an Enroll cannot take the name between this check and the insert.
            if (name.Length > 0)
            {
                await RequireNameFreeLockedAsync(name, cancellationToken);
            }

            await _store.Tokens.InsertAsync(token, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }

        await _audit.AppendAsync("token.created", "admin", token.Id, "ok",
            new { name, user, tags = cleanTags, uses, ttl = DurationText.Format(lifetime) }, cancellationToken);
        return (token, JoinString.Encode(_publicUrl, _pin, secret));
    }

    /// <summary>A name belongs to one node: refused while a node has it or a live token would give it out.</summary>
    private async Task RequireNameFreeLockedAsync(string name, CancellationToken cancellationToken)
    {
        if (FindByName(name) is not null)
        {
            throw new StateException(StateError.AlreadyExists, $"a node named '{name}' is enrolled; remove it first", next: new NextStep(NextStepKind.RemoveNode, name));
        }

        var now = Now;
        var live = (await _store.Tokens.ListAsync(cancellationToken)).FirstOrDefault(t => t.Name == name && IsLive(t, now));
        if (live is not null)
        {
            throw new StateException(StateError.AlreadyExists, $"join token {live.Id} already names '{name}'; revoke it first", next: new NextStep(NextStepKind.RevokeToken, live.Id));
        }
    }

    private static bool IsLive(TokenRecord token, long now) => !token.Revoked && token.ExpiresAt > now && token.UsesLeft > 0;

    public Task<IReadOnlyList<TokenRecord>> ListTokensAsync(CancellationToken cancellationToken) => _store.Tokens.ListAsync(cancellationToken);

    public async Task<TokenRecord> RevokeTokenAsync(string id, CancellationToken cancellationToken)
    {
        if (!await _store.Tokens.RevokeAsync(id, cancellationToken))
        {
            throw new StateException(StateError.NotFound, $"no token with id '{id}'", next: new NextStep(NextStepKind.ListTokens));
        }

        await _audit.AppendAsync("token.revoked", "admin", id, "ok", null, cancellationToken);
        return (await _store.Tokens.ListAsync(cancellationToken)).First(t => t.Id == id);
    }

    public async Task<EnrollResult> EnrollAsync(EnrollInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var now = Now;
        if (_enrollLimiter.IsBlocked(input.Source, now, out var firstRefusal))
        {
            // Counted, not audited: one fsync'd event per refused request is what a flood wants.
            RateLimited(input.Source, firstRefusal);
        }

        if (input.MachineKey.Length != 32 || input.WireGuardKey.Length != 32)
        {
            await FailEnrollAsync(input, StateError.InvalidArgument, "machine and WireGuard public keys must be 32 bytes each", cancellationToken);
        }

        CheckSkewOrThrow(input.TimestampMs, now, out var skewError);
        if (skewError is not null)
        {
            await FailEnrollAsync(input, StateError.FailedPrecondition, skewError, cancellationToken);
        }

        if (!NodeSignatureCheck.Verify(input.MachineKey, NodeSignatures.EnrollBytes(input.MachineKey, input.WireGuardKey, input.TimestampMs, input.Secret), input.Signature))
        {
            await FailEnrollAsync(input, StateError.Unauthenticated, "the enrollment signature does not verify with the given machine key", cancellationToken);
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(input.Secret));
        var token = await _store.Tokens.FindBySecretHashAsync(hash, cancellationToken);
        if (token is null || !CryptographicOperations.FixedTimeEquals(token.SecretHash, hash))
        {
            await FailEnrollAsync(input, StateError.PermissionDenied, "the join token is not known to this coordinator; ask an admin for a new one", cancellationToken,
                next: new NextStep(NextStepKind.CreateToken));
        }

        foreach (var s in input.Services)
        {
            if (!Ports.IsValid(s.Port))
            {
                throw new StateException(StateError.InvalidArgument, FormattableString.Invariant($"port {s.Port} must be 1-65535"));
            }
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

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_nodes.Values.Any(n => n.MachineKey.AsSpan().SequenceEqual(input.MachineKey)))
            {
                throw new StateException(StateError.AlreadyExists, "this machine key is already enrolled; reuse the node's saved state instead of enrolling again");
            }

            if (OwnerOfWireGuardKey(input.WireGuardKey, exceptId: null) is not null)
            {
                await FailEnrollAsync(input, StateError.AlreadyExists, WireGuardKeyTaken, cancellationToken, token!.Id);
            }

            var name = token!.Name.Length > 0 ? token.Name : await NextFleetNameLockedAsync(now, cancellationToken);
            // A token that cannot be used any more says so (from the store) rather than what its name clashes with;
            // it is read again because a racer on the same token may have used it since.
            if (FindByName(name) is not null && await _store.Tokens.FindBySecretHashAsync(hash, cancellationToken) is { } current && IsLive(current, now))
            {
                // Checked before the store is touched, so the token keeps its use.
                await FailEnrollAsync(input, StateError.AlreadyExists, $"a node named '{name}' is already enrolled; an admin must remove it first",
                    cancellationToken, token.Id, new NextStep(NextStepKind.RemoveNodeOrRename, name));
            }

            var index = Enumerable.Range(1, OverlayAddressing.MaxIndex).First(i => _nodes.Values.All(n => n.AddressIndex != i));
            var node = new NodeRecord
            {
                Id = NewId("n_", 8),
                Name = name,
                User = token.User,
                Tags = token.Tags,
                MachineKey = input.MachineKey,
                WireGuardKey = input.WireGuardKey,
                KeyExpiresAt = now + (long)_options.KeyLifetime.TotalMilliseconds,
                AddressIndex = index,
                Services = input.Services,
                Endpoints = input.Endpoints,
                EnrolledAt = now,
                TokenId = token.Id,
            };

            EnrollOutcome outcome;
            try
            {
                outcome = await _store.Nodes.EnrollAsync(token.Id, now, node, cancellationToken);
            }
            catch (EnrollConflictException)
            {
                outcome = EnrollOutcome.Conflict;
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

            _nodes[node.Id] = node;
            var v4 = OverlayAddressing.Ipv4(index);
            await _audit.AppendAsync("token.used", "node:" + name, token.Id, "ok", new { source = input.Source }, cancellationToken);
            await _audit.AppendAsync("node.enrolled", "node:" + name, name, "ok",
                new { id = node.Id, ipv4 = v4, user = node.User, tags = node.Tags, requested = input.RequestedName, publicKey = Convert.ToBase64String(node.WireGuardKey) },
                cancellationToken);
            await RecomputeLockedAsync(cancellationToken);
            _metrics.Enrolled();
            StateLog.Enrolled(_logger, name, v4);
            return new EnrollResult(node, v4, _addressing.Ipv6(index), OverlayAddressing.Ipv4Prefix, _addressing.Ipv6Prefix, _options.KeyLifetime);
        }
        finally
        {
            _gate.Release();
        }
    }

    private const string WireGuardKeyTaken = "this WireGuard public key belongs to another node; generate a fresh key pair";

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
    private async Task<string> NextFleetNameLockedAsync(long now, CancellationToken cancellationToken)
    {
        var reserved = (await _store.Tokens.ListAsync(cancellationToken)).Where(t => t.Name.Length > 0 && IsLive(t, now)).Select(t => t.Name)
            .Concat(_nodes.Values.Select(n => n.Name)).ToHashSet(StringComparer.Ordinal);
        for (var i = 1; ; i++)
        {
            var candidate = FormattableString.Invariant($"node-{i}");
            if (!reserved.Contains(candidate))
            {
                return candidate;
            }
        }
    }

    /// <summary>The node (other than <paramref name="exceptId"/>) whose current or previous WireGuard key is <paramref name="key"/>.</summary>
    private NodeRecord? OwnerOfWireGuardKey(byte[] key, string? exceptId) =>
        _nodes.Values.FirstOrDefault(n => n.Id != exceptId && (CryptographicOperations.FixedTimeEquals(n.WireGuardKey, key)
            || (n.PreviousWireGuardKey is { } previous && CryptographicOperations.FixedTimeEquals(previous, key))));

    private async Task FailEnrollAsync(EnrollInput input, StateError error, string message, CancellationToken cancellationToken, string tokenId = "",
        NextStep? next = null)
    {
        // Concurrent failures from one source all passed IsBlocked; only the ones within budget are audited.
        if (!_enrollLimiter.TryRecordFailure(input.Source, Now, out var firstRefusal))
        {
            RateLimited(input.Source, firstRefusal);
        }

        _metrics.EnrollFailed();
        StateLog.EnrollRefused(_logger, input.Source, message);
        await _audit.AppendAsync("token.failed", "source:" + input.Source, tokenId, "denied", new { reason = message, requested = input.RequestedName }, cancellationToken);
        throw new StateException(error, message, next: next);
    }

    [DoesNotReturn]
    private void RateLimited(string source, bool log)
    {
        _metrics.EnrollFailed();
        _metrics.EnrollRateLimited();
        if (log)
        {
            AuthLog.EnrollRateLimited(_logger, SourcePrefix.Of(source), (long)_options.EnrollFailureWindow.TotalSeconds);
        }

        throw new StateException(StateError.ResourceExhausted, "too many failed enrollments from this address; wait a minute and retry with a valid join string");
    }

    private void CheckSkewOrThrow(long timestampMs, long now, out string? error)
    {
        var skew = TimeSpan.FromMilliseconds(Math.Abs(timestampMs - now));
        error = skew > _options.MaxClockSkew
            ? FormattableString.Invariant($"clock skew of {(long)skew.TotalSeconds}s between node and coordinator exceeds {(long)_options.MaxClockSkew.TotalSeconds}s; sync the node's clock (NTP) and retry")
            : null;
    }

    /// <summary>
    /// Issues a nonce to an enrolled machine key only: nobody else has a call to sign, and refusing them
    /// keeps an unauthenticated flood out of the store. <paramref name="source"/> bounds nonces per caller.
    /// </summary>
    public (byte[] Nonce, long ExpiresAt, long ServerTime) IssueChallenge(byte[] machineKey, string source)
    {
        ArgumentNullException.ThrowIfNull(machineKey);
        if (machineKey.Length != NodeSignatures.KeySize)
        {
            _metrics.ChallengeRefused();
            throw new StateException(StateError.InvalidArgument, "machine_public_key must be 32 bytes");
        }

        if (!_directory.IsEnrolled(machineKey))
        {
            _metrics.ChallengeRefused();
            throw new StateException(StateError.Unauthenticated, "unknown machine key: the node was removed or never enrolled; enroll again with a new join string");
        }

        var (nonce, expires) = _challenges.Issue(machineKey, source);
        return (nonce, expires, Now);
    }

    /// <summary>Verifies a signed call; returns the node it proves to be.</summary>
    public async Task<NodeRecord> AuthenticateAsync(NodeAuthInput? auth, string method, byte[] bodyHash, CancellationToken cancellationToken)
    {
        if (auth is null)
        {
            throw new StateException(StateError.Unauthenticated, "missing auth: sign the call with the machine key (see NodeAuth in node.proto)");
        }

        NodeRecord? node;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            node = _nodes.Values.FirstOrDefault(n => n.MachineKey.AsSpan().SequenceEqual(auth.MachineKey));
        }
        finally
        {
            _gate.Release();
        }

        if (node is null)
        {
            _metrics.AuthFailed();
            throw new StateException(StateError.Unauthenticated, "unknown machine key: the node was removed or never enrolled; enroll again with a new join string");
        }

        CheckSkewOrThrow(auth.TimestampMs, Now, out var skewError);
        if (skewError is not null)
        {
            _metrics.AuthFailed();
            throw new StateException(StateError.FailedPrecondition, skewError);
        }

        if (!_challenges.TryConsume(auth.Nonce, auth.MachineKey))
        {
            _metrics.AuthFailed();
            throw new StateException(StateError.Unauthenticated, "nonce unknown, expired or already used; call GetChallenge again");
        }

        if (!NodeSignatureCheck.Verify(auth.MachineKey, NodeSignatures.AuthBytes(method, auth.Nonce, auth.TimestampMs, bodyHash), auth.Signature))
        {
            _metrics.AuthFailed();
            throw new StateException(StateError.Unauthenticated, "signature does not verify with the enrolled machine key");
        }

        _lastSeen[node.Id] = Now;
        return node;
    }

    /// <summary>Called on stream activity so lastSeen reflects a live connection.</summary>
    public void Touch(string nodeId) => _lastSeen[nodeId] = Now;
}
