using System.Net;

namespace MeshPorts.Node.Tests.Expose;

/// <summary>
/// Just enough TCP, in userspace, for a peer on the far side of the tunnel: a handshake, data in
/// order, and a reset. It talks to the node's kernel only by writing to and reading from the TUN.
/// </summary>
internal sealed class TunTcpPeer
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly OverlayTun _tun;
    private readonly ushort _port;
    private readonly IPAddress _destination;
    private readonly IPAddress _source;
    private readonly ushort _localPort = (ushort)Random.Shared.Next(20000, 60000);
    private uint _seq = (uint)Random.Shared.Next();
    private uint _ack;

    /// <param name="destination">Where to connect; the TUN's own node address unless another interface's address is being probed.</param>
    public TunTcpPeer(OverlayTun tun, ushort port, IPAddress? destination = null)
    {
        _tun = tun;
        _port = port;
        _destination = destination ?? tun.NodeAddress;
        _source = _destination.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? tun.PeerAddress6 : tun.PeerAddress;
    }

    /// <summary>Sends a SYN and returns the node's answer (SYN-ACK if something listens there, RST if not).</summary>
    public async Task<Segment> SendSynAsync()
    {
        _tun.Write(OverlayPackets.Tcp(_source, _localPort, _destination, _port, _seq, 0, OverlayPackets.Syn));
        return await _tun.ExpectAsync(6, IsForUs, Timeout, $"answer to a SYN for {_destination}:{_port}");
    }

    public async Task ConnectAsync()
    {
        var answer = await SendSynAsync();
        Assert.True(answer.Has(OverlayPackets.Syn) && answer.Has(OverlayPackets.Ack), $"Expected a SYN-ACK, got flags 0x{answer.Flags:x2}.");
        Assert.Equal(_seq + 1, answer.Ack);
        _seq++;
        _ack = answer.Seq + 1;
        SendFlags(OverlayPackets.Ack);
    }

    public void Send(byte[] data)
    {
        _tun.Write(OverlayPackets.Tcp(_source, _localPort, _destination, _port, _seq, _ack, OverlayPackets.Psh | OverlayPackets.Ack, data));
        _seq += (uint)data.Length;
    }

    /// <summary>Reads data segments (acknowledging each) until <paramref name="length"/> bytes arrived.</summary>
    public async Task<byte[]> ReceiveAsync(int length)
    {
        var data = new List<byte>();
        while (data.Count < length)
        {
            var segment = await _tun.ExpectAsync(6, s => IsForUs(s) && (s.Payload.Length > 0 || s.Has(OverlayPackets.Rst)), Timeout, "data segment");
            Assert.False(segment.Has(OverlayPackets.Rst), "The node reset the connection instead of sending data.");
            if (segment.Seq == _ack)
            {
                data.AddRange(segment.Payload);
                _ack += (uint)segment.Payload.Length;
            }

            SendFlags(OverlayPackets.Ack);
        }

        return [.. data];
    }

    /// <summary>Waits for a segment with <paramref name="flag"/> (e.g. the node's RST or FIN).</summary>
    public Task<Segment> ExpectAsync(byte flag, TimeSpan within) =>
        _tun.ExpectAsync(6, s => IsForUs(s) && s.Has(flag), within, $"segment with flag 0x{flag:x2}");

    public void SendReset() => SendFlags(OverlayPackets.Rst | OverlayPackets.Ack);

    public void SendFin()
    {
        SendFlags(OverlayPackets.Fin | OverlayPackets.Ack);
        _seq++;
    }

    private void SendFlags(byte flags) =>
        _tun.Write(OverlayPackets.Tcp(_source, _localPort, _destination, _port, _seq, _ack, flags));

    private bool IsForUs(Segment s) =>
        s.Source.Equals(_destination) && s.SourcePort == _port && s.Destination.Equals(_source) && s.DestinationPort == _localPort;
}
