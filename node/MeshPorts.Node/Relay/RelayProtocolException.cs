namespace MeshPorts.Node.Relay;

/// <summary>A relay that does not follow relay.proto's opening (Challenge, then Welcome); the session reconnects.</summary>
internal sealed class RelayProtocolException : Exception
{
    public RelayProtocolException()
    {
    }

    public RelayProtocolException(string message)
        : base(message)
    {
    }

    public RelayProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
