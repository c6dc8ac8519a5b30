namespace MeshPorts.Node.Device;

/// <summary>Knobs of the data plane. Defaults suit a 1420-MTU tunnel on a small host.</summary>
internal sealed class DeviceOptions
{
    /// <summary>Packets moved per TUN read or UDP receive call.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>How often the protocol timers are advanced. The paper's shortest timer is 5 s.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Handshake initiations per second above which the device counts itself under load and starts
    /// demanding cookies (mac2), as the paper's section 5.3 describes.
    /// </summary>
    public int UnderLoadHandshakesPerSecond { get; set; } = 200;

    public void Validate()
    {
        if (BatchSize is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be between 1 and 1024.");
        }

        if (TickInterval <= TimeSpan.Zero || TickInterval > TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(TickInterval), TickInterval, "TickInterval must be in (0, 1s].");
        }

        if (UnderLoadHandshakesPerSecond < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(UnderLoadHandshakesPerSecond), UnderLoadHandshakesPerSecond, "must be positive.");
        }
    }
}
