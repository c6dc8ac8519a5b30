namespace MeshPorts.Node.Agent;

/// <summary>The agent cannot go on (node removed, identity refused); the message says what to do.</summary>
internal sealed class AgentFatalException(string message) : Exception(message)
{
    public AgentFatalException()
        : this("the node agent stopped")
    {
    }

    public AgentFatalException(string message, Exception inner)
        : this(message + " (" + inner.Message + ")")
    {
    }
}
