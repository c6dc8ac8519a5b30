namespace MeshPorts.Contracts.Grammar;

/// <summary>The transport of an exposed port, a rule or a grant.</summary>
public enum PortProtocol
{
    Tcp,
    Udp,
}
