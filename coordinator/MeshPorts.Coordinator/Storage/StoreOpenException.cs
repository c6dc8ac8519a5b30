namespace MeshPorts.Coordinator.Storage;

/// <summary>The configured store cannot be opened; the message says where and what to fix (never a password).</summary>
internal sealed class StoreOpenException : Exception
{
    public StoreOpenException()
    {
    }

    public StoreOpenException(string message)
        : base(message)
    {
    }

    public StoreOpenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
