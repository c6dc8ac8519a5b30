namespace MeshPorts.Node.StateDirectory;

/// <summary>A state file is missing, malformed or too open; the message names the file and the fix.</summary>
internal sealed class NodeStateException : Exception
{
    public NodeStateException()
    {
    }

    public NodeStateException(string message)
        : base(message)
    {
    }

    public NodeStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
