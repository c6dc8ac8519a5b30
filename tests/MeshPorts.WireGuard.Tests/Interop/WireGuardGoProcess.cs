using System.Diagnostics;
using System.Globalization;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.WireGuard.Tests.Interop;

/// <summary>
/// A real wireguard-go on a uniquely named TUN interface ("wgcore" + random digits), configured with
/// <c>wg</c> and removed on dispose. Only loopback UDP is used; the interface gets no addresses or routes.
/// </summary>
internal sealed class WireGuardGoProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _keyFile;

    private WireGuardGoProcess(string name, Process process, string keyFile, WgKey privateKey)
    {
        Name = name;
        _process = process;
        _keyFile = keyFile;
        PublicKey = privateKey.PublicFromPrivate();
    }

    public string Name { get; }

    public WgKey PublicKey { get; }

    public int ListenPort { get; private set; }

    /// <summary>Why interop cannot run here, or null. The test fails with this message rather than skipping.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "wireguard-go interop needs Linux.";
        }

        if (Environment.UserName != "root")
        {
            return "wireguard-go interop needs root to create a TUN interface (CI runs as root).";
        }

        if (!File.Exists("/dev/net/tun"))
        {
            return "wireguard-go interop needs /dev/net/tun.";
        }

        foreach (var tool in new[] { "wireguard-go", "wg", "ip" })
        {
            if (FindOnPath(tool) is null)
            {
                return $"wireguard-go interop needs '{tool}' on PATH (apt-get install wireguard-go wireguard-tools iproute2).";
            }
        }

        return null;
    }

    public static WireGuardGoProcess Start()
    {
        var name = "wgcore" + Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("wireguard-go", ["-f", name])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD"] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException("wireguard-go did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var privateKey = WgKey.GeneratePrivate();
        var keyFile = Path.Combine(Path.GetTempPath(), name + ".key");
        File.WriteAllText(keyFile, privateKey.ToBase64() + "\n");
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var wg = new WireGuardGoProcess(name, process, keyFile, privateKey);
        try
        {
            var socket = $"/var/run/wireguard/{name}.sock";
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!File.Exists(socket))
            {
                if (DateTime.UtcNow > deadline || process.HasExited)
                {
                    throw new InvalidOperationException($"wireguard-go did not create {socket}");
                }

                Thread.Sleep(50);
            }

            Run("wg", "set", name, "private-key", keyFile, "listen-port", "0");
            Run("ip", "link", "set", name, "up");
            wg.ListenPort = int.Parse(Run("wg", "show", name, "listen-port").Trim(), CultureInfo.InvariantCulture);
            return wg;
        }
        catch
        {
            wg.Dispose();
            throw;
        }
    }

    public void SetPeer(WgKey publicKey, int endpointPort, string allowedIp, int persistentKeepalive = 0)
    {
        List<string> args = ["set", Name, "peer", publicKey.ToBase64(), "endpoint", $"127.0.0.1:{endpointPort}", "allowed-ips", allowedIp];
        if (persistentKeepalive > 0)
        {
            args.AddRange(["persistent-keepalive", persistentKeepalive.ToString(CultureInfo.InvariantCulture)]);
        }

        Run("wg", [.. args]);
    }

    /// <summary>Unix seconds of the peer's latest handshake as wireguard-go reports it (0 = never).</summary>
    public long LatestHandshake(WgKey peer) => ReadPeerValue("latest-handshakes", peer, 1);

    public long ReceivedBytes(WgKey peer) => ReadPeerValue("transfer", peer, 1);

    public void Dispose()
    {
        try
        {
            Run("ip", "link", "del", Name);
        }
        catch (InvalidOperationException)
        {
            // Already gone with the process.
        }

        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process.Dispose();
        File.Delete(_keyFile);
    }

    private long ReadPeerValue(string what, WgKey peer, int column)
    {
        foreach (var line in Run("wg", "show", Name, what).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\t');
            if (fields[0] == peer.ToBase64())
            {
                return long.Parse(fields[column], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr}");
        }

        return stdout;
    }

    private static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);
}
