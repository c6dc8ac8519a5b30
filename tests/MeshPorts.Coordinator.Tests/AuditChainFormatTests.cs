using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.Tests;

/// <summary>The hash chain's bytes are a stored format: databases written by earlier coordinators must still verify.</summary>
public sealed class AuditChainFormatTests
{
    // Computed by the coordinator before audit heads were signed; it must never change.
    private const string KnownHash = "b044eecccf2b9f08b98678a82e9a6d4069d4bbb675ba3539fcf42e91b68a9841";

    [Fact]
    public void ChainHash_OfAKnownEvent_IsTheOneEarlierCoordinatorsWrote()
    {
        var record = new AuditRecord
        {
            Seq = 7,
            Time = 1_796_000_000_123,
            Kind = "grant.added",
            Actor = "admin",
            Subject = "g_1",
            Outcome = "ok",
            Details = """{"from":"tag:ci","to":"db:5432/tcp","reason":"<é & \"x\">"}""",
        };
        Assert.Equal(KnownHash, AuditChain.ComputeHash(new string('a', 64), record));
    }
}
