namespace MeshPorts.Node.Io;

internal sealed class LinuxUdpTransportFactory : IUdpTransportFactory
{
    public IUdpTransport Bind(ushort port) => new LinuxUdpTransport(port);
}
