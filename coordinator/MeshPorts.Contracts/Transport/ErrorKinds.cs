namespace MeshPorts.Contracts.Transport;

/// <summary>
/// Machine-readable reasons the coordinator attaches to a refusal as the gRPC trailer <see cref="TrailerKey"/>,
/// where one status code covers refusals a client must tell apart (an ALREADY_EXISTS for "your machine key is
/// enrolled", to be recovered from, versus "that name is someone else's", to be reported). Clients branch on
/// these, never on the message text, which is for people and may be reworded.
/// </summary>
public static class ErrorKinds
{
    public const string TrailerKey = "meshports-error-kind";

    /// <summary>FAILED_PRECONDITION: the signed timestamp is further from the coordinator's clock than allowed.</summary>
    public const string ClockSkew = "clock-skew";

    /// <summary>UNAUTHENTICATED: the challenge nonce is unknown, expired or used; get a new one and retry.</summary>
    public const string NonceRejected = "nonce-rejected";

    /// <summary>ALREADY_EXISTS on Enroll: this machine key is enrolled already (the node lost its record).</summary>
    public const string MachineEnrolled = "machine-enrolled";

    /// <summary>ALREADY_EXISTS on Enroll: the token's node name belongs to another enrolled node.</summary>
    public const string NameTaken = "name-taken";
}
