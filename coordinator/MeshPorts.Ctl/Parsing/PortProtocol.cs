namespace MeshPorts.Ctl.Parsing;

/// <summary>The transport of an exposed port.</summary>
internal enum PortProtocol
{
    Tcp,
    Udp,
}
