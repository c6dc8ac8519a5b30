namespace MeshPorts.Coordinator.Storage;

/// <summary>Values decided once per coordinator (e.g. the ULA prefix).</summary>
internal interface ISettingsStore
{
    Task<string?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores the value unless the key exists; returns the value that is now stored.</summary>
    Task<string> GetOrAddAsync(string key, string value, CancellationToken cancellationToken);

    /// <summary>Atomically adds one to the integer setting (absent: 0) and returns the new value; unique across writers.</summary>
    Task<long> IncrementAsync(string key, CancellationToken cancellationToken);
}
