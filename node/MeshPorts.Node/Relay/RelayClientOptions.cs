namespace MeshPorts.Node.Relay;

/// <summary>Timings of the relay client; the defaults are docs/nat.md's.</summary>
internal sealed class RelayClientOptions
{
    /// <summary>
    /// A UDP keepalive to each connected relay this often (2 s); it also keeps the NAT mapping open. Short,
    /// so blocked UDP is noticed within seconds: a 30-byte frame every 2 s costs a relay of 2,000 nodes
    /// 1,000 small frames a second.
    /// </summary>
    public TimeSpan KeepaliveInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A relay's UDP session is up while its latest keepalive answer is younger than this (5 s: one lost answer is forgiven, two are not).</summary>
    public TimeSpan UdpAliveWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First reconnect delay after a relay connection fails; doubles up to <see cref="ReconnectMax"/>.</summary>
    public TimeSpan ReconnectMin { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectMax { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A ticket is refetched after at most this share of its remaining life (tickets live 10 minutes).</summary>
    public double TicketRefreshFraction { get; set; } = 0.5;

    /// <summary>Never refetch a good ticket sooner than this, whatever its times say (a skewed clock must not spin).</summary>
    public TimeSpan TicketRefreshMin { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Frames waiting for one relay's TLS stream; beyond, sends are dropped and counted.</summary>
    public int TlsQueueCapacity { get; set; } = 1024;

    public void Validate()
    {
        if (KeepaliveInterval <= TimeSpan.Zero || UdpAliveWindow <= KeepaliveInterval)
        {
            throw new ArgumentException("the relay keepalive interval must be positive and shorter than the UDP alive window");
        }

        if (ReconnectMin <= TimeSpan.Zero || ReconnectMax < ReconnectMin)
        {
            throw new ArgumentException("relay reconnect delays must be positive, the maximum at least the minimum");
        }

        if (TicketRefreshFraction is <= 0 or >= 1 || TicketRefreshMin < TimeSpan.Zero || TlsQueueCapacity < 1)
        {
            throw new ArgumentException("relay ticket refresh fraction must be in (0, 1), its minimum and the TLS queue positive");
        }
    }
}
