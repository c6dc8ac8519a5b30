namespace MeshPorts.Node.Expose;

/// <summary>The transport of an exposed port; grants name the same two.</summary>
internal enum ExposeProtocol
{
    Tcp,
    Udp,
}
