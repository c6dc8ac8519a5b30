using System.Net;

namespace MeshPorts.Relay.Tests.Support;

/// <summary>Records what the relay sends on UDP instead of sending it.</summary>
internal sealed class RecordingUdpSender : IRelayUdpSender
{
    public List<(byte[] Datagram, IPEndPoint To)> Sent { get; } = [];

    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        lock (Sent)
        {
            Sent.Add((datagram.ToArray(), destination));
        }
    }
}
