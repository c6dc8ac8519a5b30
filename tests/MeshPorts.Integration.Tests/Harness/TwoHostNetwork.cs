namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// Two namespaces joined by a veth pair: the "underlay" two hosts would share. Addresses come from
/// 198.18.0.0/15 (RFC 2544 benchmarking), so nothing collides with networks the machine is on.
/// </summary>
internal sealed class TwoHostNetwork : IAsyncDisposable
{
    public const string LeftUnderlay = "198.18.0.1";
    public const string RightUnderlay = "198.18.0.2";
    public const int UnderlayPrefixLength = 24;

    private TwoHostNetwork(NetNs left, NetNs right, string leftLink, string rightLink)
    {
        Left = left;
        Right = right;
        LeftLink = leftLink;
        RightLink = rightLink;
    }

    public NetNs Left { get; }

    public NetNs Right { get; }

    /// <summary>The veth end inside <see cref="Left"/>.</summary>
    public string LeftLink { get; }

    /// <summary>The veth end inside <see cref="Right"/>.</summary>
    public string RightLink { get; }

    public static async Task<TwoHostNetwork> CreateAsync(CancellationToken ct)
    {
        Prerequisites.Require();
        await NetNsSweeper.EnsureSweptAsync();
        var left = await NetNs.CreateAsync("a", ct);
        NetNs? right = null;
        try
        {
            right = await NetNs.CreateAsync("b", ct);
            var network = new TwoHostNetwork(left, right, "mpitv" + UniqueNames.Interface()[4..8] + "a", "mpitv" + UniqueNames.Interface()[4..8] + "b");

            // Created directly inside the namespaces, so no name ever appears in the host namespace.
            await Command.RunCheckedAsync(
                ["ip", "link", "add", network.LeftLink, "netns", left.Name, "type", "veth", "peer", network.RightLink, "netns", right.Name], ct);
            await left.IpAsync(ct, "addr", "add", $"{LeftUnderlay}/{UnderlayPrefixLength}", "dev", network.LeftLink);
            await right.IpAsync(ct, "addr", "add", $"{RightUnderlay}/{UnderlayPrefixLength}", "dev", network.RightLink);
            await left.IpAsync(ct, "link", "set", network.LeftLink, "up");
            await right.IpAsync(ct, "link", "set", network.RightLink, "up");
            return network;
        }
        catch
        {
            await left.DisposeAsync();
            if (right is not null)
            {
                await right.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Left.DisposeAsync();
        await Right.DisposeAsync();
    }
}
