using System.Net;
using System.Threading.Channels;
using MeshPorts.Native.Linux;

namespace MeshPorts.Node.Tests.Expose;

/// <summary>
/// A real TUN device (mpex*) standing in for the node's overlay interface, with a random
/// 100.127.a.b/30 on it: <see cref="NodeAddress"/> is the node, <see cref="PeerAddress"/> a peer
/// behind the tunnel. A background thread reads what the kernel sends into the tunnel.
/// </summary>
internal sealed class OverlayTun : IDisposable
{
    private readonly LinuxTun _tun;
    private readonly Channel<byte[]> _received = Channel.CreateUnbounded<byte[]>();
    private readonly Thread _reader;

    private OverlayTun(LinuxTun tun)
    {
        _tun = tun;
        var bytes = Guid.NewGuid().ToByteArray();
        var network = new byte[] { 100, 127, bytes[0], (byte)(bytes[1] & 0xFC) };
        NodeAddress = new IPAddress([network[0], network[1], network[2], (byte)(network[3] + 1)]);
        PeerAddress = new IPAddress([network[0], network[1], network[2], (byte)(network[3] + 2)]);
        var prefix6 = new byte[16];
        prefix6[0] = 0xfd;
        bytes.AsSpan(2, 7).CopyTo(prefix6.AsSpan(1));
        prefix6[15] = 1;
        NodeAddress6 = new IPAddress(prefix6);
        prefix6[15] = 2;
        PeerAddress6 = new IPAddress(prefix6);
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "mpex tun reader" };
        _reader.Start();
    }

    public string Name => _tun.Name;

    public IPAddress NodeAddress { get; }

    public IPAddress PeerAddress { get; }

    /// <summary>A random ULA /64 for IPv6: the node is ::1, the peer ::2.</summary>
    public IPAddress NodeAddress6 { get; }

    public IPAddress PeerAddress6 { get; }

    public static OverlayTun Create()
    {
        Assert.True(Environment.IsPrivilegedProcess, "The overlay proxy tests need root to create a TUN device and bind to it; CI runs them as root.");
        Assert.True(File.Exists("/dev/net/tun"), "/dev/net/tun is missing: load the tun module (modprobe tun); CI provides it.");
        return new OverlayTun(LinuxTun.Create("mpex" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..4])));
    }

    /// <summary>Gives the node its overlay address (the kernel adds the /30 route through the TUN).</summary>
    public void AddNodeAddress() => Rtnetlink.AddAddress(Rtnetlink.GetInterfaceIndex(Name), NodeAddress, 30);

    public void AddNodeAddress6() => Rtnetlink.AddAddress(Rtnetlink.GetInterfaceIndex(Name), NodeAddress6, 64);

    /// <summary>Injects a packet as if it had come out of the tunnel from a peer.</summary>
    public void Write(byte[] packet) => Assert.True(_tun.Write(packet), "The kernel refused a packet written into the TUN.");

    /// <summary>Waits for the next packet of <paramref name="protocol"/> matching <paramref name="match"/>, skipping others.</summary>
    public async Task<Segment> ExpectAsync(byte protocol, Func<Segment, bool> match, TimeSpan timeout, string what)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var packet = await _received.Reader.ReadAsync(cancel.Token);
                if (OverlayPackets.TryRead(packet, protocol, out var segment) && match(segment))
                {
                    return segment;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No {what} came out of {Name} within {timeout.TotalMilliseconds} ms.");
            throw;
        }
    }

    /// <summary>True if a matching packet comes out within <paramref name="within"/>.</summary>
    public async Task<bool> SeesAsync(byte protocol, Func<Segment, bool> match, TimeSpan within)
    {
        using var cancel = new CancellationTokenSource(within);
        try
        {
            while (true)
            {
                var packet = await _received.Reader.ReadAsync(cancel.Token);
                if (OverlayPackets.TryRead(packet, protocol, out var segment) && match(segment))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        // Closing the device removes the interface, its address and route, and ends the reader.
        _tun.Dispose();
        _reader.Join(TimeSpan.FromSeconds(5));
        Assert.False(Directory.Exists($"/sys/class/net/{Name}"), $"{Name} is still there after Dispose.");
    }

    private void ReadLoop()
    {
        var buffer = new byte[65536];
        while (true)
        {
            int read;
            try
            {
                read = _tun.Read(buffer);
            }
            catch (NativeException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            _received.Writer.TryWrite(buffer.AsSpan(0, read).ToArray());
        }

        _received.Writer.TryComplete();
    }
}
