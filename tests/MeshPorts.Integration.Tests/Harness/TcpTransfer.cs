using System.Globalization;
using System.Security.Cryptography;

namespace MeshPorts.Integration.Tests.Harness;

/// <summary>
/// Moves a file over TCP through the tunnel with netcat and returns the SHA-256 the receiver computed
/// (`nc -l | sha256sum`), so corruption anywhere on the path shows as a digest mismatch.
/// </summary>
internal static class TcpTransfer
{
    private const int Port = 5001;
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromSeconds(120);

    public static async Task<string> SendAsync(WgPeer from, WgPeer to, string toAddress, string file, CancellationToken ct)
    {
        var port = Port.ToString(CultureInfo.InvariantCulture);
        var receiver = to.Namespace.StartBackground(["sh", "-c", $"nc -l -n {toAddress} {port} | sha256sum"]);
        await WaitForListenerAsync(to.Namespace, port, receiver, ct);

        var send = await from.Namespace.ExecAsync(["sh", "-c", $"nc -N -n {toAddress} {port} < '{file}'"], ct, TransferTimeout);
        if (!send.Succeeded)
        {
            throw new InvalidOperationException($"sender failed: {send.Describe()}\nreceiver: {receiver.Output}");
        }

        if (!await receiver.WaitForExitAsync(TimeSpan.FromSeconds(30), ct))
        {
            throw new TimeoutException($"receiver did not finish 30 s after the sender closed: {receiver.Output}");
        }

        var digest = receiver.Output.Split(' ', 2)[0].Trim();
        return digest.Length == 64 ? digest : throw new FormatException($"no sha256 from the receiver: {receiver.Output}");
    }

    public static async Task<string> Sha256OfFileAsync(string file, CancellationToken ct)
    {
        await using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    private static async Task WaitForListenerAsync(NetNs ns, string port, BackgroundProcess receiver, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (receiver.HasExited)
            {
                throw new InvalidOperationException($"nc -l exited early: {receiver.Output}");
            }

            var listening = await ns.ExecAsync(["ss", "-Hltn", $"sport = :{port}"], ct);
            if (listening.Succeeded && listening.Stdout.Trim().Length > 0)
            {
                return;
            }

            await Task.Delay(50, ct);
        }

        throw new TimeoutException($"nc did not listen on :{port} within 10 s: {receiver.Output}");
    }
}
