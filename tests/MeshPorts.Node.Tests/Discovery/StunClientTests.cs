using System.Diagnostics;
using System.Net;
using MeshPorts.Contracts.Stun;
using MeshPorts.Node.Discovery;
using MeshPorts.Node.Paths;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Tests.Discovery;

public sealed class StunClientTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Loopbacks => ["127.0.0.1", "::1"];

    [Theory]
    [MemberData(nameof(Loopbacks))]
    public async Task Query_OverRealUdp_LearnsTheAddressAndPortTheServerSawTheWireGuardSocketAt(string loopback)
    {
        using var server = new LoopbackStunResponder(IPAddress.Parse(loopback));
        using var underlay = new UdpUnderlay(IPAddress.Parse(loopback));
        var client = new StunClient(underlay, TimeProvider.System);
        underlay.Start(client);

        var mapped = await client.QueryAsync(server.Endpoint, CancellationToken.None).WaitAsync(Wait);

        Assert.Equal(underlay.LocalEndpoint, mapped);
        Assert.Equal(1, underlay.Accepted);
        Assert.Equal(0, client.OutstandingCount);
    }

    [Fact]
    public async Task Query_FirstRequestLost_IsRetransmittedAfterHalfASecond()
    {
        using var server = new LoopbackStunResponder(IPAddress.Loopback) { LoseFirst = 1 };
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        var client = new StunClient(underlay, TimeProvider.System);
        underlay.Start(client);
        var clock = Stopwatch.StartNew();

        var mapped = await client.QueryAsync(server.Endpoint, CancellationToken.None).WaitAsync(Wait);

        Assert.Equal(underlay.LocalEndpoint, mapped);
        Assert.Equal(2, server.Requests);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(1.4));
    }

    [Fact]
    public async Task Query_SilentServer_IsTriedThreeTimesWithDoublingWaitsThenGivesUp()
    {
        using var server = new LoopbackStunResponder(IPAddress.Loopback) { LoseFirst = int.MaxValue };
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        var client = new StunClient(underlay, TimeProvider.System);
        underlay.Start(client);
        var clock = Stopwatch.StartNew();

        var mapped = await client.QueryAsync(server.Endpoint, CancellationToken.None).WaitAsync(Wait);

        Assert.Null(mapped);
        Assert.Equal(3, server.Requests);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(3.4), TimeSpan.FromSeconds(6));
        Assert.Equal(0, client.OutstandingCount);
    }

    [Fact]
    public async Task Query_AnswerWithAnUnknownTransactionId_IsRefusedAndDoesNotSetTheAddress()
    {
        var forged = new IPEndPoint(IPAddress.Parse("192.0.2.66"), 6666);
        using var server = new LoopbackStunResponder(IPAddress.Loopback)
        {
            Before = _ => [LoopbackStunResponder.Success(LoopbackStunResponder.RandomTransactionId(), forged)],
        };
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        var client = new StunClient(underlay, TimeProvider.System);
        underlay.Start(client);

        var mapped = await client.QueryAsync(server.Endpoint, CancellationToken.None).WaitAsync(Wait);

        Assert.Equal(underlay.LocalEndpoint, mapped);
        Assert.Equal(1, underlay.Refused);
        Assert.Equal(1, underlay.Accepted);
    }

    [Theory]
    [MemberData(nameof(Loopbacks))]
    public async Task Query_RightTransactionIdFromAnotherSource_IsRefused(string loopback)
    {
        var forged = new IPEndPoint(IPAddress.Parse("192.0.2.66"), 6666);
        using var server = new LoopbackStunResponder(IPAddress.Parse(loopback))
        {
            // An attacker who saw the request answers first, from its own port.
            Before = id => [LoopbackStunResponder.Success(id, forged)],
            BeforeFromOtherSocket = true,
        };
        using var underlay = new UdpUnderlay(IPAddress.Parse(loopback));
        var client = new StunClient(underlay, TimeProvider.System);
        underlay.Start(client);

        var mapped = await client.QueryAsync(server.Endpoint, CancellationToken.None).WaitAsync(Wait);

        Assert.Equal(underlay.LocalEndpoint, mapped);
        Assert.Equal(1, underlay.Refused);
    }

    [Fact]
    public async Task Query_TruncatedGarbageAndBadFingerprint_AreRefusedWithoutException()
    {
        using var server = new LoopbackStunResponder(IPAddress.Loopback)
        {
            Before = id =>
            {
                var good = LoopbackStunResponder.Success(id, new IPEndPoint(IPAddress.Parse("192.0.2.66"), 6666));
                var badFingerprint = (byte[])good.Clone();
                badFingerprint[^1] ^= 0xFF;
                var lying = (byte[])good.Clone();
                lying[3] = 0xFC; // a length past the datagram's end
                return [good[..30], new byte[] { 0xFF, 0x00, 0x01 }, System.Security.Cryptography.RandomNumberGenerator.GetBytes(64), badFingerprint, lying, []];
            },
        };
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        var client = new StunClient(underlay, TimeProvider.System);
        underlay.Start(client);

        var mapped = await client.QueryAsync(server.Endpoint, CancellationToken.None).WaitAsync(Wait);

        Assert.Equal(underlay.LocalEndpoint, mapped);
        Assert.Equal(6, underlay.Refused);
        Assert.Empty(underlay.SinkErrors);
    }

    [Fact]
    public async Task QueryAll_TwoServersSeeingDifferentPorts_LooksSymmetric()
    {
        using var first = new LoopbackStunResponder(IPAddress.Loopback);
        using var second = new LoopbackStunResponder(IPAddress.Loopback) { PortShift = 1 };
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        var client = new StunClient(underlay, TimeProvider.System);
        underlay.Start(client);

        var answers = await client.QueryAllAsync([first.Endpoint, second.Endpoint], CancellationToken.None).WaitAsync(Wait);

        Assert.Equal([underlay.LocalEndpoint.Port, underlay.LocalEndpoint.Port + 1], answers.Select(a => a.Mapped!.Port));
        Assert.True(Candidates.LooksSymmetric(answers));
    }

    [Fact]
    public async Task QueryAll_TwoServersSeeingTheSamePort_IsNotSymmetric()
    {
        using var first = new LoopbackStunResponder(IPAddress.Loopback);
        using var second = new LoopbackStunResponder(IPAddress.Loopback);
        using var underlay = new UdpUnderlay(IPAddress.Loopback);
        var client = new StunClient(underlay, TimeProvider.System);
        underlay.Start(client);

        var answers = await client.QueryAllAsync([first.Endpoint, second.Endpoint], CancellationToken.None).WaitAsync(Wait);

        Assert.All(answers, a => Assert.Equal(underlay.LocalEndpoint, a.Mapped));
        Assert.False(Candidates.LooksSymmetric(answers));
    }

    [Fact]
    public async Task TryHandleStun_AnAnswerRepeatedAfterItWasTaken_IsRefused()
    {
        var sent = new CapturingUnderlay();
        var client = new StunClient(sent, TimeProvider.System);
        var server = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 3478);
        var query = client.QueryAsync(server, CancellationToken.None);
        var transactionId = new byte[StunMessage.TransactionIdSize];
        Assert.True(StunMessage.TryReadBindingRequest(sent.Last, transactionId));
        var answer = LoopbackStunResponder.Success(transactionId, new IPEndPoint(IPAddress.Parse("198.51.100.7"), 40000));
        var source = PeerEndpoint.FromIPEndPoint(server);

        Assert.True(client.TryHandleStun(answer, source));
        Assert.False(client.TryHandleStun(answer, source));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 40000), await query.WaitAsync(Wait));
    }

    [Fact]
    public void TryHandleStun_WithNothingOutstanding_RefusesEvenAWellFormedAnswer()
    {
        var client = new StunClient(new CapturingUnderlay(), TimeProvider.System);
        var answer = LoopbackStunResponder.Success(LoopbackStunResponder.RandomTransactionId(), new IPEndPoint(IPAddress.Parse("198.51.100.7"), 40000));

        Assert.False(client.TryHandleStun(answer, PeerEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 3478))));
    }

    [Fact]
    public async Task Query_TransactionIds_AreFreshPerRequest()
    {
        var sent = new CapturingUnderlay();
        var client = new StunClient(sent, TimeProvider.System);
        using var cancel = new CancellationTokenSource();
        var server = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 3478);
        var queries = Enumerable.Range(0, 8).Select(_ => client.QueryAsync(server, cancel.Token)).ToList();

        Assert.Equal(8, sent.All.Select(d => Convert.ToHexString(d, 8, StunMessage.TransactionIdSize)).Distinct().Count());
        await cancel.CancelAsync();
        foreach (var query in queries)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => query);
        }

        Assert.Equal(0, client.OutstandingCount);
    }

    private sealed class CapturingUnderlay : IUnderlaySender
    {
        public List<byte[]> All { get; } = [];

        public byte[] Last => All[^1];

        public bool SendUnderlay(ReadOnlySpan<byte> datagram, in PeerEndpoint destination)
        {
            lock (All)
            {
                All.Add(datagram.ToArray());
            }

            return true;
        }
    }
}
