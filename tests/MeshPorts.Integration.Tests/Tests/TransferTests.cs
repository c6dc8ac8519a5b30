using MeshPorts.Integration.Tests.Harness;

namespace MeshPorts.Integration.Tests.Tests;

[Collection(NetNsCollection.Name)]
public sealed class TransferTests
{
    [Theory(Timeout = 360_000)]
    [MemberData(nameof(Pairs.All), MemberType = typeof(Pairs))]
    [MemberData(nameof(Pairs.OffloadsOff), MemberType = typeof(Pairs))]
    public async Task TcpTransfer_50MegabytesEachWay_ArrivesWithMatchingSha256(PeerKind a, PeerKind b)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(330));
        var file = TransferFile.Path;
        var expected = await TcpTransfer.Sha256OfFileAsync(file, cts.Token);
        await using var pair = await PeerPair.CreateAsync(a, b, cts.Token);

        var atB = await TcpTransfer.SendAsync(pair.A, pair.B, PeerPair.OverlayB, file, cts.Token);
        await pair.AssertAsync(atB == expected, $"A -> B: received sha256 {atB}, sent {expected}");

        var atA = await TcpTransfer.SendAsync(pair.B, pair.A, PeerPair.OverlayA, file, cts.Token);
        await pair.AssertAsync(atA == expected, $"B -> A: received sha256 {atA}, sent {expected}");
    }
}
