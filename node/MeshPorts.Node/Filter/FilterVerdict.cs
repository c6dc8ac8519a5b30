namespace MeshPorts.Node.Filter;

/// <summary>
/// What to do with one packet. On <see cref="FilterAction.Cut"/> the filter has written TCP resets into
/// the caller's buffers: the first <see cref="TunResetLength"/> bytes of the TUN buffer go to the local
/// TUN, the first <see cref="PeerResetLength"/> bytes of the peer buffer are encrypted to the peer.
/// </summary>
internal readonly struct FilterVerdict : IEquatable<FilterVerdict>
{
    private FilterVerdict(FilterAction action, FilterReason reason, int tunResetLength, int peerResetLength)
    {
        Action = action;
        Reason = reason;
        TunResetLength = tunResetLength;
        PeerResetLength = peerResetLength;
    }

    public static FilterVerdict Allowed => default;

    public FilterAction Action { get; }

    public FilterReason Reason { get; }

    /// <summary>Bytes of reset packet written for the local TUN; 0 for none.</summary>
    public int TunResetLength { get; }

    /// <summary>Bytes of reset packet written for the peer; 0 for none.</summary>
    public int PeerResetLength { get; }

    public bool IsAllowed => Action == FilterAction.Allow;

    public static FilterVerdict Drop(FilterReason reason) => new(FilterAction.Drop, reason, 0, 0);

    public static FilterVerdict Cut(FilterReason reason, int tunResetLength, int peerResetLength) =>
        new(FilterAction.Cut, reason, tunResetLength, peerResetLength);

    public bool Equals(FilterVerdict other) =>
        Action == other.Action && Reason == other.Reason && TunResetLength == other.TunResetLength && PeerResetLength == other.PeerResetLength;

    public override bool Equals(object? obj) => obj is FilterVerdict other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Action, Reason, TunResetLength, PeerResetLength);

    public static bool operator ==(FilterVerdict left, FilterVerdict right) => left.Equals(right);

    public static bool operator !=(FilterVerdict left, FilterVerdict right) => !left.Equals(right);

    public override string ToString() => Action == FilterAction.Allow ? "Allow" : $"{Action}({Reason})";
}
