namespace MeshPorts.Coordinator.State;

/// <summary>
/// A refused operation. The message is one line that says what is wrong in State's own words; nothing was
/// changed. <see cref="Field"/> names the request field it is about and <see cref="Next"/> the step that fixes
/// it, so the service layer can phrase both in the caller's words (meshctl's options and commands) without
/// State knowing any command line.
/// </summary>
internal sealed class StateException : Exception
{
    public StateException(StateError error, string message, RequestField field = RequestField.None, NextStep? next = null, string? kind = null)
        : base(message)
    {
        Error = error;
        Field = field;
        Next = next;
        Kind = kind;
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

    /// <summary>The request field the message is about (it is written after the field's name).</summary>
    public RequestField Field { get; }

    /// <summary>What the caller can do about it, if anything is worth saying.</summary>
    public NextStep? Next { get; }

    /// <summary>The <see cref="MeshPorts.Contracts.Transport.ErrorKinds"/> value a client branches on, where the status code alone is not enough.</summary>
    public string? Kind { get; }
}
