namespace MeshPorts.Node.Agent;

/// <summary>What <see cref="MeshView.Apply"/> made of one Watch event.</summary>
internal enum WatchApplyOutcome
{
    /// <summary>State changed: apply it to the device and ack the serial.</summary>
    Applied,

    /// <summary>A heartbeat, rotation signal or repeated serial: nothing to apply.</summary>
    NoChange,

    /// <summary>A delta that does not follow the last serial: resynchronise with a fresh snapshot.</summary>
    Gap,
}
