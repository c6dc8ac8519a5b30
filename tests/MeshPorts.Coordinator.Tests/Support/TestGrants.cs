using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;

namespace MeshPorts.Coordinator.Tests.Support;

/// <summary>The grant most tests need: FROM may reach TO on a TCP port for an hour.</summary>
internal static class TestGrants
{
    public static AddGrantRequest Hour(string from, string to, uint port = 5432) => For(from, to, port, TimeSpan.FromHours(1));

    public static AddGrantRequest For(string from, string to, uint port, TimeSpan duration) => new()
    {
        From = from,
        To = to,
        Port = port,
        Protocol = Protocol.Tcp,
        Duration = Duration.FromTimeSpan(duration),
        Reason = "test",
    };
}
