using MeshPorts.Node.Cli;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace MeshPorts.Node.Tests.Cli;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UpWithoutJoinTests
{
    [Fact]
    public async Task Up_WithoutJoinOrEnrollment_FailsAndCreatesNothing()
    {
        var parent = Directory.CreateTempSubdirectory("mp-nojoin-");
        try
        {
            var state = Path.Combine(parent.FullName, "state");

            var code = await UpCommand.RunAsync(["--state", state, "--ifname", "mpnojoin0"], NullLoggerFactory.Instance);

            Assert.Equal(ExitCodes.Failed, code);
            Assert.False(Directory.Exists(state), "a refused up must not leave an empty state directory");
        }
        finally
        {
            parent.Delete(recursive: true);
        }
    }
}
