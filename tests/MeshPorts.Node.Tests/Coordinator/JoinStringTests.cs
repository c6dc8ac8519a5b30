using System.Text;
using MeshPorts.Contracts.Join;

namespace MeshPorts.Node.Tests.Coordinator;

public sealed class JoinStringTests
{
    private const string Pin = "sha256:0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

    private static string Encode(string json) => JoinString.Prefix + System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Parse_WhatTheCoordinatorEncodes_GivesUrlPinAndSecret()
    {
        var text = JoinString.Encode(new Uri("https://coord.example:7443/ignored/path"), Pin, "s3cret-_x");

        var join = JoinString.Parse("  " + text + "\n");

        Assert.Equal(new Uri("https://coord.example:7443/"), join.Url);
        Assert.Equal(Pin, join.Pin);
        Assert.Equal("s3cret-_x", join.Secret);
    }

    [Fact]
    public void Parse_WithUnknownKeys_IgnoresThem()
    {
        var join = JoinString.Parse(Encode($$$"""{"u":"https://10.0.0.1:7443","p":"{{{Pin}}}","s":"abc","v":2,"x":{"y":1}}"""));

        Assert.Equal("abc", join.Secret);
        Assert.Equal(7443, join.Url.Port);
    }

    [Theory]
    [InlineData("", "starts with 'mpj1_'")]
    [InlineData("mpj2_eyJ1IjoiaHR0cHM6Ly94In0", "starts with 'mpj1_'")]
    [InlineData("mpj1_!!!!", "not base64url")]
    [InlineData("mpj1_bm90IGpzb24", "bad JSON")]
    public void Parse_DamagedString_IsRefusedWithTheFix(string text, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => JoinString.Parse(text));

        Assert.Contains(expected, ex.Message);
        Assert.Matches("copy it again|meshctl token create", ex.Message);
    }

    [Theory]
    [InlineData("""{"u":"http://coord:7443","p":"PIN","s":"abc"}""")]
    [InlineData("""{"u":"https://coord:7443","p":"PIN"}""")]
    [InlineData("""{"u":"https://coord:7443","s":"abc"}""")]
    [InlineData("""{"p":"PIN","s":"abc"}""")]
    [InlineData("""{"u":"not a url","p":"PIN","s":"abc"}""")]
    [InlineData("""{"u":"https://coord:7443","p":"PIN","s":5}""")]
    public void Parse_WithoutHttpsUrlPinOrSecret_NamesWhatIsMissingAndTheFix(string json)
    {
        var ex = Assert.Throws<FormatException>(() => JoinString.Parse(Encode(json.Replace("PIN", Pin, StringComparison.Ordinal))));

        Assert.Contains("lacks its URL, pin or secret", ex.Message);
        Assert.Contains("meshctl token create", ex.Message);
    }

    [Fact]
    public void Parse_WithAPinThatIsNoFingerprint_IsRefused()
    {
        var ex = Assert.Throws<FormatException>(() => JoinString.Parse(JoinString.Encode(new Uri("https://c:1"), "sha256:abcd", "s")));

        Assert.Contains("'sha256:abcd' is not a SHA-256 fingerprint", ex.Message);
    }

    [Fact]
    public void ToString_NeverShowsTheSecret()
    {
        var join = JoinString.Parse(JoinString.Encode(new Uri("https://coord:7443"), Pin, "TOP-SECRET-VALUE"));

        Assert.DoesNotContain("TOP-SECRET-VALUE", join.ToString(), StringComparison.Ordinal);
        Assert.Contains("https://coord:7443", join.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Replicas_RoundTrip_InOrder_PrimaryFirst()
    {
        var urls = new[] { new Uri("https://a.example:7443"), new Uri("https://b.example:7443"), new Uri("https://[fd00::3]:7443") };

        var join = JoinString.Parse(JoinString.Encode(urls, Pin, "s"));

        Assert.Equal(urls, join.Urls);
        Assert.Equal(urls[0], join.Url);
        Assert.Contains("https://b.example:7443", join.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void OldSingleUrlString_StillParses_AsAListOfOne()
    {
        // Exactly what coordinators before replicas printed: no "r".
        var join = JoinString.Parse(Encode($$$"""{"u":"https://10.0.0.1:7443","p":"{{{Pin}}}","s":"abc"}"""));

        Assert.Equal([new Uri("https://10.0.0.1:7443")], join.Urls);
    }

    [Fact]
    public void NewString_ReadAsAnOldParserWould_GivesThePrimary()
    {
        // An old node reads only "u" (unknown keys are ignored): that must be a real replica, the first.
        var text = JoinString.Encode([new Uri("https://a:7443"), new Uri("https://b:7443")], Pin, "s");
        using var doc = System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(text.AsSpan(JoinString.Prefix.Length)));

        Assert.Equal("https://a:7443", doc.RootElement.GetProperty("u").GetString());
        Assert.Equal(["https://b:7443"], doc.RootElement.GetProperty("r").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void OneUrl_WritesNoReplicaList()
    {
        var text = JoinString.Encode([new Uri("https://a:7443")], Pin, "s");
        using var doc = System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(text.AsSpan(JoinString.Prefix.Length)));

        Assert.False(doc.RootElement.TryGetProperty("r", out _));
    }

    [Fact]
    public void ReplicaRepeatingThePrimary_IsDropped()
    {
        var join = JoinString.Parse(Encode($$$"""{"u":"https://a:7443","r":["https://A:7443","https://b:7443","https://b:7443"],"p":"{{{Pin}}}","s":"abc"}"""));

        Assert.Equal([new Uri("https://a:7443"), new Uri("https://b:7443")], join.Urls);
    }

    [Theory]
    [InlineData("""{"u":"https://a:7443","r":"https://b:7443","p":"PIN","s":"abc"}""", "replica list is not a list")]
    [InlineData("""{"u":"https://a:7443","r":["http://b:7443"],"p":"PIN","s":"abc"}""", "must be https://")]
    [InlineData("""{"u":"https://a:7443","r":["https://b:7443/x"],"p":"PIN","s":"abc"}""", "no path")]
    [InlineData("""{"u":"https://a:7443","r":[7],"p":"PIN","s":"abc"}""", "not a string")]
    public void BadReplicaEntry_IsRefusedWithTheFix(string json, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => JoinString.Parse(Encode(json.Replace("PIN", Pin, StringComparison.Ordinal))));

        Assert.Contains(expected, ex.Message);
        Assert.Contains("meshctl token create", ex.Message);
    }
}
