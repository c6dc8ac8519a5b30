using Grpc.Core;

namespace MeshPorts.Relay;

/// <summary>The outcome of a Hello: a welcomed session, or the status the call ends with.</summary>
public readonly record struct RelayAdmission(RelaySession? Session, Status Refusal)
{
    public static RelayAdmission Refused(StatusCode code, string detail) => new(null, new Status(code, detail));
}
