using System.Collections.Concurrent;
using System.Net;
using MeshPorts.Node.Agent;
using MeshPorts.Node.Filter;
using MeshPorts.TestKit;
using MeshPorts.WireGuard.Keys;
using Microsoft.Extensions.Logging.Abstractions;
using MeshDevice = MeshPorts.Node.Device.Device;

namespace MeshPorts.Node.Tests.Agent;

/// <summary>A mesh agent driving a real (unstarted) device with a filter, against a fake coordinator.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    public static readonly AgentOptions Fast = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        OutageMaxBackoff = TimeSpan.FromMilliseconds(100),
        DeniedReportInterval = TimeSpan.FromMilliseconds(50),
        RotationRetry = TimeSpan.FromMilliseconds(50),
    };

    private readonly CancellationTokenSource _stop = new();
    private Task? _run;

    public AgentHarness(AgentOptions? options = null, WgKey? nextKey = null, DateTimeOffset? keyExpiresAt = null)
    {
        Tun = new MemoryTun("agent0");
        Filter = new PacketFilter(TimeProvider.System, [IPAddress.Parse("100.64.0.1")]);
        Device = new MeshDevice(Tun, new MemoryNetwork().Host("192.0.2.9"), TimeProvider.System, NullLogger.Instance, filter: Filter);
        CurrentKey = WgKey.GeneratePrivate();
        Device.Configure(CurrentKey, 51820);
        Link = new FakeCoordinatorLink(Log);
        Store = new FakeKeyStore(Log);
        Agent = new MeshAgent(
            Device,
            Link,
            Store,
            CurrentKey,
            nextKey,
            keyExpiresAt ?? DateTimeOffset.UtcNow.AddHours(1),
            TimeSpan.FromHours(1),
            options ?? Fast,
            TimeProvider.System,
            NullLogger.Instance);
    }

    public ConcurrentQueue<string> Log { get; } = new();

    public MemoryTun Tun { get; }

    public PacketFilter Filter { get; }

    public MeshDevice Device { get; }

    public WgKey CurrentKey { get; }

    public WgKey CurrentPublic => CurrentKey.PublicFromPrivate();

    public FakeCoordinatorLink Link { get; }

    public FakeKeyStore Store { get; }

    public MeshAgent Agent { get; }

    public Task Run => _run ?? throw new InvalidOperationException("Start the agent first.");

    public void Start() => _run = Agent.RunAsync(_stop.Token);

    /// <summary>Polls the log (the agent gives no event to await) for an entry.</summary>
    public void WaitForLog(string entry)
    {
        var deadline = DateTime.UtcNow + FakeCoordinatorLink.Wait;
        while (!Log.Contains(entry))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"'{entry}' did not happen within {FakeCoordinatorLink.Wait.TotalSeconds:0} s; log: {string.Join(", ", Log)}");
            }

            Thread.Sleep(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run.WaitAsync(FakeCoordinatorLink.Wait);
            }
            catch (Exception ex) when (ex is OperationCanceledException or AgentFatalException)
            {
                // How a cancelled or fatally stopped agent ends; the tests that care assert it themselves.
            }
        }

        Agent.Dispose();
        Device.Dispose();
        _stop.Dispose();
    }
}
