namespace MeshPorts.Node.Coordinator;

/// <summary>A coordinator call failed; <see cref="Kind"/> says whether to retry, stop or go on, the message names the fix.</summary>
internal sealed class CoordinatorException : Exception
{
    public CoordinatorException()
    {
    }

    public CoordinatorException(string message)
        : base(message)
    {
    }

    public CoordinatorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CoordinatorException(CoordinatorErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public CoordinatorErrorKind Kind { get; } = CoordinatorErrorKind.Other;

    /// <summary>True for the kinds worth retrying with backoff (the daemon stops on the others).</summary>
    public bool IsTransient => Kind is CoordinatorErrorKind.Unreachable or CoordinatorErrorKind.Other;
}
