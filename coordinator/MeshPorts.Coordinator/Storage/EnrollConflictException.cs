namespace MeshPorts.Coordinator.Storage;

/// <summary>The node's name, machine key or address was taken; the enrollment (and token use) rolled back.</summary>
internal sealed class EnrollConflictException : Exception
{
    public EnrollConflictException()
    {
    }

    public EnrollConflictException(string message)
        : base(message)
    {
    }

    public EnrollConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
