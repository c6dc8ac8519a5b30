using MeshPorts.Node.Uapi;

namespace MeshPorts.Node.Daemon;

/// <summary>
/// The UAPI view of a mesh-managed interface: <c>wg show</c> works, <c>wg set</c> is refused with
/// EPERM, because the coordinator owns this interface's peers and a local change would be undone at
/// the next delta, or worse, outlive a grant.
/// </summary>
internal sealed class ReadOnlyUapiDevice(IUapiDevice inner) : IUapiDevice
{
    public UapiDeviceSnapshot Snapshot() => inner.Snapshot();

    public int Apply(UapiSetRequest request) => UapiErrno.PermissionDenied;
}
