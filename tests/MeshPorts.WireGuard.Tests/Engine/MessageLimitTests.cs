using MeshPorts.WireGuard.Tests.Harness;

namespace MeshPorts.WireGuard.Tests.Engine;

public class MessageLimitTests
{
    private static (TestNetwork Net, TestNode A, TestNode B, Peer BOnA, Peer AOnB) Established()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        a.Send(bOnA, Packets.Make(20, 9));
        net.Pump();
        return (net, a, b, bOnA, aOnB);
    }

    [Fact]
    public void Initiator_PastRekeyAfterMessages_StartsANewHandshake()
    {
        var (net, a, _, bOnA, _) = Established();
        bOnA.Current!.SetSendCounterForTesting(Constants.RekeyAfterMessages);
        Assert.Equal(OutboundAction.Send, a.Send(bOnA, Packets.Make(20, 1)).Action);
        Assert.Equal(1, a.Engine.Counters.InitiationsSent);

        // Just past the limit (the counter is now above 2^60): rekey.
        net.Time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(OutboundAction.Send, a.Send(bOnA, Packets.Make(20, 2)).Action);
        Assert.Equal(2, a.Engine.Counters.InitiationsSent);
    }

    [Fact]
    public void Session_AtRejectAfterMessages_IsNoLongerUsedForSending()
    {
        var (net, a, _, bOnA, _) = Established();
        bOnA.Current!.SetSendCounterForTesting(Constants.RejectAfterMessages);

        // Past the 5 s initiation rate limit, so the exhausted session triggers a handshake at once.
        net.Time.Advance(TimeSpan.FromSeconds(6));
        var result = a.Send(bOnA, Packets.Make(20, 1));
        Assert.Equal(OutboundAction.Queued, result.Action);
        Assert.Equal(2, a.Engine.Counters.InitiationsSent);
    }

    [Fact]
    public void Receiver_RejectsCountersAtTheLimit_EvenWithAValidTag()
    {
        var (net, a, b, bOnA, _) = Established();
        bOnA.Current!.SetSendCounterForTesting(Constants.RejectAfterMessages - 1);
        Assert.Equal(OutboundAction.Send, a.Send(bOnA, Packets.Make(20, 1)).Action);
        net.Pump();
        Assert.Equal(2, b.Tun.Count);

        // A packet sealed at counter 2^64 - 2^13 - 1 is refused by the receiver before it is decrypted.
        var keypair = bOnA.Current!;
        var datagram = new byte[64];
        keypair.SetSendCounterForTesting(Constants.RejectAfterMessages);
        var counter = keypair.NextSendCounter();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(datagram, 4);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(datagram.AsSpan(4), keypair.RemoteIndex);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(datagram.AsSpan(8), counter);
        keypair.Seal(counter, new byte[32], datagram.AsSpan(16));
        Assert.Equal(DropReason.Replay, b.Receive(datagram, a.Endpoint).Reason);
    }

    [Fact]
    public void RetiredKeypair_StaysUsableForAThreadHoldingIt_AndIsThenUnreachable()
    {
        var (_, _, _, bOnA, _) = Established();
        var keypair = bOnA.Current!;
        Assert.True(keypair.TryAcquire());
        keypair.Retire();
        keypair.Retire();
        Assert.True(keypair.IsRetired);

        // The holder can still seal: the keys are disposed only when it lets go.
        var output = new byte[48];
        keypair.Seal(0, new byte[32], output);
        keypair.Release();
        Assert.False(keypair.TryAcquire());
        Assert.Throws<ObjectDisposedException>(() => keypair.Seal(1, new byte[32], output));
    }
}
