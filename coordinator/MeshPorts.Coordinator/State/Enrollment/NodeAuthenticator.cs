using MeshPorts.Contracts.Auth;
using MeshPorts.Contracts.Transport;
using MeshPorts.Coordinator.Auth;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Enrollment;

/// <summary>Per-call node authentication: one-time challenges for enrolled machine keys, and the signed calls that spend them.</summary>
internal sealed class NodeAuthenticator
{
    private readonly MeshContext _ctx;
    private readonly MeshModel _model;
    private readonly NodeRegistry _registry;
    private readonly ChallengeStore _challenges;

    public NodeAuthenticator(MeshContext ctx, MeshModel model, NodeRegistry registry)
    {
        _ctx = ctx;
        _model = model;
        _registry = registry;
        var o = ctx.Options;
        _challenges = new ChallengeStore(ctx.Time, o.NonceLifetime, o.NoncesPerMachineKey, o.NoncesPerSource, o.MaxLiveNonces);
    }

    public int LiveNonces => _challenges.Count;

    /// <summary>
    /// Issues a nonce to an enrolled machine key only: nobody else has a call to sign, and refusing them
    /// keeps an unauthenticated flood out of the store. <paramref name="source"/> bounds nonces per caller.
    /// </summary>
    public (byte[] Nonce, long ExpiresAt, long ServerTime) IssueChallenge(byte[] machineKey, string source)
    {
        ArgumentNullException.ThrowIfNull(machineKey);
        if (machineKey.Length != NodeSignatures.KeySize)
        {
            _ctx.Metrics.ChallengeRefused();
            throw new StateException(StateError.InvalidArgument, "machine_public_key must be 32 bytes");
        }

        if (!_model.Directory.IsEnrolled(machineKey))
        {
            _ctx.Metrics.ChallengeRefused();
            throw new StateException(StateError.Unauthenticated, "unknown machine key: the node was removed or never enrolled; enroll again with a new join string");
        }

        var (nonce, expires) = _challenges.Issue(machineKey, source);
        return (nonce, expires, _ctx.Now);
    }

    /// <summary>Verifies a signed call; returns the node it proves to be.</summary>
    public async Task<NodeRecord> AuthenticateAsync(NodeAuthInput? auth, string method, byte[] bodyHash, CancellationToken cancellationToken)
    {
        if (auth is null)
        {
            throw new StateException(StateError.Unauthenticated, "missing auth: sign the call with the machine key (see NodeAuth in node.proto)");
        }

        NodeRecord? node;
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            node = _model.Nodes.Values.FirstOrDefault(n => n.MachineKey.AsSpan().SequenceEqual(auth.MachineKey));
        }
        finally
        {
            _model.Gate.Release();
        }

        if (node is null)
        {
            _ctx.Metrics.AuthFailed();
            throw new StateException(StateError.Unauthenticated, "unknown machine key: the node was removed or never enrolled; enroll again with a new join string");
        }

        var skewError = SkewError(auth.TimestampMs, _ctx.Now, _ctx.Options.MaxClockSkew);
        if (skewError is not null)
        {
            _ctx.Metrics.AuthFailed();
            throw new StateException(StateError.FailedPrecondition, skewError, kind: ErrorKinds.ClockSkew);
        }

        if (!_challenges.TryConsume(auth.Nonce, auth.MachineKey))
        {
            _ctx.Metrics.AuthFailed();
            throw new StateException(StateError.Unauthenticated, "nonce unknown, expired or already used; call GetChallenge again", kind: ErrorKinds.NonceRejected);
        }

        if (!NodeSignatureCheck.Verify(auth.MachineKey, NodeSignatures.AuthBytes(method, auth.Nonce, auth.TimestampMs, bodyHash), auth.Signature))
        {
            _ctx.Metrics.AuthFailed();
            throw new StateException(StateError.Unauthenticated, "signature does not verify with the enrolled machine key");
        }

        _registry.Touch(node.Id);
        return node;
    }

    /// <summary>Why <paramref name="timestampMs"/> is too far from <paramref name="now"/> to accept, or null if it is not.</summary>
    public static string? SkewError(long timestampMs, long now, TimeSpan maxSkew)
    {
        var skew = TimeSpan.FromMilliseconds(Math.Abs(timestampMs - now));
        return skew > maxSkew
            ? FormattableString.Invariant($"clock skew of {(long)skew.TotalSeconds}s between node and coordinator exceeds {(long)maxSkew.TotalSeconds}s; sync the node's clock (NTP) and retry")
            : null;
    }
}
