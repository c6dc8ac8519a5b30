using System.Security.Cryptography;
using System.Text;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Device;

/// <summary>
/// The filter's name for a mesh peer. Rules and flows are bound to the peer's coordinator id rather than
/// to its WireGuard key, so a key rotation keeps open connections; a packet is still only attributed to
/// the peer whose key decrypted it, because the device maps each configured key to exactly one id.
/// </summary>
internal static class MeshIdentity
{
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("meshports-peer-identity-v1\0");

    public static WgKey ForNode(string nodeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        var input = new byte[Domain.Length + Encoding.UTF8.GetByteCount(nodeId)];
        Domain.CopyTo(input, 0);
        Encoding.UTF8.GetBytes(nodeId, input.AsSpan(Domain.Length));
        return WgKey.FromBytes(SHA256.HashData(input));
    }
}
