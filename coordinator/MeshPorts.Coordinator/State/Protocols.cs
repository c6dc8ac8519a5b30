namespace MeshPorts.Coordinator.State;

/// <summary>The two transport protocols a port can be exposed on, spelled as in meshctl.</summary>
internal static class Protocols
{
    public const string Tcp = "tcp";
    public const string Udp = "udp";

    public static string Normalize(string? protocol) => protocol?.Trim().ToLowerInvariant() switch
    {
        "tcp" => Tcp,
        "udp" => Udp,
        _ => throw new StateException(StateError.InvalidArgument, $"protocol '{protocol}' must be tcp or udp"),
    };

    public static void CheckPort(int port)
    {
        if (port is < 1 or > 65535)
        {
            throw new StateException(StateError.InvalidArgument, FormattableString.Invariant($"port {port} must be 1-65535"));
        }
    }
}
