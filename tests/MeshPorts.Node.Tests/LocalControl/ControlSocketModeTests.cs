using System.Runtime.Versioning;
using MeshPorts.Node.LocalControl;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshPorts.Node.Tests.LocalControl;

/// <summary>The control socket stops the daemon: it must be 0600 from the moment it can be found at its path.</summary>
[SupportedOSPlatform("linux")]
public sealed class ControlSocketModeTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _root = Directory.CreateTempSubdirectory("meshports-control-mode-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Start_SocketIs0600WhenItFirstAppearsAtItsPath()
    {
        var directory = Path.Combine(_root, "run");
        var path = ControlServer.PathFor("mp0", directory);
        var seenAtBind = new List<UnixFileMode?>();
        var server = new ControlServer(path, () => "{}", () => { }, NullLogger.Instance)
        {
            AfterBind = () => seenAtBind.Add(File.Exists(path) ? File.GetUnixFileMode(path) : null),
        };
        await using (server)
        {
            server.Start();

            var atBind = Assert.Single(seenAtBind);
            Assert.True(atBind is null or OwnerReadWrite, $"right after bind the socket at its path had mode {atBind}, wider than 0600");
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
            Assert.Equal(["mp0.sock"], Directory.GetFileSystemEntries(directory).Select(Path.GetFileName));
        }
    }
}
