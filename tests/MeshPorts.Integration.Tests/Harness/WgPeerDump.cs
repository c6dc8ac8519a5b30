namespace MeshPorts.Integration.Tests.Harness;

/// <summary>One peer line of `wg show IFNAME dump`.</summary>
/// <param name="Endpoint">"ip:port", or null when wg prints "(none)".</param>
/// <param name="LatestHandshake">Unix seconds; 0 means no handshake yet.</param>
internal sealed record WgPeerDump(
    string PublicKey,
    string? Endpoint,
    string AllowedIps,
    long LatestHandshake,
    long RxBytes,
    long TxBytes,
    string PersistentKeepalive);
