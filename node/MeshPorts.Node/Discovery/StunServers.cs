using System.Net;
using System.Net.Sockets;
using MeshPorts.Node.Cli;
using MeshPorts.Node.Daemon;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Discovery;

/// <summary>
/// Turns the STUN servers' HOST:PORT into addresses, again every round (a name may move). A name that
/// does not resolve is logged once until it resolves again, and skipped meanwhile.
/// </summary>
internal sealed class StunServers(Func<string, CancellationToken, Task<IPAddress[]>> resolve, ILogger logger)
{
    /// <summary>Servers asked per round at most: each costs one outstanding request and up to 3 datagrams.</summary>
    public const int MaxAddresses = 16;

    private readonly HashSet<string> _unresolved = new(StringComparer.Ordinal);
    private readonly HashSet<string> _malformed = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<IPEndPoint>> ResolveAsync(IEnumerable<string> servers, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var result = new List<IPEndPoint>();
        foreach (var server in servers.Distinct(StringComparer.Ordinal))
        {
            if (!HostPort.IsValid(server))
            {
                // Only a relay's udp_endpoint can get here (the CLI checks --stun): the coordinator sent it.
                if (_malformed.Add(server))
                {
                    DiscoveryLog.BadRelayEndpoint(logger, server);
                }

                continue;
            }

            var (host, port) = AdvertisedEndpoints.SplitHostPort(server);
            try
            {
                result.AddRange(await AdvertisedEndpoints.ResolveHostAsync(host, port, resolve, cancellation).ConfigureAwait(false));
                _unresolved.Remove(server);
            }
            catch (SocketException ex)
            {
                if (_unresolved.Add(server))
                {
                    DiscoveryLog.ServerUnresolved(logger, server, ex.SocketErrorCode.ToString());
                }
            }
        }

        return result.Distinct().Take(MaxAddresses).ToList();
    }
}
