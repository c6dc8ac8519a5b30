using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Paths;

/// <summary>A probe's plaintext.</summary>
/// <param name="SenderTimeMs">The sender's clock, Unix milliseconds.</param>
/// <param name="Observed">Pong only: the source address the answered ping came from.</param>
internal readonly record struct ProbeMessage(ProbeKind Kind, ProbeTxId TxId, long SenderTimeMs, PeerEndpoint Observed);
