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

    /// <summary>
    /// False (the default): a mesh peer's endpoint is the first of its candidates and roams as WireGuard
    /// does. True: the path manager owns it (docs/nat.md, Paths): candidates never set it, roaming is off
    /// for mesh peers, and it moves only through <see cref="MeshPorts.Node.Paths.IPeerPathControl"/>; a new
    /// peer has no endpoint until the path manager picks one.
    /// </summary>
    public bool PathManaged { get; set; }

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
