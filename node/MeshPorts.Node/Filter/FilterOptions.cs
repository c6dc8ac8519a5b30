namespace MeshPorts.Node.Filter;

/// <summary>Limits and idle timeouts of the packet filter. The defaults follow Linux conntrack's spirit, shortened.</summary>
internal sealed class FilterOptions
{
    /// <summary>Most flows tracked at once; new flows beyond it are dropped (and counted) until idle ones go. Default 65,536.</summary>
    public int MaxFlows { get; set; } = 65_536;

    /// <summary>An established TCP flow with no packet for this long is forgotten. Default 5 min.</summary>
    public TimeSpan TcpEstablishedIdle { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A TCP flow whose opener has had no answer. Default 30 s.</summary>
    public TimeSpan TcpHalfOpenIdle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A TCP flow after one FIN, and a cut TCP flow's tombstone. Default 60 s.</summary>
    public TimeSpan TcpClosingIdle { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A TCP flow after both FINs or an RST. Default 10 s.</summary>
    public TimeSpan TcpClosedIdle { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Default 60 s.</summary>
    public TimeSpan UdpIdle { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>ICMP echo exchanges. Default 30 s.</summary>
    public TimeSpan IcmpIdle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Flows of other IP protocols this node opened. Default 60 s.</summary>
    public TimeSpan OtherIdle { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How often Sweep walks the whole table for idle flows. Expiries are found on every Sweep that
    /// follows a NotAfter, whatever this is. Default 1 s.
    /// </summary>
    public TimeSpan IdleScanInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most distinct (peer, protocol, port) denial groups kept between drains. Default 1,024.</summary>
    public int MaxDeniedGroups { get; set; } = 1_024;

    public void Validate()
    {
        if (MaxFlows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFlows), MaxFlows, "The flow table needs room for at least one flow.");
        }

        if (MaxDeniedGroups < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDeniedGroups), MaxDeniedGroups, "Keep at least one denial group.");
        }

        foreach (var (name, value) in new[]
                 {
                     (nameof(TcpEstablishedIdle), TcpEstablishedIdle), (nameof(TcpHalfOpenIdle), TcpHalfOpenIdle),
                     (nameof(TcpClosingIdle), TcpClosingIdle), (nameof(TcpClosedIdle), TcpClosedIdle), (nameof(UdpIdle), UdpIdle),
                     (nameof(IcmpIdle), IcmpIdle), (nameof(OtherIdle), OtherIdle), (nameof(IdleScanInterval), IdleScanInterval),
                 })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, "Timeouts must be positive.");
            }
        }
    }
}
