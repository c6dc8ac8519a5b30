namespace MeshPorts.Node.Filter;

internal enum FlowOrigin : byte
{
    /// <summary>A peer opened it and a rule admitted it; it lives only as long as an admitting rule does.</summary>
    Inbound,

    /// <summary>This node opened it; replies are return traffic and need no rule.</summary>
    Outbound,
}
