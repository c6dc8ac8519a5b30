using System.Threading.Channels;
using MeshPorts.Node.Paths;

namespace MeshPorts.Node.Tests.Relay;

/// <summary>The device's side of relayed datagrams: records each with its source and relay.</summary>
internal sealed class RecordingInbound : IRelayedInbound
{
    public Channel<(string From, string RelayId, byte[] Datagram)> Received { get; } = Channel.CreateUnbounded<(string, string, byte[])>();

    public void ReceiveRelayed(string fromNodeId, string relayId, ReadOnlySpan<byte> datagram) =>
        Received.Writer.TryWrite((fromNodeId, relayId, datagram.ToArray()));

    public async Task<(string From, string RelayId, byte[] Datagram)> NextAsync()
    {
        try
        {
            return await Received.Reader.ReadAsync().AsTask().WaitAsync(FakeRelayServer.Wait);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"no relayed datagram reached the device within {FakeRelayServer.Wait.TotalSeconds:0} s");
        }
    }
}
