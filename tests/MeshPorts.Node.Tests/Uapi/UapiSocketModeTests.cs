using System.Runtime.Versioning;
using MeshPorts.Node.Uapi;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Tests.Uapi;

/// <summary>
/// The UAPI socket configures the interface: it must be owner-only from the moment it can be found at its
/// path, not tightened a moment after bind while a local user could already connect.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class UapiSocketModeTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly string _directory = Directory.CreateTempSubdirectory("mput-mode-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Start_SocketIsOwnerOnlyWhenItFirstAppearsAtItsPath()
    {
        var path = Path.Combine(_directory, "wireguard", "mput1.sock");
        var seenAtBind = new List<UnixFileMode?>();
        var server = new UapiServer(path, new FakeUapiDevice(), NullLogger.Instance)
        {
            AfterBind = () => seenAtBind.Add(File.Exists(path) ? File.GetUnixFileMode(path) : null),
        };
        await using (server)
        {
            server.Start();

            var atBind = Assert.Single(seenAtBind);
            Assert.True(atBind is null or OwnerOnly, $"right after bind the socket at its path had mode {atBind}, wider than owner-only");
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
            Assert.Equal([Path.GetFileName(path)], Directory.GetFileSystemEntries(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
        }
    }
}
