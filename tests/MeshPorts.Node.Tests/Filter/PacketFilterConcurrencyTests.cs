using MeshPorts.Node.Filter;
using MeshPorts.TestKit;
using static MeshPorts.Node.Tests.Filter.FilterHarness;
using static MeshPorts.Node.Tests.Filter.FilterPackets;

namespace MeshPorts.Node.Tests.Filter;

public class PacketFilterConcurrencyTests
{
    [Fact]
    public void InboundOutboundSweepAndReplace_RunConcurrently_WithoutErrorsOrLostCounts()
    {
        var h = new FilterHarness(new FilterOptions { MaxFlows = 512 });
        var grant = Grant("g", Laptop, 5432, Start.AddSeconds(1));
        h.Filter.ReplaceRules([grant, Rule("dns", Laptop, 53, FilterProtocol.Udp)]);
        const int PacketsPerThread = 20_000;
        using var stop = new CancellationTokenSource();
        var errors = new List<Exception>();
        long sweeps = 0;

        void Guard(Action action)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                lock (errors)
                {
                    errors.Add(e);
                }
            }
        }

        var receive = new Thread(() => Guard(() =>
        {
            var tun = new byte[PacketFilter.ResetBufferSize];
            var peer = new byte[PacketFilter.ResetBufferSize];
            for (var i = 0; i < PacketsPerThread; i++)
            {
                var port = (ushort)(40000 + (i % 300));
                var packet = i % 3 == 0 ? Tcp(Remote4, port, Local4, 5432, (uint)i, 0, Syn) :
                    i % 3 == 1 ? Tcp(Remote4, port, Local4, 5432, (uint)i, 7, Ack, 10) : TestPackets.Udp(Remote4, port, Local4, 53, [1]);
                h.Filter.Inbound(Laptop, packet, tun, peer);
            }
        }));
        var send = new Thread(() => Guard(() =>
        {
            var tun = new byte[PacketFilter.ResetBufferSize];
            var peer = new byte[PacketFilter.ResetBufferSize];
            for (var i = 0; i < PacketsPerThread; i++)
            {
                var port = (ushort)(40000 + (i % 300));
                h.Filter.Outbound(Laptop, Tcp(Local4, 5432, Remote4, port, (uint)i, 9, Ack, 5), tun, peer);
            }
        }));
        var sweeper = new Thread(() => Guard(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                h.Filter.Sweep();
                Interlocked.Increment(ref sweeps);
            }
        }));
        var control = new Thread(() => Guard(() =>
        {
            var on = true;
            while (!stop.IsCancellationRequested)
            {
                h.Filter.ReplaceRules(on ? [Rule("dns", Laptop, 53, FilterProtocol.Udp)] : [grant, Rule("dns", Laptop, 53, FilterProtocol.Udp)]);
                on = !on;
                lock (h.Time)
                {
                    h.Time.Advance(TimeSpan.FromMilliseconds(5));
                }
            }
        }));

        Thread[] threads = [receive, send, sweeper, control];
        foreach (var t in threads)
        {
            t.Start();
        }

        Assert.True(receive.Join(TimeSpan.FromSeconds(60)) && send.Join(TimeSpan.FromSeconds(60)), "packet threads did not finish");
        stop.Cancel();
        Assert.True(sweeper.Join(TimeSpan.FromSeconds(10)) && control.Join(TimeSpan.FromSeconds(10)), "sweeper or control thread hung");

        Assert.Empty(errors);
        Assert.True(Interlocked.Read(ref sweeps) > 0);
        Assert.Equal(2 * PacketsPerThread, h.Filter.Counters.Allowed + h.Filter.Counters.TotalDenied);
        Assert.InRange(h.Filter.FlowCount, 0, 512);
        h.Time.Advance(TimeSpan.FromHours(1));
        h.Filter.Sweep();
        Assert.Equal(0, h.Filter.FlowCount);
    }
}
