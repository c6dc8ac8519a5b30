using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace MeshPorts.Native.Linux.Tests;

/// <summary>
/// A fresh network namespace (ip netns add mpnt…) in which test code runs on a dedicated thread:
/// the thread joins the namespace with setns, so every TUN and socket it creates lives there and
/// no packet reaches the host's interfaces. Dispose deletes the namespace, also after a failure.
/// </summary>
internal sealed partial class NetworkNamespace : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    public static NetworkNamespace Create()
    {
        TestNetwork.RequireRootAndTun();
        var ns = new NetworkNamespace(TestNetwork.InterfaceName());
        Shell.Run("ip", "netns", "add", ns.Name);
        try
        {
            Shell.Run("ip", "-n", ns.Name, "link", "set", "lo", "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a new thread inside the namespace and returns its result; its
    /// exceptions (assertion failures included) are rethrown here. A hang past <paramref name="timeout"/>
    /// fails the test (the thread is left behind, blocked, as a background thread).
    /// </summary>
    public T Run<T>(Func<T> body, TimeSpan timeout)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle($"/run/netns/{Name}"))
                {
                    if (SetNs((int)handle.DangerousGetHandle(), CLONE_NEWNET) != 0)
                    {
                        throw new InvalidOperationException($"setns into {Name} failed: errno {Marshal.GetLastPInvokeError()}.");
                    }
                }

                result = body();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        { IsBackground = true, Name = $"netns {Name}" };
        thread.Start();
        Assert.True(thread.Join(timeout), $"The code running in namespace {Name} did not finish within {timeout.TotalSeconds} s.");
        failure?.Throw();
        return result;
    }

    public void Run(Action body, TimeSpan timeout) => Run(() =>
    {
        body();
        return true;
    }, timeout);

    /// <summary>The calling thread's namespace's counter from /proc/thread-self/net/snmp, e.g. ("Udp", "InCsumErrors").</summary>
    public static long SnmpCounter(string protocol, string counter)
    {
        var lines = File.ReadAllLines("/proc/thread-self/net/snmp").Where(l => l.StartsWith(protocol + ":", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 2, $"/proc/thread-self/net/snmp has no {protocol} table.");
        var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var index = Array.IndexOf(names, counter);
        Assert.True(index > 0, $"/proc/thread-self/net/snmp has no {protocol} {counter}.");
        return long.Parse(values[index], System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        try
        {
            Shell.Run("ip", "netns", "delete", Name);
        }
        catch (InvalidOperationException)
        {
            // Already gone (never fully created); nothing else to clean up.
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nsType);
}
