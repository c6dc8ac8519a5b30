using Google.Protobuf.WellKnownTypes;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.StateDirectory;

namespace MeshPorts.Node.Tests.StateDirectory;

public sealed class EnrollmentRecordTests
{
    [Fact]
    public void CompleteFrom_RecoveredRecord_TakesSelfInfoAndDerivesPrefixes()
    {
        var recovered = new EnrollmentRecord { CoordinatorUrl = "https://c:7443", Pin = "sha256:x" };
        Assert.False(recovered.IsComplete);
        var expiry = new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
        var self = new SelfInfo
        {
            NodeId = "id-9",
            Name = "web-2",
            User = "bob",
            OverlayIpv4 = "100.64.0.9",
            OverlayIpv6 = "fd12:3456:789a::9",
            KeyExpiresAt = Timestamp.FromDateTimeOffset(expiry),
        };
        self.Tags.Add("web");

        var complete = recovered.CompleteFrom(self);

        Assert.True(complete.IsComplete);
        Assert.Equal(("id-9", "web-2", "bob"), (complete.NodeId, complete.Name, complete.User));
        Assert.Equal(["web"], complete.Tags);
        Assert.Equal(expiry, complete.KeyExpiresAt);
        Assert.Equal("100.64.0.0/10", complete.OverlayPrefixIpv4);
        Assert.Equal("fd12:3456:789a::/48", complete.OverlayPrefixIpv6);
        Assert.Null(complete.KeyLifetimeSeconds);
        Assert.Equal(("https://c:7443", "sha256:x"), (complete.CoordinatorUrl, complete.Pin));
    }

    [Fact]
    public void CompleteFrom_KeepsPrefixesAlreadyKnown_AndAddressOutsideDefaultGetsA32()
    {
        var known = new EnrollmentRecord { CoordinatorUrl = "https://c:1", Pin = "p", OverlayPrefixIpv6 = "fd00:1:2::/48" };

        var complete = known.CompleteFrom(new SelfInfo { NodeId = "a", Name = "b", OverlayIpv4 = "10.9.8.7", OverlayIpv6 = "fd99::1" });

        Assert.Equal("fd00:1:2::/48", complete.OverlayPrefixIpv6);
        Assert.Equal("10.9.8.7/32", complete.OverlayPrefixIpv4);
    }
}
