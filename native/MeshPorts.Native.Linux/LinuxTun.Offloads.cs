using System.Runtime.InteropServices;
using MeshPorts.Native.Linux.Interop;

namespace MeshPorts.Native.Linux;

/// <summary>
/// TUNSETOFFLOAD negotiation: which checksum/segmentation offloads the kernel lets this device take, so
/// <see cref="Offloads"/> tells the data plane whether packets may arrive as GSO super-packets.
/// </summary>
public sealed unsafe partial class LinuxTun
{
    // Asks for checksum and TSO offloads and, where the kernel has them (6.2+), USO too. A kernel
    // that refuses USO gets asked again without it; one that refuses TSO too keeps the vnet header
    // with no offloads, which still works (every packet then arrives whole and checksummed).
    private static TunOffloads SetOffloads(FileDescriptorHandle fd, string name)
    {
        const uint Tso = TunConstants.TUN_F_CSUM | TunConstants.TUN_F_TSO4 | TunConstants.TUN_F_TSO6;
        const uint TsoAndUso = Tso | TunConstants.TUN_F_USO4 | TunConstants.TUN_F_USO6;
        foreach (var flags in (ReadOnlySpan<uint>)[TsoAndUso, Tso, 0u])
        {
            if (LibC.Ioctl(fd.Fd, TunConstants.TUNSETOFFLOAD, (void*)(nuint)flags) == 0)
            {
                return TunOffloads.VnetHeader | (TunOffloads)flags;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINVAL)
            {
                throw new NativeException(errno, $"ioctl(TUNSETOFFLOAD) on '{name}'");
            }
        }

        return TunOffloads.VnetHeader;
    }
}
