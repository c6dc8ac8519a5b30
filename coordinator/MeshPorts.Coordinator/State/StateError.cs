namespace MeshPorts.Coordinator.State;

/// <summary>Kinds of refusal; the gRPC layer maps each to a status code.</summary>
internal enum StateError
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    PermissionDenied,
    Unauthenticated,
    ResourceExhausted,
}
