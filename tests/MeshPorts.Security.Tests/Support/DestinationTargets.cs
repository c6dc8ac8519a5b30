using System.Text.Json;
using MeshPorts.Integration.Tests.Harness;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// What a host like db can reach besides its overlay address, each with a listener on the granted
/// port: a bridge like docker0, its LAN address, and a network behind it that it routes to
/// (a veth into a namespace of its own, with IPv4 forwarding on in db's namespace).
/// </summary>
internal sealed class DestinationTargets : IAsyncDisposable
{
    public const string Bridge = "172.31.255.1";
    public const string BehindGateway = "10.77.0.1";
    public const string Behind = "10.77.0.2";

    private DestinationTargets(NetNs behindNamespace, MeshHost behindHost)
    {
        BehindNamespace = behindNamespace;
        BehindHost = behindHost;
    }

    public NetNs BehindNamespace { get; }

    public MeshHost BehindHost { get; }

    public static async Task<DestinationTargets> CreateAsync(MeshNetwork network, MeshHost db, int port, CancellationToken ct)
    {
        await db.Namespace.IpAsync(ct, "link", "add", "dock0", "type", "bridge");
        await db.Namespace.IpAsync(ct, "addr", "add", Bridge + "/32", "dev", "dock0");
        await db.Namespace.IpAsync(ct, "link", "set", "dock0", "up");
        await EchoServer.StartAsync(network, db, port, ct, bindAddress: Bridge);
        await EchoServer.StartAsync(network, db, port, ct, bindAddress: db.Underlay);

        var behind = await NetNs.CreateAsync("behind", ct);
        var targets = new DestinationTargets(behind, new MeshHost("behind", behind, Behind));
        try
        {
            await Command.RunCheckedAsync(["ip", "link", "add", "eth1", "netns", db.Namespace.Name, "type", "veth", "peer", "eth0", "netns", behind.Name], ct);
            await db.Namespace.IpAsync(ct, "addr", "add", BehindGateway + "/24", "dev", "eth1");
            await db.Namespace.IpAsync(ct, "link", "set", "eth1", "up");
            await behind.IpAsync(ct, "addr", "add", Behind + "/24", "dev", "eth0");
            await behind.IpAsync(ct, "link", "set", "eth0", "up");
            await behind.IpAsync(ct, "route", "add", "default", "via", BehindGateway);

            // Like docker does after boot. Setting the global switch also turns forwarding back on for
            // every interface, the mesh one included: the filter's destination check must hold alone.
            await db.Namespace.ExecCheckedAsync(["sysctl", "-w", "net.ipv4.ip_forward=1"], ct);
            await EchoServer.StartAsync(network, targets.BehindHost, port, ct, bindAddress: "0.0.0.0");
            return targets;
        }
        catch
        {
            await targets.DisposeAsync();
            throw;
        }
    }

    /// <summary>The node's <c>drops.notForThisNode</c> from <c>status --json</c>.</summary>
    public static long NotForThisNode(NodeStatus status) => Drop(status, "notForThisNode");

    /// <summary>One counter of the <c>drops</c> object of <c>status --json</c>.</summary>
    public static long Drop(NodeStatus status, string reason)
    {
        using var json = JsonDocument.Parse(status.Json);
        return json.RootElement.TryGetProperty("drops", out var drops) && drops.TryGetProperty(reason, out var count)
            ? count.GetInt64()
            : throw new InvalidOperationException($"status --json has no drops.{reason}:\n{status.Json}");
    }

    public ValueTask DisposeAsync() => BehindNamespace.DisposeAsync();
}
