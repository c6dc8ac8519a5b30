using System.Globalization;

namespace MeshPorts.Integration.Tests.Harness.Nat;

/// <summary>A static DNAT on a router: <c>Protocol</c> to the router's public <c>PublicPort</c> goes to <c>HostAddress:HostPort</c> on the LAN.</summary>
internal sealed record PortForward(string Protocol, int PublicPort, string HostAddress, int HostPort)
{
    public static PortForward Udp(int publicPort, NatHost host, int hostPort) => new("udp", publicPort, host.LanAddress, hostPort);

    public static PortForward Tcp(int publicPort, NatHost host, int hostPort) => new("tcp", publicPort, host.LanAddress, hostPort);

    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"{Protocol} :{PublicPort} -> {HostAddress}:{HostPort}");
}
