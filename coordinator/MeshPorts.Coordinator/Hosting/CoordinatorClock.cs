namespace MeshPorts.Coordinator.Hosting;

/// <summary>
/// The coordinator's clock, wrapped so it is not registered as the container's TimeProvider: a fake
/// clock in tests must drive expiry and heartbeats, not Kestrel's own timeouts.
/// </summary>
internal sealed record CoordinatorClock(TimeProvider Time);
