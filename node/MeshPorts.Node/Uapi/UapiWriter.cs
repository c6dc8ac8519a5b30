using System.Buffers;
using System.Globalization;
using System.Text;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Uapi;

/// <summary>
/// Writes "get=1" replies and status lines exactly as wireguard-go does (device/uapi.go): device
/// fields only when set, then per peer public_key, preshared_key (always, zero when none),
/// protocol_version=1, endpoint (when known), last_handshake_time_sec/nsec, tx_bytes, rx_bytes,
/// persistent_keepalive_interval and one allowed_ip line per prefix; then "errno=0" and a blank line.
/// </summary>
internal static class UapiWriter
{
    /// <summary>
    /// Writes the full reply to a get request, including the final "errno=0\n\n". Key material is
    /// hex-encoded straight into <paramref name="output"/>; clear it (ArrayBufferWriter.Clear) when sent.
    /// </summary>
    public static void WriteGetResponse(UapiDeviceSnapshot snapshot, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(output);
        if (snapshot.PrivateKey is { IsZero: false } privateKey)
        {
            WriteKey(output, "private_key", privateKey);
        }

        if (snapshot.ListenPort != 0)
        {
            WriteLine(output, "listen_port", snapshot.ListenPort);
        }

        if (snapshot.Fwmark != 0)
        {
            WriteLine(output, "fwmark", snapshot.Fwmark);
        }

        foreach (var peer in snapshot.Peers)
        {
            WriteKey(output, "public_key", peer.PublicKey);
            WriteKey(output, "preshared_key", peer.PresharedKey);
            WriteAscii(output, "protocol_version=1\n");
            if (peer.Endpoint.IsSet)
            {
                WriteAscii(output, "endpoint=");
                WriteAscii(output, peer.Endpoint.ToString());
                WriteAscii(output, "\n");
            }

            var (seconds, nanoseconds) = UnixTime(peer.LastHandshake);
            WriteLine(output, "last_handshake_time_sec", seconds);
            WriteLine(output, "last_handshake_time_nsec", nanoseconds);
            WriteLine(output, "tx_bytes", peer.TxBytes);
            WriteLine(output, "rx_bytes", peer.RxBytes);
            WriteLine(output, "persistent_keepalive_interval", peer.PersistentKeepaliveInterval);
            foreach (var prefix in peer.AllowedIps)
            {
                WriteAscii(output, "allowed_ip=");
                WriteAscii(output, prefix.ToString());
                WriteAscii(output, "\n");
            }
        }

        WriteStatus(output, UapiErrno.Ok);
    }

    /// <summary>The get reply as text, for tests and diagnostics (it contains the private key).</summary>
    public static string FormatGetResponse(UapiDeviceSnapshot snapshot)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteGetResponse(snapshot, buffer);
        var text = Encoding.ASCII.GetString(buffer.WrittenSpan);
        buffer.Clear();
        return text;
    }

    /// <summary>
    /// "errno=0\n\n" on success; a failure is written negated ("errno=-22\n\n") because wireguard-go
    /// does so and wg(8) sets errno to the negation of what it reads, printing "Invalid argument".
    /// </summary>
    public static void WriteStatus(IBufferWriter<byte> output, int errno)
    {
        ArgumentNullException.ThrowIfNull(output);
        WriteAscii(output, FormatStatus(errno));
    }

    public static string FormatStatus(int errno) =>
        errno == 0 ? "errno=0\n\n" : string.Create(CultureInfo.InvariantCulture, $"errno={-Math.Abs(errno)}\n\n");

    /// <summary>Seconds and nanoseconds since the Unix epoch; zero for "never".</summary>
    internal static (long Seconds, long Nanoseconds) UnixTime(DateTimeOffset? time)
    {
        if (time is not { } t)
        {
            return (0, 0);
        }

        var ticks = t.UtcTicks - DateTime.UnixEpoch.Ticks;
        if (ticks <= 0)
        {
            return (0, 0);
        }

        return (ticks / TimeSpan.TicksPerSecond, ticks % TimeSpan.TicksPerSecond * 100);
    }

    private static void WriteKey(IBufferWriter<byte> output, string name, WgKey key)
    {
        const string hex = "0123456789abcdef";
        var span = output.GetSpan(name.Length + 2 + (WgKey.Size * 2));
        var n = Encoding.ASCII.GetBytes(name, span);
        span[n++] = (byte)'=';
        foreach (var b in key.AsSpan())
        {
            span[n++] = (byte)hex[b >> 4];
            span[n++] = (byte)hex[b & 0xf];
        }

        span[n++] = (byte)'\n';
        output.Advance(n);
    }

    private static void WriteLine(IBufferWriter<byte> output, string name, ulong value)
    {
        var span = output.GetSpan(name.Length + 22);
        var n = Encoding.ASCII.GetBytes(name, span);
        span[n++] = (byte)'=';
        value.TryFormat(span[n..], out var written, default, CultureInfo.InvariantCulture);
        n += written;
        span[n++] = (byte)'\n';
        output.Advance(n);
    }

    private static void WriteLine(IBufferWriter<byte> output, string name, long value) =>
        WriteLine(output, name, (ulong)Math.Max(0, value));

    private static void WriteAscii(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(text.Length);
        var n = Encoding.ASCII.GetBytes(text, span);
        output.Advance(n);
    }
}
