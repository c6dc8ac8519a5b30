using System.Net;

namespace MeshPorts.Node.Names;

/// <summary>
/// The host's resolvers, from resolv.conf's <c>nameserver</c> lines, less this node's own addresses (a host
/// whose resolv.conf points at the node would otherwise send a query round in circles). Re-read when the
/// file changes, so a DHCP renewal or a resolved restart is followed. Thread-safe.
/// </summary>
internal sealed class HostResolvers
{
    public const string DefaultPath = "/etc/resolv.conf";

    /// <summary>resolv.conf(5): the resolver is port 53; the file cannot name another.</summary>
    private const int DnsPort = 53;

    private readonly string _path;
    private readonly IReadOnlyList<IPAddress> _own;
    private readonly Lock _lock = new();
    private DateTime _readAt = DateTime.MinValue;
    private IReadOnlyList<IPEndPoint> _servers = [];

    public HostResolvers(IReadOnlyList<IPAddress> ownAddresses, string path = DefaultPath)
    {
        ArgumentNullException.ThrowIfNull(ownAddresses);
        _own = ownAddresses;
        _path = path;
    }

    public IReadOnlyList<IPEndPoint> Current()
    {
        DateTime written;
        try
        {
            written = File.GetLastWriteTimeUtc(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }

        lock (_lock)
        {
            if (written != _readAt)
            {
                try
                {
                    _servers = Parse(File.ReadAllLines(_path), _own);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    _servers = [];
                }

                _readAt = written;
            }

            return _servers;
        }
    }

    /// <summary>The nameserver lines' addresses in order, without <paramref name="own"/> and duplicates.</summary>
    public static IReadOnlyList<IPEndPoint> Parse(IEnumerable<string> lines, IReadOnlyList<IPAddress> own)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(own);
        var servers = new List<IPEndPoint>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (!line.StartsWith("nameserver", StringComparison.Ordinal))
            {
                continue;
            }

            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[0] != "nameserver" || !IPAddress.TryParse(fields[1], out var address))
            {
                continue;
            }

            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            if (own.Contains(address) || servers.Any(s => s.Address.Equals(address)))
            {
                continue;
            }

            servers.Add(new IPEndPoint(address, DnsPort));
        }

        return servers;
    }
}
