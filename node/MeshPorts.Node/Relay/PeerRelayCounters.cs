using MeshPorts.Node.Paths;

namespace MeshPorts.Node.Relay;

/// <summary>Relayed traffic with one peer, by transport (status and metrics).</summary>
internal sealed class PeerRelayCounters
{
    private long _txUdpDatagrams;
    private long _txUdpBytes;
    private long _txTlsDatagrams;
    private long _txTlsBytes;
    private long _rxUdpDatagrams;
    private long _rxUdpBytes;
    private long _rxTlsDatagrams;
    private long _rxTlsBytes;
    private long _txDrops;

    public long TxDatagrams(RelayTransport transport) => transport switch
    {
        RelayTransport.Udp => Interlocked.Read(ref _txUdpDatagrams),
        RelayTransport.Tls => Interlocked.Read(ref _txTlsDatagrams),
        _ => 0,
    };

    public long TxBytes(RelayTransport transport) => transport switch
    {
        RelayTransport.Udp => Interlocked.Read(ref _txUdpBytes),
        RelayTransport.Tls => Interlocked.Read(ref _txTlsBytes),
        _ => 0,
    };

    public long RxDatagrams(RelayTransport transport) => transport switch
    {
        RelayTransport.Udp => Interlocked.Read(ref _rxUdpDatagrams),
        RelayTransport.Tls => Interlocked.Read(ref _rxTlsDatagrams),
        _ => 0,
    };

    public long RxBytes(RelayTransport transport) => transport switch
    {
        RelayTransport.Udp => Interlocked.Read(ref _rxUdpBytes),
        RelayTransport.Tls => Interlocked.Read(ref _rxTlsBytes),
        _ => 0,
    };

    /// <summary>Sends to this peer that no relay could take.</summary>
    public long TxDrops => Interlocked.Read(ref _txDrops);

    public void Sent(RelayTransport transport, int bytes)
    {
        if (transport == RelayTransport.Udp)
        {
            Interlocked.Increment(ref _txUdpDatagrams);
            Interlocked.Add(ref _txUdpBytes, bytes);
        }
        else
        {
            Interlocked.Increment(ref _txTlsDatagrams);
            Interlocked.Add(ref _txTlsBytes, bytes);
        }
    }

    public void Received(RelayTransport transport, int bytes)
    {
        if (transport == RelayTransport.Udp)
        {
            Interlocked.Increment(ref _rxUdpDatagrams);
            Interlocked.Add(ref _rxUdpBytes, bytes);
        }
        else
        {
            Interlocked.Increment(ref _rxTlsDatagrams);
            Interlocked.Add(ref _rxTlsBytes, bytes);
        }
    }

    public void SendDropped() => Interlocked.Increment(ref _txDrops);
}
