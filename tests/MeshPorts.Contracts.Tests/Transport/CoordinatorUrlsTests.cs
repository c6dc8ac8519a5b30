using MeshPorts.Contracts.Transport;
using Xunit;

namespace MeshPorts.Contracts.Tests.Transport;

/// <summary>The replica list the coordinator's --public-url, meshctl.conf and join strings share.</summary>
public sealed class CoordinatorUrlsTests
{
    [Fact]
    public void List_KeepsOrder_AndNormalizesToTheAuthority()
    {
        Assert.True(CoordinatorUrls.TryParseList(" https://a.example:7443 ,https://10.0.0.2:7443/, https://[fd00::3]:7443", out var urls, out var error), error);

        Assert.Equal(["https://a.example:7443/", "https://10.0.0.2:7443/", "https://[fd00::3]:7443/"], urls.Select(u => u.ToString()));
        Assert.Equal("https://a.example:7443, https://10.0.0.2:7443, https://[fd00::3]:7443", CoordinatorUrls.Format(urls));
    }

    [Fact]
    public void OneUrl_IsAListOfOne()
    {
        Assert.True(CoordinatorUrls.TryParseList("https://coord:7443", out var urls, out _));

        Assert.Equal([new Uri("https://coord:7443")], urls);
    }

    [Theory]
    [InlineData("", "no URL given")]
    [InlineData(" , ", "no URL given")]
    [InlineData("https://a:1,,https://b:1", "empty entry")]
    [InlineData("https://a:1,", "empty entry")]
    [InlineData("http://a:7443", "must be https://; write https://a:7443")]
    [InlineData("https://a:1,http://b:7443", "http://b:7443: must be https://")]
    [InlineData("https://a:7443/coordinator", "no path, query or user; write https://a:7443")]
    [InlineData("https://a:7443?x=1", "no path")]
    [InlineData("https://u:p@a:7443", "no path, query or user")]
    [InlineData("a:7443", "expected https://HOST:PORT")]
    [InlineData("not a url", "is not a URL")]
    [InlineData("https://a:1, https://A:1", "listed twice")]
    public void BadEntries_AreRefusedNamingTheFix(string text, string expected)
    {
        Assert.False(CoordinatorUrls.TryParseList(text, out _, out var error));

        Assert.Contains(expected, error.Replace(" (the coordinator serves nothing in plaintext)", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
