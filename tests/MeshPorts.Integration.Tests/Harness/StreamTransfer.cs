using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// Streams a number of random bytes over TCP through the tunnel without a file on disk: the sender
/// reads /dev/urandom and tees the stream into sha256sum on its way into `nc`, the receiver pipes
/// `nc -l` through `dd` (which counts the bytes) into sha256sum. Both digests and the received count
/// are compared by the caller; the elapsed time runs from the sender's start to the receiver's end.
/// </summary>
internal static partial class StreamTransfer
{
    private const int Port = 5002;

    public static async Task<StreamTransferResult> SendAsync(
        WgPeer from, WgPeer to, string toAddress, long bytes, TimeSpan timeout, CancellationToken ct)
    {
        var port = Port.ToString(CultureInfo.InvariantCulture);
        var count = bytes.ToString(CultureInfo.InvariantCulture);

        // dd prints "N bytes (...) copied" on stderr, which the background process keeps with stdout.
        var receiver = to.Namespace.StartBackground(["sh", "-c", $"nc -l -n {toAddress} {port} | dd bs=64K | sha256sum"]);
        await WaitForTcpListenerAsync(to.Namespace, port, receiver, ct);

        // The fifo lets sha256sum see exactly the bytes tee hands to nc, in a plain POSIX shell.
        var senderScript =
            $"""
            set -e
            d=$(mktemp -d)
            trap 'rm -rf "$d"' EXIT
            mkfifo "$d/f"
            sha256sum < "$d/f" > "$d/sum" &
            head -c {count} /dev/urandom | tee "$d/f" | nc -N -n {toAddress} {port}
            wait $!
            cat "$d/sum"
            """;
        var clock = Stopwatch.StartNew();
        var send = await from.Namespace.ExecAsync(["sh", "-c", senderScript], ct, timeout);
        if (!send.Succeeded)
        {
            throw new InvalidOperationException($"sender failed after {clock.Elapsed}: {send.Describe()}\nreceiver: {receiver.Output}");
        }

        if (!await receiver.WaitForExitAsync(TimeSpan.FromSeconds(30), ct))
        {
            throw new TimeoutException($"receiver did not finish 30 s after the sender closed: {receiver.Output}");
        }

        var elapsed = clock.Elapsed;
        return new StreamTransferResult(
            bytes,
            Digest(send.Stdout, "sender"),
            Digest(receiver.Output, "receiver"),
            ReceivedBytes(receiver.Output),
            elapsed,
            receiver.Output);
    }

    internal static async Task WaitForTcpListenerAsync(NetNs ns, string port, BackgroundProcess listener, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (listener.HasExited)
            {
                throw new InvalidOperationException($"listener exited early: {listener.Output}");
            }

            var listening = await ns.ExecAsync(["ss", "-Hltn", $"sport = :{port}"], ct);
            if (listening.Succeeded && listening.Stdout.Trim().Length > 0)
            {
                return;
            }

            await Task.Delay(50, ct);
        }

        throw new TimeoutException($"nothing listened on tcp :{port} within 10 s: {listener.Output}");
    }

    private static string Digest(string output, string side)
    {
        var match = Sha256Line().Match(output);
        return match.Success ? match.Groups[1].Value : throw new FormatException($"no sha256 from the {side}: {output}");
    }

    private static long ReceivedBytes(string output)
    {
        var match = DdBytesLine().Match(output);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    [GeneratedRegex(@"^([0-9a-f]{64})\s+-\s*$", RegexOptions.Multiline)]
    private static partial Regex Sha256Line();

    [GeneratedRegex(@"^(\d+) bytes", RegexOptions.Multiline)]
    private static partial Regex DdBytesLine();
}

/// <summary>One streamed transfer: what the sender hashed, what the receiver hashed, how long it took.</summary>
/// <param name="ReceivedBytes">What the receiver's dd counted; -1 when it printed no count.</param>
internal sealed record StreamTransferResult(long Bytes, string SentSha256, string ReceivedSha256, long ReceivedBytes, TimeSpan Elapsed, string ReceiverOutput)
{
    public double Megabits => Bytes * 8 / 1e6;

    public double MegabitsPerSecond => Megabits / Elapsed.TotalSeconds;

    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Bytes} bytes in {Elapsed.TotalSeconds:0.0} s = {MegabitsPerSecond:0} Mbit/s; received {ReceivedBytes} bytes; sha256 sent {SentSha256}, received {ReceivedSha256}");
}
