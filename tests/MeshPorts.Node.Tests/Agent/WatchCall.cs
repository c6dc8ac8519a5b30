using System.Threading.Channels;
using MeshPorts.Contracts.Node;

namespace MeshPorts.Node.Tests.Agent;

/// <summary>One Watch stream of <see cref="FakeCoordinatorLink"/>: write events to it, or complete it (with an error to break it).</summary>
internal sealed record WatchCall(ulong ResumeFrom, ChannelWriter<WatchEvent> Events)
{
    public void Send(WatchEvent watchEvent) => Assert.True(Events.TryWrite(watchEvent), "the Watch stream is already closed");

    public void Break(Exception error) => Assert.True(Events.TryComplete(error), "the Watch stream is already closed");
}
