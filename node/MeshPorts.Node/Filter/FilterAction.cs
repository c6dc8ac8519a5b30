namespace MeshPorts.Node.Filter;

internal enum FilterAction
{
    /// <summary>Pass the packet on.</summary>
    Allow,

    /// <summary>Discard the packet; nothing else to do.</summary>
    Drop,

    /// <summary>Discard the packet and emit the TCP resets the verdict wrote, because the flow's admission ended.</summary>
    Cut,
}
