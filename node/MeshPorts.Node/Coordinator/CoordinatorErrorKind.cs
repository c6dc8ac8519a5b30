namespace MeshPorts.Node.Coordinator;

/// <summary>What the daemon should do about a failed coordinator call.</summary>
internal enum CoordinatorErrorKind
{
    /// <summary>Not reachable (network, TLS reset, timeout, stream ended). Retry with backoff.</summary>
    Unreachable,

    /// <summary>The coordinator does not accept this machine key (node removed, never enrolled, bad signature). Stop.</summary>
    Unauthenticated,

    /// <summary>A permanent refusal: token used up, revoked, expired or unknown, or a request field it will never accept. Stop.</summary>
    Refused,

    /// <summary>Enroll: this machine key is already enrolled. The identity exists; go on with it.</summary>
    AlreadyEnrolled,

    /// <summary>The node's clock is too far from the coordinator's. Stop (or retry after NTP fixed it).</summary>
    ClockSkew,

    /// <summary>The server's certificate key is not the pinned one. Stop: it is the wrong (or an impostor) coordinator.</summary>
    PinMismatch,

    /// <summary>Anything else (rate limit, used nonce, server error). Retry with backoff.</summary>
    Other,
}
