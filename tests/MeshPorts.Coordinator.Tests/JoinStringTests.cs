using MeshPorts.Contracts.Join;

namespace MeshPorts.Coordinator.Tests;

public sealed class JoinStringTests
{
    [Fact]
    public void JoinString_RoundTrips_UrlPinAndSecret()
    {
        var join = JoinString.Encode(new Uri("https://coord.example:7443"), "sha256:ab", "s3cret");
        Assert.True(JoinString.TryDecode(join, out var decoded, out _));
        Assert.Equal("https://coord.example:7443/", decoded.Url.ToString());
        Assert.Equal("sha256:ab", decoded.Pin);
        Assert.Equal("s3cret", decoded.Secret);
    }

    [Theory]
    [InlineData("", "starts with 'mpj1_'")]
    [InlineData("mpj2_abc", "starts with 'mpj1_'")]
    [InlineData("mpj1_!!!!", "not base64url")]
    [InlineData("mpj1_bm90IGpzb24", "bad JSON")]
    [InlineData("mpj1_eyJ1IjoiaHR0cDovL3giLCJwIjoicCIsInMiOiJzIn0", "lacks its URL")]
    public void JoinString_Malformed_IsRejectedWithReason(string text, string expected)
    {
        Assert.False(JoinString.TryDecode(text, out _, out var error));
        Assert.Contains(expected, error);
    }
}
