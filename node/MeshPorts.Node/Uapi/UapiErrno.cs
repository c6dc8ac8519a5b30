namespace MeshPorts.Node.Uapi;

/// <summary>
/// Linux errno values the UAPI reports (asm-generic/errno-base.h, asm-generic/errno.h). These are the
/// positive numbers <see cref="IUapiDevice.Apply"/> returns; on the wire a failed set is written
/// negated ("errno=-22"), as wireguard-go does, because wg(8) negates what it reads back.
/// </summary>
internal static class UapiErrno
{
    public const int Ok = 0;

    /// <summary>EPERM: the interface is managed by the coordinator (<c>up</c>), so <c>set</c> is refused.</summary>
    public const int PermissionDenied = 1;

    /// <summary>EIO: reading the request or writing the reply failed.</summary>
    public const int IO = 5;

    /// <summary>EINVAL: a bad value, or a key not valid where it appears.</summary>
    public const int Invalid = 22;

    /// <summary>EPROTO: a line that is not key=value at all.</summary>
    public const int Protocol = 71;

    /// <summary>EMSGSIZE: a line or request larger than the server accepts.</summary>
    public const int MessageTooLong = 90;

    /// <summary>EADDRINUSE: the listen port (or fwmark) could not be applied to the socket.</summary>
    public const int AddressInUse = 98;
}
