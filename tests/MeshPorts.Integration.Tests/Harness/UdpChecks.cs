using System.Globalization;
using System.Text.Json;

namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// UDP through the tunnel: an `iperf3 -u` run at a fixed rate (loss as the receiver counted it), and
/// one UDP_SEGMENT send (GSO: one sendto that the kernel cuts into equal datagrams) whose datagrams
/// a python3 receiver hashes one by one.
/// </summary>
internal static class UdpChecks
{
    public const int IperfPort = 5201;
    public const int SegmentPort = 5003;

    // python3: bind, say "ready", then print "LEN SHA256" per datagram until `expected` came or 5 s of quiet.
    private const string SegmentReceiver =
        """
        import hashlib, socket, sys
        addr, port, expected = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))
        s.settimeout(5)
        print("ready", flush=True)
        got = 0
        try:
            while got < expected:
                d = s.recv(65535)
                got += 1
                print("datagram", len(d), hashlib.sha256(d).hexdigest(), flush=True)
        except socket.timeout:
            pass
        print("received", got, flush=True)
        """;

    // python3: UDP_SEGMENT (SOL_UDP option 103) = SEGMENT, one sendto of COUNT*SEGMENT random bytes,
    // then "LEN SHA256" per segment the kernel should cut it into.
    private const string SegmentSender =
        """
        import hashlib, os, socket, sys
        addr, port, segment, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
        s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_UDP, 103, segment)
        payload = os.urandom(segment * count)
        sent = s.sendto(payload, (addr, port))
        print("sent", sent, flush=True)
        for i in range(count):
            part = payload[i * segment:(i + 1) * segment]
            print("datagram", len(part), hashlib.sha256(part).hexdigest(), flush=True)
        """;

    /// <summary>`iperf3 -u -b RATE -t SECONDS` from <paramref name="from"/> to a one-shot server on <paramref name="to"/>.</summary>
    public static async Task<UdpIperfResult> IperfAsync(WgPeer from, WgPeer to, string toAddress, string rate, int seconds, CancellationToken ct)
    {
        var port = IperfPort.ToString(CultureInfo.InvariantCulture);
        var server = to.Namespace.StartBackground(["iperf3", "-s", "-1", "-B", toAddress, "-p", port]);
        try
        {
            await StreamTransfer.WaitForTcpListenerAsync(to.Namespace, port, server, ct);
            var client = await from.Namespace.ExecAsync(
                ["iperf3", "-c", toAddress, "-p", port, "-u", "-b", rate, "-t", seconds.ToString(CultureInfo.InvariantCulture), "-J", "--connect-timeout", "5000"],
                ct,
                TimeSpan.FromSeconds(seconds + 30));
            return UdpIperfResult.Parse(client.Succeeded, client.Stdout + client.Stderr);
        }
        finally
        {
            await server.StopAsync();
        }
    }

    /// <summary>
    /// Sends <paramref name="count"/> datagrams of <paramref name="segment"/> bytes as one UDP_SEGMENT
    /// sendto; returns the "datagram LEN SHA256" lines the sender expects and those the receiver saw.
    /// </summary>
    public static async Task<(IReadOnlyList<string> Sent, IReadOnlyList<string> Received, string SenderOutput, string ReceiverOutput)> SegmentedSendAsync(
        WgPeer from, WgPeer to, string toAddress, int segment, int count, CancellationToken ct)
    {
        var port = SegmentPort.ToString(CultureInfo.InvariantCulture);
        var receiver = to.Namespace.StartBackground(["python3", "-c", SegmentReceiver, toAddress, port, count.ToString(CultureInfo.InvariantCulture)]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!receiver.Output.Contains("ready", StringComparison.Ordinal))
        {
            if (receiver.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the python3 UDP receiver did not get ready: {receiver.Output}");
            }

            await Task.Delay(50, ct);
        }

        var send = await from.Namespace.ExecAsync(
            ["python3", "-c", SegmentSender, toAddress, port, segment.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture)], ct);
        if (!send.Succeeded)
        {
            throw new InvalidOperationException($"the UDP_SEGMENT sender failed: {send.Describe()}");
        }

        if (!await receiver.WaitForExitAsync(TimeSpan.FromSeconds(15), ct))
        {
            throw new TimeoutException($"the python3 UDP receiver did not finish: {receiver.Output}");
        }

        return (Datagrams(send.Stdout), Datagrams(receiver.Output), send.Stdout, receiver.Output);
    }

    /// <summary>TX packets of an interface (for a TUN: what the kernel handed the daemon, a super-packet counting once).</summary>
    public static async Task<long> TxPacketsAsync(WgPeer peer, CancellationToken ct)
    {
        var json = await peer.Namespace.ExecCheckedAsync(["ip", "-j", "-s", "link", "show", peer.InterfaceName], ct);
        using var document = JsonDocument.Parse(json);
        return document.RootElement[0].GetProperty("stats64").GetProperty("tx").GetProperty("packets").GetInt64();
    }

    private static List<string> Datagrams(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("datagram ", StringComparison.Ordinal))];
}

/// <summary>The receiver's view of an `iperf3 -u -J` client run.</summary>
internal sealed record UdpIperfResult(bool Succeeded, string? Error, long Packets, long LostPackets, double LostPercent, long ReceivedBytes, string Output)
{
    public static UdpIperfResult Parse(bool exitedZero, string output)
    {
        var start = output.IndexOf('{', StringComparison.Ordinal);
        var end = output.LastIndexOf('}');
        if (start < 0 || end < start)
        {
            return new UdpIperfResult(false, "no JSON from iperf3", 0, 0, 100, 0, output);
        }

        try
        {
            using var document = JsonDocument.Parse(output[start..(end + 1)]);
            var root = document.RootElement;
            var error = root.TryGetProperty("error", out var e) ? e.GetString() : null;
            if (!root.TryGetProperty("end", out var summary) || !summary.TryGetProperty("sum", out var sum))
            {
                return new UdpIperfResult(false, error ?? "no end.sum in the iperf3 JSON", 0, 0, 100, 0, output);
            }

            // end.sum_received is the server's (receiver's) count (iperf 3.12 has it); older ones give only end.sum.
            var received = summary.TryGetProperty("sum_received", out var r) ? r : sum;
            return new UdpIperfResult(
                exitedZero && error is null,
                error,
                (long)received.GetProperty("packets").GetDouble(),
                (long)received.GetProperty("lost_packets").GetDouble(),
                received.GetProperty("lost_percent").GetDouble(),
                (long)received.GetProperty("bytes").GetDouble(),
                output);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new UdpIperfResult(false, "unreadable iperf3 JSON: " + ex.Message, 0, 0, 100, 0, output);
        }
    }

    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Packets} packets, {LostPackets} lost ({LostPercent:0.##} %), {ReceivedBytes} bytes received");
}
