using MeshPorts.Node.Device;

namespace MeshPorts.Node.Tests.Device;

public sealed class UnderlayDemuxTests
{
    [Theory]
    [InlineData(new byte[] { 1, 0, 0, 0 }, (int)UnderlayKind.WireGuard)]
    [InlineData(new byte[] { 4, 0, 0, 0, 9 }, (int)UnderlayKind.WireGuard)]
    [InlineData(new byte[] { 4, 0, 0 }, (int)UnderlayKind.Unrecognized)]
    [InlineData(new byte[] { 4, 0, 0, 1 }, (int)UnderlayKind.Unrecognized)]
    [InlineData(new byte[] { 5, 0, 0, 0 }, (int)UnderlayKind.Unrecognized)]
    [InlineData(new byte[] { 0, 0, 0, 0 }, (int)UnderlayKind.Unrecognized)]
    [InlineData(new byte[] { }, (int)UnderlayKind.Unrecognized)]
    [InlineData(new byte[] { 0xF1 }, (int)UnderlayKind.Probe)]
    [InlineData(new byte[] { 0xF2 }, (int)UnderlayKind.RelayFrame)]
    [InlineData(new byte[] { 0x01, 0x01, 0, 0, 0x21, 0x12, 0xA4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, (int)UnderlayKind.Stun)]
    [InlineData(new byte[] { 0x00, 0x01, 0, 0, 0x21, 0x12, 0xA4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, (int)UnderlayKind.Stun)]
    [InlineData(new byte[] { 0x01, 0x01, 0, 0, 0x21, 0x12, 0xA4, 0x42, 0, 0, 0, 0 }, (int)UnderlayKind.Unrecognized)]
    [InlineData(new byte[] { 0x41, 0x01, 0, 0, 0x21, 0x12, 0xA4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, (int)UnderlayKind.Unrecognized)]
    [InlineData(new byte[] { 0x01, 0x01, 0, 0, 0x21, 0x12, 0xA4, 0x43, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, (int)UnderlayKind.Unrecognized)]
    public void Classify_TellsTheKindsApartByTheirFirstBytes(byte[] datagram, int expected) =>
        Assert.Equal((UnderlayKind)expected, UnderlayDemux.Classify(datagram));

    [Fact]
    public void RelayEndpoints_AreInTheDiscardPrefix_AndRoundTripTheirSlot()
    {
        var endpoint = RelayEndpoints.ForSlot(0x01020304);
        Assert.Equal("[100::102:304]:1", endpoint.ToString());
        Assert.True(RelayEndpoints.IsVirtual(endpoint));
        Assert.True(RelayEndpoints.TryGetSlot(endpoint, out var slot));
        Assert.Equal(0x01020304u, slot);

        Assert.True(MeshPorts.WireGuard.Net.PeerEndpoint.TryParse("[100::1:2:3:4]:9", out var other));
        Assert.True(RelayEndpoints.IsVirtual(other));
        Assert.False(RelayEndpoints.TryGetSlot(other, out _));
        Assert.True(MeshPorts.WireGuard.Net.PeerEndpoint.TryParse("[100:0:0:1::5]:1", out var outside));
        Assert.False(RelayEndpoints.IsVirtual(outside));
        Assert.True(MeshPorts.WireGuard.Net.PeerEndpoint.TryParse("1.0.0.0:1", out var v4));
        Assert.False(RelayEndpoints.IsVirtual(v4));
        Assert.False(RelayEndpoints.IsVirtual(default));
    }
}
