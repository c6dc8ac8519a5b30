using System.Net;
using MeshPorts.Coordinator.Hosting;
using Microsoft.AspNetCore.Http;

namespace MeshPorts.Coordinator.Tests;

/// <summary>/metrics names nodes and shares the port every scanner reaches: off loopback it needs the token.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MetricsAccessTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mp-metrics-access-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string TokenPath => Path.Combine(_dir.FullName, MetricsAccess.FileName);

    [Fact]
    public void FirstStart_WritesAnOwnerOnlyToken_AndTheSecondStartKeepsIt()
    {
        var access = MetricsAccess.LoadOrCreate(_dir.FullName, out var created);

        Assert.True(created);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(TokenPath));
        var token = File.ReadAllText(TokenPath).Trim();
        Assert.StartsWith("mpm1_", token, StringComparison.Ordinal);
        Assert.True(access.Allows("Bearer " + token));

        var again = MetricsAccess.LoadOrCreate(_dir.FullName, out var createdAgain);
        Assert.False(createdAgain);
        Assert.Equal(token, File.ReadAllText(TokenPath).Trim());
        Assert.True(again.Allows("Bearer " + token));
        Assert.False(File.Exists(TokenPath + ".tmp"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Basic bXBtMV86eA==")]
    [InlineData("Bearer mpm1_wrong-token-of-a-plausible-length-000000000")]
    public void AnythingButTheToken_IsRefused(string? authorization)
    {
        var access = MetricsAccess.LoadOrCreate(_dir.FullName, out _);

        Assert.False(access.Allows(authorization));
    }

    [Fact]
    public void TheToken_PlusAnything_OrAPrefixOfIt_IsRefused()
    {
        var access = MetricsAccess.LoadOrCreate(_dir.FullName, out _);
        var token = File.ReadAllText(TokenPath).Trim();

        Assert.False(access.Allows("Bearer " + token + "x"));
        Assert.False(access.Allows("Bearer " + token[..^1]));
        Assert.True(access.Allows("bearer  " + token + " "));
    }

    [Fact]
    public void AnOperatorsToken_IsUsed_AndItsFileMadeOwnerOnly()
    {
        const string Shared = "one-token-for-every-replica-0123456789";
        File.WriteAllText(TokenPath, Shared + "\n");
        File.SetUnixFileMode(TokenPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var access = MetricsAccess.LoadOrCreate(_dir.FullName, out var created);

        Assert.False(created);
        Assert.True(access.Allows("Bearer " + Shared));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(TokenPath));
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("has a space in it but is long enough to pass")]
    public void AWeakOrGarbledTokenFile_StopsTheStart_NamingTheFix(string content)
    {
        File.WriteAllText(TokenPath, content);

        var ex = Assert.Throws<InvalidOperationException>(() => MetricsAccess.LoadOrCreate(_dir.FullName, out _));

        Assert.Contains(TokenPath, ex.Message, StringComparison.Ordinal);
        Assert.Contains("delete it", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("192.0.2.7", false)]
    [InlineData("2001:db8::7", false)]
    [InlineData("::ffff:192.0.2.7", false)]
    public void WithoutAToken_OnlyLoopbackIsServed(string remote, bool allowed)
    {
        var access = MetricsAccess.LoadOrCreate(_dir.FullName, out _);
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);

        Assert.Equal(allowed, access.Allows(context));

        context.Request.Headers.Authorization = "Bearer " + File.ReadAllText(TokenPath).Trim();
        Assert.True(access.Allows(context));
    }
}
