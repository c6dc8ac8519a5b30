namespace MeshPorts.Node.Io;

/// <summary>Binds UDP sockets; the device rebinds when <c>listen_port</c> changes.</summary>
internal interface IUdpTransportFactory
{
    /// <summary>Binds to <paramref name="port"/>, or an ephemeral port when it is 0.</summary>
    IUdpTransport Bind(ushort port);
}
