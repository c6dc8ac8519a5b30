namespace MeshPorts.Node.Filter;

/// <summary>Running totals of one denial group between drains.</summary>
internal struct DeniedFlowEntry
{
    public long Count;
    public long FirstTicks;
    public long LastTicks;
    public bool IsIPv6;
    public UInt128 Source;
    public UInt128 Destination;
}
