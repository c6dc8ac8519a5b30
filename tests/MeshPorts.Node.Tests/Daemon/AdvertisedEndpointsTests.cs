using MeshPorts.Node.Daemon;


namespace MeshPorts.Node.Tests.Daemon;

public sealed class AdvertisedEndpointsTests
{
    [Fact]
    public async Task Resolve_IpLiterals_AreKeptAsTheyAre()
    {
        var resolved = await AdvertisedEndpoints.ResolveAsync(["192.0.2.10:51820", "[2001:db8::1]:4000"], CancellationToken.None);
        Assert.Equal(["192.0.2.10:51820", "[2001:db8::1]:4000"], resolved);
    }

    [Fact]
    public async Task Resolve_AHostName_BecomesItsAddresses_SoTheCoordinatorIsNeverHandedAName()
    {
        var resolved = await AdvertisedEndpoints.ResolveAsync(["localhost:51820"], CancellationToken.None);
        Assert.Contains("127.0.0.1:51820", resolved);
        Assert.DoesNotContain(resolved, e => e.Contains("localhost", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resolve_AnUnresolvableName_IsRefusedNamingTheFix()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => AdvertisedEndpoints.ResolveAsync(["no-such-host.invalid:51820"], CancellationToken.None));
        Assert.Contains("give an IP address, e.g. --endpoint 192.0.2.10:51820", ex.Message, StringComparison.Ordinal);
    }
}
