using System.Net;
using MeshPorts.Contracts.Stun;

namespace MeshPorts.Fuzz.Targets;

/// <summary>
/// STUN binding requests (what any host sends the coordinator's STUN port) and binding successes (what
/// comes back to the node's discovery, from the STUN server or anyone spoofing it).
/// </summary>
internal static class StunMessages
{
    public static FuzzTarget Target { get; } = new(
        "stun",
        "any host: UDP to the coordinator's STUN port, and answers to the node's discovery (MeshPorts.Contracts StunMessage)",
        Run,
        Seeds);

    private static void Run(ReadOnlySpan<byte> data)
    {
        Span<byte> transaction = stackalloc byte[12];
        StunMessage.IsStun(data);
        if (StunMessage.TryReadBindingRequest(data, transaction))
        {
            // What the coordinator's STUN server then does with it.
            Span<byte> reply = stackalloc byte[64];
            StunMessage.WriteBindingSuccess(reply, transaction, new IPEndPoint(IPAddress.Loopback, 1));
        }

        StunMessage.TryReadBindingSuccess(data, transaction, out _);
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        byte[] transaction = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        var request = new byte[64];
        var n = StunMessage.WriteBindingRequest(request, transaction);
        yield return ("request", request[..n]);
        var success = new byte[64];
        n = StunMessage.WriteBindingSuccess(success, transaction, IPEndPoint.Parse("203.0.113.9:41641"));
        yield return ("success-v4", success[..n]);
        n = StunMessage.WriteBindingSuccess(success, transaction, IPEndPoint.Parse("[2001:db8::9]:41641"));
        yield return ("success-v6", success[..n]);
    }
}
