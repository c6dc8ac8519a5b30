using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Config;
using Xunit;

namespace MeshPorts.Ctl.Tests.Config;

/// <summary>meshctl.conf's url line with every replica: old one-URL files still read, new lists in order, mistakes refused.</summary>
public sealed class ConfigReplicaTests
{
    private const string Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Rest = "pin = sha256:" + Hex + "\ntoken = t\n";

    [Fact]
    public void OldSingleUrlFile_GivesOneReplica()
    {
        var config = ConfigFileReader.Parse("url = https://127.0.0.1:7443\n" + Rest, "meshctl.conf");

        Assert.Equal([new Uri("https://127.0.0.1:7443")], config.Urls);
        Assert.Equal(new Uri("https://127.0.0.1:7443"), config.Url);
    }

    [Fact]
    public void CommaList_GivesEveryReplica_PrimaryFirst()
    {
        var config = ConfigFileReader.Parse("url = https://a.example:7443, https://b.example:7443,https://10.0.0.3:7443\n" + Rest, "meshctl.conf");

        Assert.Equal(["https://a.example:7443/", "https://b.example:7443/", "https://10.0.0.3:7443/"], config.Urls.Select(u => u.ToString()));
        Assert.Equal(new Uri("https://a.example:7443"), config.Url);
    }

    [Fact]
    public void WhatTheCoordinatorWrites_ReadsBack()
    {
        // The exact form AdminCredential writes (CoordinatorUrls.Format), comment and all.
        var written = "# url: every coordinator replica, comma-separated, primary first; meshctl tries them in order.\n"
            + "url = " + Contracts.Transport.CoordinatorUrls.Format([new Uri("https://a:1"), new Uri("https://b:2")]) + "\n" + Rest;

        Assert.Equal([new Uri("https://a:1"), new Uri("https://b:2")], ConfigFileReader.Parse(written, "meshctl.conf").Urls);
    }

    [Fact]
    public void JsonArray_IsTheSameList()
    {
        var config = ConfigFileReader.Parse($$"""{ "url": ["https://a:7443", "https://b:7443"], "pin": "{{Hex}}", "token": "t" }""", "x.json");

        Assert.Equal([new Uri("https://a:7443"), new Uri("https://b:7443")], config.Urls);
    }

    [Fact]
    public void RepeatedUrlKey_IsRefused_NamingTheOneLineForm()
    {
        var ex = Assert.Throws<CtlException>(() => ConfigFileReader.Parse("url = https://a:7443\nurl = https://b:7443\n" + Rest, "meshctl.conf"));

        Assert.Contains("names the url twice", ex.Message);
        Assert.Contains("url = https://a:7443, https://b:7443", ex.Message);
    }

    [Theory]
    [InlineData("url = https://a:7443, http://b:7443\n", "http://b:7443: must be https://")]
    [InlineData("url = https://a:7443,,https://b:7443\n", "empty entry")]
    [InlineData("url = https://a:7443/path\n", "no path")]
    [InlineData("url = https://a:7443, https://a:7443\n", "listed twice")]
    public void BadEntry_IsRefusedNamingIt(string urlLine, string expected)
    {
        var ex = Assert.Throws<CtlException>(() => ConfigFileReader.Parse(urlLine + Rest, "meshctl.conf"));

        Assert.Contains(expected, ex.Message);
        Assert.StartsWith("meshctl.conf: url ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NewList_ReadByAnOldMeshctl_FailsInsteadOfPickingOne()
    {
        // meshctl before replicas parsed the whole value as one URI; a list must not parse as some other host.
        Assert.False(Uri.TryCreate("https://a.example:7443, https://b.example:7443", UriKind.Absolute, out _));
        Assert.False(Uri.TryCreate("https://10.0.0.1:7443,https://10.0.0.2:7443", UriKind.Absolute, out _));
    }
}
