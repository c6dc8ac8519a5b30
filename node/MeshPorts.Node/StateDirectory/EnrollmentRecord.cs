using MeshPorts.Contracts.Node;

namespace MeshPorts.Node.StateDirectory;

/// <summary>
/// node.json: what the coordinator told the node at Enroll. No secrets (the join secret is never stored; keys
/// live in their own files). After a crash between Enroll and saving this file, the node recovers with only
/// the coordinator URL and pin known (<see cref="IsComplete"/> false); the daemon completes it from the first
/// Watch snapshot with <see cref="CompleteFrom"/>.
/// </summary>
internal sealed record EnrollmentRecord
{
    /// <summary>The primary coordinator URL; kept beside <see cref="CoordinatorUrls"/> so an older node binary still reads the file.</summary>
    public required string CoordinatorUrl { get; init; }

    /// <summary>
    /// Every replica the node joined with, primary first (the join string's list). Null in files written before
    /// replicas, or with one URL: then <see cref="CoordinatorUrl"/> alone.
    /// </summary>
    public IReadOnlyList<string>? CoordinatorUrls { get; init; }

    public required string Pin { get; init; }

    public string? NodeId { get; init; }

    public string? Name { get; init; }

    public string? OverlayIpv4 { get; init; }

    public string? OverlayIpv6 { get; init; }

    public string? OverlayPrefixIpv4 { get; init; }

    public string? OverlayPrefixIpv6 { get; init; }

    public DateTimeOffset? KeyExpiresAt { get; init; }

    /// <summary>Lifetime of every new WireGuard key; null after a recovery (SelfInfo does not carry it).</summary>
    public long? KeyLifetimeSeconds { get; init; }

    public string? User { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>True when the node knows its id, name and addresses; false only after a crash-recovery enrollment.</summary>
    public bool IsComplete => NodeId is not null && Name is not null && OverlayIpv4 is not null && OverlayIpv6 is not null;

    /// <summary>The replicas to talk to, primary first: <see cref="CoordinatorUrls"/>, else <see cref="CoordinatorUrl"/> alone.</summary>
    public IReadOnlyList<Uri> Urls() =>
        CoordinatorUrls is { Count: > 0 } list ? [.. list.Select(u => new Uri(u))] : [new Uri(CoordinatorUrl)];

    /// <summary>What is known before Enroll answers (and all a crash-recovery record has): the URLs and the pin.</summary>
    public static EnrollmentRecord ForCoordinator(IReadOnlyList<Uri> coordinatorUrls, string pin)
    {
        ArgumentNullException.ThrowIfNull(coordinatorUrls);
        return new EnrollmentRecord
        {
            CoordinatorUrl = coordinatorUrls[0].GetLeftPart(UriPartial.Authority),
            CoordinatorUrls = coordinatorUrls.Count > 1 ? [.. coordinatorUrls.Select(u => u.GetLeftPart(UriPartial.Authority))] : null,
            Pin = pin,
        };
    }

    public static EnrollmentRecord FromResponse(Uri coordinatorUrl, string pin, EnrollResponse response) =>
        FromResponse([coordinatorUrl], pin, response);

    public static EnrollmentRecord FromResponse(IReadOnlyList<Uri> coordinatorUrls, string pin, EnrollResponse response)
    {
        ArgumentNullException.ThrowIfNull(coordinatorUrls);
        ArgumentNullException.ThrowIfNull(response);
        return ForCoordinator(coordinatorUrls, pin) with
        {
            NodeId = response.NodeId,
            Name = response.Name,
            OverlayIpv4 = response.OverlayIpv4,
            OverlayIpv6 = response.OverlayIpv6,
            OverlayPrefixIpv4 = response.OverlayPrefixIpv4,
            OverlayPrefixIpv6 = response.OverlayPrefixIpv6,
            KeyExpiresAt = response.KeyExpiresAt?.ToDateTimeOffset(),
            KeyLifetimeSeconds = response.KeyLifetimeSeconds,
            User = response.User,
            Tags = [.. response.Tags],
        };
    }

    /// <summary>
    /// Fills what a Watch snapshot's SelfInfo knows. The overlay prefixes are not in SelfInfo, so when they are
    /// unknown they are derived: the IPv6 prefix is the node address's /48 (the coordinator's ULA /48 + n), the
    /// IPv4 prefix the product default 100.64.0.0/10 when the address lies in it, else the address's /32.
    /// KeyLifetimeSeconds stays as it was (null after recovery): take it from the next RotateKey answer
    /// (key_expires_at - now) or assume the 1 h default.
    /// </summary>
    public EnrollmentRecord CompleteFrom(SelfInfo self)
    {
        ArgumentNullException.ThrowIfNull(self);
        return this with
        {
            NodeId = self.NodeId,
            Name = self.Name,
            User = self.User,
            Tags = [.. self.Tags],
            OverlayIpv4 = self.OverlayIpv4,
            OverlayIpv6 = self.OverlayIpv6,
            KeyExpiresAt = self.KeyExpiresAt?.ToDateTimeOffset() ?? KeyExpiresAt,
            OverlayPrefixIpv4 = OverlayPrefixIpv4 ?? OverlayPrefixes.DefaultIpv4For(self.OverlayIpv4),
            OverlayPrefixIpv6 = OverlayPrefixIpv6 ?? OverlayPrefixes.Ipv6For(self.OverlayIpv6),
        };
    }
}
