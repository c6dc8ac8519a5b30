using System.Text;
using MeshPorts.WireGuard.Crypto;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Messages;
using MeshPorts.WireGuard.Tests.Harness;

namespace MeshPorts.WireGuard.Tests.Engine;

/// <summary>
/// A full in-memory handshake through two engines, with an attacker swapping an ephemeral key for a
/// low-order point (re-MACed so it passes mac1). Every X25519 with such a point yields all zeros, which
/// would make the DH contribute nothing; the engine must drop the message, then still complete the
/// genuine handshake.
/// </summary>
public class LowOrderKeyTests
{
    [Fact]
    public void Initiation_WithAnAllZeroEphemeral_IsDropped_AndTheGenuineOneStillCompletes()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, aOnB) = net.Pair();
        a.Send(bOnA, Packets.Make(40, 1));
        var initiation = net.Log.Single(d => d.Type == 1).Data;

        var forged = (byte[])initiation.Clone();
        forged.AsSpan(MessageLayout.InitiationEphemeral, 32).Clear();
        Remac(forged, MessageLayout.InitiationMac1, b.PublicKey);
        var result = b.Receive(forged, a.Endpoint);

        Assert.Equal(DropReason.DecryptFailed, result.Reason);
        Assert.DoesNotContain(net.Log, d => d.Type == 2);
        Assert.False(aOnB.HasCurrentKeypair);

        net.Pump();
        Assert.True(bOnA.HasCurrentKeypair);
        Assert.Equal(Packets.Make(40, 1), b.Tun.Single()[..40]);
    }

    [Fact]
    public void Response_WithAnAllZeroEphemeral_IsDropped_AndTheGenuineOneStillCompletes()
    {
        var net = new TestNetwork();
        var (a, b, bOnA, _) = net.Pair();
        a.Send(bOnA, Packets.Make(40, 2));
        var initiation = net.Log.Single(d => d.Type == 1);
        b.Receive(initiation.Data, a.Endpoint);
        var response = net.Log.Single(d => d.Type == 2).Data;

        var forged = (byte[])response.Clone();
        forged.AsSpan(MessageLayout.ResponseEphemeral, 32).Clear();
        Remac(forged, MessageLayout.ResponseMac1, a.PublicKey);
        var result = a.Receive(forged, b.Endpoint);

        Assert.Equal(DropReason.DecryptFailed, result.Reason);
        Assert.False(bOnA.HasCurrentKeypair);

        Assert.Equal(DropReason.None, a.Receive(response, b.Endpoint).Reason);
        Assert.True(bOnA.HasCurrentKeypair);
    }

    // mac1 = MAC(HASH("mac1----" || receiver's public key), message up to mac1), as the sender computes it.
    private static void Remac(byte[] message, int mac1Offset, WgKey receiver)
    {
        var key = new byte[32];
        Mac.DeriveLabelKey(key, Encoding.ASCII.GetBytes(Constants.LabelMac1), receiver.AsSpan());
        Mac.Compute(message.AsSpan(mac1Offset, Mac.Size), key, message.AsSpan(0, mac1Offset));
    }
}
