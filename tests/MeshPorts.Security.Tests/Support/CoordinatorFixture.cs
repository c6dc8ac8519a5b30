namespace MeshPorts.Security.Tests.Support;

/// <summary>One loopback coordinator shared by a test class whose attacks leave it as they found it.</summary>
public sealed class CoordinatorFixture : IAsyncLifetime
{
    private LoopbackCoordinator? _coordinator;

    internal LoopbackCoordinator Coordinator => _coordinator ?? throw new InvalidOperationException("the fixture was not started");

    public async Task InitializeAsync() => _coordinator = await LoopbackCoordinator.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (_coordinator is not null)
        {
            await _coordinator.DisposeAsync();
        }
    }
}
