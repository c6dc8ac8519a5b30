using System.Globalization;

namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// The parsed output of `wg show IFNAME dump` (wg(8)): a line for the interface (private key, public
/// key, listen port, fwmark), then one per peer (public key, preshared key, endpoint, allowed ips,
/// latest handshake, rx bytes, tx bytes, persistent keepalive), fields separated by tabs.
/// </summary>
internal sealed record WgDump(string PublicKey, int ListenPort, IReadOnlyList<WgPeerDump> Peers)
{
    public static WgDump Parse(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            throw new FormatException("wg show dump printed nothing");
        }

        var head = lines[0].Split('\t');
        if (head.Length != 4)
        {
            throw new FormatException($"interface line has {head.Length} fields, expected 4: {lines[0]}");
        }

        var peers = new List<WgPeerDump>();
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split('\t');
            if (f.Length != 8)
            {
                throw new FormatException($"peer line has {f.Length} fields, expected 8: {line}");
            }

            peers.Add(new WgPeerDump(
                f[0],
                f[2] == "(none)" ? null : f[2],
                f[3],
                long.Parse(f[4], NumberStyles.None, CultureInfo.InvariantCulture),
                long.Parse(f[5], NumberStyles.None, CultureInfo.InvariantCulture),
                long.Parse(f[6], NumberStyles.None, CultureInfo.InvariantCulture),
                f[7]));
        }

        return new WgDump(head[1], int.Parse(head[2], NumberStyles.None, CultureInfo.InvariantCulture), peers);
    }

    public WgPeerDump Peer(string publicKey) =>
        Peers.SingleOrDefault(p => p.PublicKey == publicKey)
        ?? throw new InvalidOperationException($"peer {publicKey} is not in the dump (peers: {string.Join(", ", Peers.Select(p => p.PublicKey))})");
}
