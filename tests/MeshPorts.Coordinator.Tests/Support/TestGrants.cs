using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;

namespace MeshPorts.Coordinator.Tests.Support;

/// <summary>The grant most tests need: FROM may reach TO on a TCP port for an hour.</summary>
internal static class TestGrants
{
    public static AddGrantRequest Hour(string from, string to, uint port = 5432) => new()
    {
        From = from,
        To = to,
        Port = port,
        Protocol = Protocol.Tcp,
        Duration = Duration.FromTimeSpan(TimeSpan.FromHours(1)),
        Reason = "test",
    };
}
