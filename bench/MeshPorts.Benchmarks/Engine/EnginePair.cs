using System.Net;
using MeshPorts.Benchmarks.Support;
using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Benchmarks.Engine;

/// <summary>
/// Two engines that know each other, with a completed handshake and a confirmed session on both sides,
/// connected by queues rather than sockets. A sends to B; after <see cref="Establish"/> every transport
/// packet A seals is one B accepts.
/// </summary>
internal sealed class EnginePair
{
    private readonly byte[] _scratch = new byte[2048];

    public EnginePair(TimeProvider time)
    {
        A = new WireGuardEngine(time);
        B = new WireGuardEngine(time);
        A.SetPrivateKey(WgKey.GeneratePrivate());
        B.SetPrivateKey(WgKey.GeneratePrivate());
        BOnA = A.AddPeer(B.PublicKey!.Value);
        AOnB = B.AddPeer(A.PublicKey!.Value);
        BOnA.Endpoint = EndpointB;
        AOnB.Endpoint = EndpointA;
    }

    public static PeerEndpoint EndpointA { get; } = PeerEndpoint.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:51820"));

    public static PeerEndpoint EndpointB { get; } = PeerEndpoint.FromIPEndPoint(IPEndPoint.Parse("192.0.2.2:51820"));

    public WireGuardEngine A { get; }

    public WireGuardEngine B { get; }

    public Peer BOnA { get; }

    public Peer AOnB { get; }

    public CapturingOutput OutA { get; } = new();

    public CapturingOutput OutB { get; } = new();

    /// <summary>
    /// A's first packet stages and starts the handshake; the response and A's flushed packet confirm
    /// B's "next" session, so both ends hold a current keypair afterwards.
    /// </summary>
    public void Establish()
    {
        var buffer = new byte[2048];
        var first = A.ProcessOutbound(BOnA, new byte[64], buffer, OutA);
        if (first.Action == OutboundAction.Send)
        {
            OutA.Queue.Enqueue((first.Endpoint, buffer[..first.Length]));
        }

        for (var rounds = 0; OutA.Queue.Count + OutB.Queue.Count > 0; rounds++)
        {
            if (rounds > 100)
            {
                throw new InvalidOperationException("The handshake did not settle.");
            }

            while (OutA.Queue.TryDequeue(out var d))
            {
                B.ProcessInbound(d.Data, EndpointA, _scratch, OutB);
            }

            while (OutB.Queue.TryDequeue(out var d))
            {
                A.ProcessInbound(d.Data, EndpointB, _scratch, OutA);
            }
        }

        if (!BOnA.HasCurrentKeypair || !AOnB.HasCurrentKeypair)
        {
            throw new InvalidOperationException("The pair has no confirmed session after the handshake.");
        }

        OutA.Keep = false;
        OutB.Keep = false;
    }
}
