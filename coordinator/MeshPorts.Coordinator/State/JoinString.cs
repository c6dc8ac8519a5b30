using Shared = MeshPorts.Contracts.Join.JoinString;

namespace MeshPorts.Coordinator.State;

/// <summary>
/// The coordinator's view of the join string format, which lives in Contracts so the node parses exactly what
/// the coordinator writes.
/// </summary>
internal static class JoinString
{
    public const string Prefix = Shared.Prefix;

    public static string Encode(Uri url, string pin, string secret) => Shared.Encode(url, pin, secret);

    /// <summary>Decodes a join string; the error names what is wrong with it.</summary>
    public static bool TryDecode(string? text, out Uri? url, out string pin, out string secret, out string error)
    {
        if (Shared.TryDecode(text, out var join, out error))
        {
            (url, pin, secret) = (join.Url, join.Pin, join.Secret);
            return true;
        }

        (url, pin, secret) = (null, "", "");
        return false;
    }
}
