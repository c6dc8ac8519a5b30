using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using MeshPorts.Contracts.Stun;
using MeshPorts.Coordinator.Tests.Support;

namespace MeshPorts.Coordinator.Tests.Stun;

public sealed class StunResponderTests
{
    private static byte[] Request(out byte[] transaction)
    {
        transaction = RandomNumberGenerator.GetBytes(StunMessage.TransactionIdSize);
        var request = new byte[StunMessage.MaxWrittenSize];
        var length = StunMessage.WriteBindingRequest(request, transaction);
        return request[..length];
    }

    private static async Task<byte[]?> ReceiveAsync(UdpClient client, int timeoutMs = 2000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        try
        {
            return (await client.ReceiveAsync(cts.Token)).Buffer;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static UdpClient Client() => new(new IPEndPoint(IPAddress.Loopback, 0));

    private static IPEndPoint Target(TestCoordinator c) => new(IPAddress.Loopback, c.Host.StunEndPoint.Port);

    [Fact]
    public async Task BindingRequest_OnTheListenPort_IsAnsweredWithTheClientsOwnAddressAndPort()
    {
        await using var c = await TestCoordinator.StartAsync();
        Assert.Equal(new Uri(c.Host.PublicUrl.ToString()).Port, c.Host.StunEndPoint.Port);
        using var client = Client();
        await client.SendAsync(Request(out var transaction), Target(c));

        var answer = await ReceiveAsync(client);
        Assert.NotNull(answer);
        var echoed = new byte[StunMessage.TransactionIdSize];
        Assert.True(StunMessage.TryReadBindingSuccess(answer, echoed, out var mapped), "the answer must be a Binding success with a valid FINGERPRINT");
        Assert.Equal(transaction, echoed);
        Assert.Equal((IPEndPoint)client.Client.LocalEndPoint!, mapped);
        // Header 20 + XOR-MAPPED-ADDRESS (IPv4) 12 + FINGERPRINT 8: small and fixed, whatever the request carried.
        Assert.Equal(40, answer.Length);
        Assert.Equal(1, await MetricsReader.ReadAsync(c, "meshports_stun_answered_total"));
    }

    [Fact]
    public async Task OnIPv6_TheAnswerIsTheClientsOwnV6AddressAndPort_In52Bytes()
    {
        var port = TestCoordinator.FreePort();
        await using var c = await TestCoordinator.StartAsync(o =>
        {
            o.Listen = new IPEndPoint(IPAddress.IPv6Loopback, port);
            o.PublicUrl = new Uri($"https://[::1]:{port}");
        });
        using var client = new UdpClient(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        await client.SendAsync(Request(out var transaction), new IPEndPoint(IPAddress.IPv6Loopback, port));

        var answer = await ReceiveAsync(client);
        Assert.NotNull(answer);
        var echoed = new byte[StunMessage.TransactionIdSize];
        Assert.True(StunMessage.TryReadBindingSuccess(answer, echoed, out var mapped));
        Assert.Equal(transaction, echoed);
        Assert.Equal((IPEndPoint)client.Client.LocalEndPoint!, mapped);

        // Header 20 + XOR-MAPPED-ADDRESS (IPv6) 24 + FINGERPRINT 8.
        Assert.Equal(52, answer.Length);
    }

    [Fact]
    public async Task Garbage_Truncated_AndAnswersPosingAsRequests_GetNoAnswer_AndAreCounted()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var client = Client();
        var request = Request(out var transaction);
        var success = new byte[StunMessage.MaxWrittenSize];
        var successLength = StunMessage.WriteBindingSuccess(success, transaction, new IPEndPoint(IPAddress.Parse("192.0.2.1"), 9));
        var inputs = new List<byte[]>
        {
            request[..(StunMessage.HeaderSize - 1)],
            success[..successLength],
            new byte[] { 1, 0, 0, 0 },
            Array.Empty<byte>(),
        };
        var random = new Random(7);
        for (var i = 0; i < 20; i++)
        {
            var bytes = new byte[random.Next(1, 600)];
            random.NextBytes(bytes);
            inputs.Add(bytes);
        }

        foreach (var input in inputs)
        {
            await client.SendAsync(input, Target(c));
        }

        Assert.Null(await ReceiveAsync(client, 500));
        Assert.Equal(inputs.Count, await MetricsReader.ReadAsync(c, "meshports_stun_dropped_malformed_total"));

        // Still answering after all that.
        await client.SendAsync(request, Target(c));
        Assert.NotNull(await ReceiveAsync(client));
    }

    [Fact]
    public async Task ABurstFromOneSource_GetsAtMostTwentyAnswers_WhileAnotherSourceIsStillAnswered()
    {
        await using var c = await TestCoordinator.StartAsync();
        using var flood = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        for (var i = 0; i < 100; i++)
        {
            await flood.SendAsync(Request(out _), Target(c));
        }

        var answers = 0;
        while (await ReceiveAsync(flood, 300) is not null)
        {
            answers++;
        }

        // The coordinator's clock is a fake that does not move: no refill during the burst.
        Assert.Equal(20, answers);
        Assert.Equal(80, await MetricsReader.ReadAsync(c, "meshports_stun_dropped_rate_limited_total"));

        using var other = Client();
        await other.SendAsync(Request(out _), Target(c));
        Assert.NotNull(await ReceiveAsync(other));

        c.Time.Advance(TimeSpan.FromSeconds(1));
        await flood.SendAsync(Request(out _), Target(c));
        Assert.NotNull(await ReceiveAsync(flood));
    }

    [Fact]
    public async Task TheUdpPortTaken_StopsTheStart_WithAnErrorNamingIt()
    {
        var port = TestCoordinator.FreePort();
        using var squatter = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
        var ex = await Assert.ThrowsAsync<IOException>(async () =>
            await TestCoordinator.StartAsync(o => o.Listen = new IPEndPoint(IPAddress.Loopback, port)));
        Assert.Contains($"UDP 127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("STUN", ex.Message, StringComparison.Ordinal);
    }
}
