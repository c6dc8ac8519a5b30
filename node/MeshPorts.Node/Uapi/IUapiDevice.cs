namespace MeshPorts.Node.Uapi;

/// <summary>What the UAPI server needs from a WireGuard device. Implemented by the node's device.</summary>
internal interface IUapiDevice
{
    /// <summary>A consistent copy of the device's configuration and counters, for "get=1".</summary>
    UapiDeviceSnapshot Snapshot();

    /// <summary>
    /// Applies a validated "set=1" request atomically (all of it or, on failure, none of it) and returns
    /// a positive errno, or 0 on success (e.g. <see cref="UapiErrno.AddressInUse"/> if the port cannot be bound).
    /// Peers whose public key equals the device's own public key are to be ignored, as wireguard-go does.
    /// </summary>
    int Apply(UapiSetRequest request);
}
