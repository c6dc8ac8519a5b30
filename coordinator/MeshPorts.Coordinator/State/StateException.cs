namespace MeshPorts.Coordinator.State;

/// <summary>A refused operation. The message is one line for the user and names the fix; nothing was changed.</summary>
internal sealed class StateException : Exception
{
    public StateException(StateError error, string message)
        : base(message)
    {
        Error = error;
    }

    public StateException()
    {
    }

    public StateException(string message)
        : base(message)
    {
    }

    public StateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StateError Error { get; }
}
