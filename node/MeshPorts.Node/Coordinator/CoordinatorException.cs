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

    public CoordinatorException(CoordinatorErrorKind kind, string message, Exception? innerException = null, bool connectFailed = false)
        : base(message, innerException)
    {
        Kind = kind;
        ConnectFailed = connectFailed;
    }

    public CoordinatorErrorKind Kind { get; } = CoordinatorErrorKind.Other;

    /// <summary>
    /// No connection could be opened (refused, no route, connect timeout): nothing there answered, so
    /// trying again soon costs the coordinator nothing (the node's reconnect rule, <see cref="ReconnectSchedule"/>).
    /// </summary>
    public bool ConnectFailed { get; }

    /// <summary>True for the kinds worth retrying with backoff (the daemon stops on the others).</summary>
    public bool IsTransient => Kind is CoordinatorErrorKind.Unreachable or CoordinatorErrorKind.Other;
}
