namespace MeshPorts.Node.Expose;

/// <summary>Limits of the overlay port proxy. Every limit bounds memory a peer could otherwise make the node spend.</summary>
internal sealed class ExposeOptions
{
    /// <summary>Bytes buffered per direction of a relayed TCP connection (pooled). Default 16 KiB.</summary>
    public int RelayBufferSize { get; set; } = 16 * 1024;

    /// <summary>Relayed TCP connections per exposed port; the next ones are reset at once and counted. Default 1,024.</summary>
    public int MaxConnectionsPerPort { get; set; } = 1_024;

    /// <summary>How long to wait for the local service to accept before resetting the overlay side. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Listen backlog of each overlay listener. Default 128.</summary>
    public int ListenBacklog { get; set; } = 128;

    /// <summary>A UDP session with no datagram either way for this long is closed. Default 60 s, as conntrack's UDP stream timeout spirit.</summary>
    public TimeSpan UdpSessionIdle { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>UDP sessions (distinct overlay sources) per exposed port; datagrams from new sources beyond it are dropped and counted. Default 1,024.</summary>
    public int MaxUdpSessionsPerPort { get; set; } = 1_024;

    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range; the message says which and why.</exception>
    public void Validate()
    {
        if (RelayBufferSize is < 1024 or > 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(RelayBufferSize), RelayBufferSize, "Use a relay buffer of 1 KiB to 1 MiB.");
        }

        if (MaxConnectionsPerPort < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConnectionsPerPort), MaxConnectionsPerPort, "Allow at least one connection per port.");
        }

        if (MaxUdpSessionsPerPort < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxUdpSessionsPerPort), MaxUdpSessionsPerPort, "Allow at least one UDP session per port.");
        }

        if (ListenBacklog < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ListenBacklog), ListenBacklog, "The listen backlog must be at least 1.");
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "Timeouts must be positive.");
        }

        if (UdpSessionIdle <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(UdpSessionIdle), UdpSessionIdle, "Timeouts must be positive.");
        }
    }
}
