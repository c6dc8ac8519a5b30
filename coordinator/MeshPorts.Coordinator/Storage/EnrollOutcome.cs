namespace MeshPorts.Coordinator.Storage;

/// <summary>Why consuming a token for an enrollment did or did not succeed.</summary>
internal enum EnrollOutcome
{
    Enrolled,
    TokenUnknown,
    TokenUsedUp,
    TokenExpired,
    TokenRevoked,
    Conflict,
}
