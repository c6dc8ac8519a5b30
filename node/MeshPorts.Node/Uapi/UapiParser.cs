using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshPorts.Node.Routing;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Uapi;

/// <summary>
/// Validates the key=value lines of a "set=1" request (https://www.wireguard.com/xplatform/) into a
/// <see cref="UapiSetRequest"/>. Unlike wireguard-go, which applies each line as it reads it, nothing
/// is produced unless every line is valid, so a bad line anywhere changes nothing.
/// Error codes follow wireguard-go: EPROTO for a line without '=', EINVAL for a bad value or a key
/// that is unknown or not valid where it appears (a peer key before any public_key, or a device key
/// after one). Error messages name the key, never the value, because values may be keys.
/// </summary>
internal static class UapiParser
{
    /// <summary>
    /// Parses a set body: the lines after "set=1\n", separated by '\n'. Parsing stops at the first
    /// empty line (the request terminator) or at the end of <paramref name="body"/>.
    /// </summary>
    public static bool TryParseSet(string body, [NotNullWhen(true)] out UapiSetRequest? request, out int errno, out string? error)
    {
        ArgumentNullException.ThrowIfNull(body);
        var lines = new List<string>();
        foreach (var range in body.AsSpan().Split('\n'))
        {
            var line = body[range];
            if (line.Length == 0)
            {
                break;
            }

            lines.Add(line);
        }

        return TryParseSet(lines, out request, out errno, out error);
    }

    /// <summary>Parses set lines (without their '\n'); an empty line ends the request.</summary>
    public static bool TryParseSet(IReadOnlyList<string> lines, [NotNullWhen(true)] out UapiSetRequest? request, out int errno, out string? error)
    {
        ArgumentNullException.ThrowIfNull(lines);
        request = null;
        var result = new UapiSetRequest();
        UapiPeerUpdate? peer = null;
        foreach (var line in lines)
        {
            if (line.Length == 0)
            {
                break;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                return Fail(UapiErrno.Protocol, "a line is not key=value", out errno, out error);
            }

            var key = line[..eq];
            var value = line[(eq + 1)..];
            if (key == "public_key")
            {
                if (!WgKey.TryParseHex(value, out var publicKey))
                {
                    return Fail(UapiErrno.Invalid, "invalid public_key", out errno, out error);
                }

                peer = new UapiPeerUpdate(publicKey);
                result.Peers.Add(peer);
                continue;
            }

            error = peer is null ? ParseDeviceLine(result, key, value) : ParsePeerLine(peer, key, value);
            if (error is not null)
            {
                errno = UapiErrno.Invalid;
                return false;
            }
        }

        request = result;
        errno = UapiErrno.Ok;
        error = null;
        return true;
    }

    private static string? ParseDeviceLine(UapiSetRequest request, string key, string value)
    {
        switch (key)
        {
            case "private_key":
                if (!WgKey.TryParseHex(value, out var privateKey))
                {
                    return "invalid private_key";
                }

                request.PrivateKey = privateKey;
                return null;

            case "listen_port":
                if (!TryParseUnsigned(value, ushort.MaxValue, out var port))
                {
                    return "invalid listen_port";
                }

                request.ListenPort = (ushort)port;
                return null;

            case "fwmark":
                if (!TryParseUnsigned(value, uint.MaxValue, out var mark))
                {
                    return "invalid fwmark";
                }

                request.Fwmark = (uint)mark;
                return null;

            case "replace_peers":
                if (value != "true")
                {
                    return "invalid replace_peers (only \"true\")";
                }

                request.ReplacePeers = true;
                return null;

            default:
                return $"invalid UAPI device key '{Printable(key)}'";
        }
    }

    private static string? ParsePeerLine(UapiPeerUpdate peer, string key, string value)
    {
        switch (key)
        {
            case "update_only":
                if (value != "true")
                {
                    return "invalid update_only (only \"true\")";
                }

                peer.UpdateOnly = true;
                return null;

            case "remove":
                if (value != "true")
                {
                    return "invalid remove (only \"true\")";
                }

                peer.Remove = true;
                return null;

            case "preshared_key":
                if (!WgKey.TryParseHex(value, out var psk))
                {
                    return "invalid preshared_key";
                }

                peer.PresharedKey = psk;
                return null;

            case "endpoint":
                if (!TryParseEndpoint(value, out var endpoint))
                {
                    return "invalid endpoint";
                }

                peer.Endpoint = endpoint;
                return null;

            case "persistent_keepalive_interval":
                if (!TryParseUnsigned(value, ushort.MaxValue, out var seconds))
                {
                    return "invalid persistent_keepalive_interval";
                }

                peer.PersistentKeepaliveInterval = (ushort)seconds;
                return null;

            case "replace_allowed_ips":
                if (value != "true")
                {
                    return "invalid replace_allowed_ips (only \"true\")";
                }

                // Lines before this one were added and then cleared in wireguard-go; dropping them
                // here gives the same end state with "clear, then add" semantics.
                peer.ReplaceAllowedIps = true;
                peer.AllowedIps.Clear();
                return null;

            case "allowed_ip":
                if (!IpPrefix.TryParse(value, out var prefix))
                {
                    return "invalid allowed_ip";
                }

                peer.AllowedIps.Add(prefix);
                return null;

            case "protocol_version":
                return value == "1" ? null : "unsupported protocol_version (only 1)";

            default:
                return $"invalid UAPI peer key '{Printable(key)}'";
        }
    }

    /// <summary>Decimal digits only (no sign, space or hex), as Go's strconv.ParseUint(value, 10, bits).</summary>
    internal static bool TryParseUnsigned(string value, ulong max, out ulong result) =>
        ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result) && result <= max;

    /// <summary>
    /// "a.b.c.d:port" or "[v6addr]:port" / "[v6addr%scope]:port", the numeric forms wg sends after
    /// resolving names itself. A scope may be a number or an interface name of this host.
    /// </summary>
    internal static bool TryParseEndpoint(string value, out PeerEndpoint endpoint)
    {
        endpoint = default;
        Span<byte> bytes = stackalloc byte[16];
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= value.Length || value[close + 1] != ':' ||
                !TryParseUnsigned(value[(close + 2)..], ushort.MaxValue, out var port6))
            {
                return false;
            }

            var host = value.AsSpan(1, close - 1);
            var percent = host.IndexOf('%');
            var addressText = percent < 0 ? host : host[..percent];
            if (!addressText.Contains(':') || !IPAddress.TryParse(addressText, out var address) ||
                address.AddressFamily != AddressFamily.InterNetworkV6 || !address.TryWriteBytes(bytes, out _))
            {
                return false;
            }

            uint scope = 0;
            if (percent >= 0 && !TryParseScope(host[(percent + 1)..].ToString(), out scope))
            {
                return false;
            }

            endpoint = new PeerEndpoint(bytes, (ushort)port6, scope);
            return true;
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !TryParseUnsigned(value[(colon + 1)..], ushort.MaxValue, out var port4))
        {
            return false;
        }

        // Stored v4-mapped, as PeerEndpoint keeps every address.
        bytes[..10].Clear();
        bytes[10] = 0xff;
        bytes[11] = 0xff;
        if (!IpPrefix.TryParseDottedQuad(value.AsSpan(0, colon), bytes[12..]))
        {
            return false;
        }

        endpoint = new PeerEndpoint(bytes, (ushort)port4);
        return true;
    }

    private static bool TryParseScope(string scope, out uint index)
    {
        index = 0;
        if (scope.Length == 0)
        {
            return false;
        }

        if (uint.TryParse(scope, NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            return true;
        }

        // An interface name: let the runtime resolve it (if_nametoindex) through a link-local parse.
        if (scope.Length > 15 || !IPAddress.TryParse("fe80::1%" + scope, out var probe) || probe.ScopeId == 0)
        {
            return false;
        }

        index = (uint)probe.ScopeId;
        return true;
    }

    // Keys are echoed into error messages and logs; keep that harmless and short.
    private static string Printable(string key)
    {
        if (key.Length > 40)
        {
            key = key[..40];
        }

        return string.Create(key.Length, key, static (span, k) =>
        {
            for (var i = 0; i < k.Length; i++)
            {
                span[i] = k[i] is >= ' ' and <= '~' ? k[i] : '?';
            }
        });
    }

    private static bool Fail(int code, string message, out int errno, out string? error)
    {
        errno = code;
        error = message;
        return false;
    }
}
