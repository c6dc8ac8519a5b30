namespace MeshPorts.Native.Linux.Tests;

/// <summary>Unique interface names and 100.127.0.0/16 prefixes so parallel tests never collide.</summary>
internal static class TestNetwork
{
    public static string InterfaceName() => "mpnt" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..4]);

    /// <summary>A random 100.127.a.b/30: returns the network base; .1 and .2 of it are the two hosts.</summary>
    public static byte[] RandomSlash30()
    {
        var bytes = Guid.NewGuid().ToByteArray();
        return [100, 127, bytes[0], (byte)(bytes[1] & 0xFC)];
    }

    public static System.Net.IPAddress Host(byte[] network, int host) =>
        new([network[0], network[1], network[2], (byte)(network[3] + host)]);

    public static string SysClassNet(string name, string attribute) =>
        File.ReadAllText($"/sys/class/net/{name}/{attribute}").Trim();

    public static void RequireRootAndTun()
    {
        Assert.True(Environment.IsPrivilegedProcess, "These tests need root (CAP_NET_ADMIN) to create interfaces; CI runs them as root.");
        Assert.True(File.Exists("/dev/net/tun"), "/dev/net/tun is missing: load the tun module (modprobe tun); CI provides it.");
    }

    /// <summary>Runs a blocking call on its own thread so a hang becomes a test failure instead of a stuck run.</summary>
    public static T RunWithTimeout<T>(Func<T> call, TimeSpan timeout, Action onTimeout, string what)
    {
        var task = Task.Factory.StartNew(call, TaskCreationOptions.LongRunning);
        if (!task.Wait(timeout))
        {
            onTimeout();
            task.Wait(TimeSpan.FromSeconds(2));
            Assert.Fail($"{what} did not finish within {timeout.TotalSeconds} s.");
        }

        return task.Result;
    }
}
