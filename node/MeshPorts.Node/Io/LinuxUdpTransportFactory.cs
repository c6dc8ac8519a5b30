namespace MeshPorts.Node.Io;

/// <param name="offloads">UDP_SEGMENT on send and UDP_GRO on receive (each falls back by itself where the kernel refuses).</param>
internal sealed class LinuxUdpTransportFactory(bool offloads = true) : IUdpTransportFactory
{
    public IUdpTransport Bind(ushort port) => new LinuxUdpTransport(port, offloads);
}
