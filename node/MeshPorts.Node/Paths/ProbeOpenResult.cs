namespace MeshPorts.Node.Paths;

internal enum ProbeOpenResult
{
    Ok,

    /// <summary>The tag did not verify under the key tried.</summary>
    BadTag,

    /// <summary>Authentic, but not a probe this version sends (unknown kind, non-zero padding, a pong without an address).</summary>
    Malformed,
}
