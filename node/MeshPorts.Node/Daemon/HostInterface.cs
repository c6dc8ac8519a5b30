using System.Net;

namespace MeshPorts.Node.Daemon;

/// <summary>One network interface of the host, as <see cref="HostEndpoints"/> needs it.</summary>
internal sealed record HostInterface(string Name, IReadOnlyList<IPAddress> Addresses);
