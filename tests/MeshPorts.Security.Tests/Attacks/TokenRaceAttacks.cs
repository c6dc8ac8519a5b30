using Grpc.Core;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Node;
using MeshPorts.Security.Tests.Support;

namespace MeshPorts.Security.Tests.Attacks;

/// <summary>
/// Join tokens used past their limits: a single-use token raced by many machines at once, a multi-use one
/// raced past its count, and revoked or expired tokens. Exactly as many nodes enroll as the token allows.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class TokenRaceAttacks(CoordinatorFixture fixture) : IClassFixture<CoordinatorFixture>
{
    [Theory]
    [InlineData(1u, 16)]
    [InlineData(3u, 12)]
    public async Task AToken_RacedByMoreMachinesThanItsUses_EnrollsExactlyItsUses(uint uses, int racers)
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var nodesBefore = (await admin.NodesAsync()).Count;
        var created = await admin.Client.CreateTokenAsync(new CreateTokenRequest { Name = uses == 1 ? "raced-" + Guid.NewGuid().ToString("N")[..6] : "", Uses = uses }, admin.Auth);
        var join = created.JoinString;
        var machines = Enumerable.Range(0, racers).Select(_ => new WireNode()).ToList();
        try
        {
            var requests = machines.Select(m => m.EnrollRequest(join)).ToList();
            // Each racer is a machine of its own (its own source address), as a leaked token would be used.
            var channels = new List<Grpc.Net.Client.GrpcChannel>();
            var clients = requests.Select(_ =>
            {
                var client = WireNode.Client(fixture.Coordinator, out var channel);
                channels.Add(channel);
                return client;
            }).ToList();
            var outcomes = await Task.WhenAll(requests.Zip(clients).Select(async pair =>
            {
                await Task.Yield();
                try
                {
                    await pair.Second.EnrollAsync(pair.First);
                    return StatusCode.OK;
                }
                catch (RpcException ex)
                {
                    return ex.StatusCode;
                }
            }));
            channels.ForEach(c => c.Dispose());

            Assert.Equal((int)uses, outcomes.Count(o => o == StatusCode.OK));
            Assert.All(outcomes.Where(o => o != StatusCode.OK), o => Assert.Equal(StatusCode.PermissionDenied, o));
            Assert.Equal(nodesBefore + (int)uses, (await admin.NodesAsync()).Count);
            var token = (await admin.Client.ListTokensAsync(new ListTokensRequest(), admin.Auth)).Tokens.Single(t => t.Id == created.Token.Id);
            Assert.Equal(0u, token.UsesLeft);
        }
        finally
        {
            machines.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public async Task AToken_RevokedWhileMachinesRaceToUseIt_EnrollsNobodyAfterTheRevocation()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var created = await admin.Client.CreateTokenAsync(new CreateTokenRequest { Uses = 1000 }, admin.Auth);
        var nodesBefore = (await admin.NodesAsync()).Count;
        var client = WireNode.Client(fixture.Coordinator, out var channel);
        using var _ = channel;
        using var stop = new CancellationTokenSource();
        var afterRevocation = 0;
        var revoked = false;
        var racers = Enumerable.Range(0, 4).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var machine = new WireNode();
                var request = machine.EnrollRequest(created.JoinString);
                var sentAfterRevocation = Volatile.Read(ref revoked);
                try
                {
                    await client.EnrollAsync(request);
                    if (sentAfterRevocation)
                    {
                        Interlocked.Increment(ref afterRevocation);
                    }
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.PermissionDenied)
                {
                    if (sentAfterRevocation)
                    {
                        return;
                    }
                }
            }
        }).ToList();

        await Task.Delay(TimeSpan.FromMilliseconds(300));
        await admin.Client.RevokeTokenAsync(new RevokeTokenRequest { Id = created.Token.Id }, admin.Auth);
        Volatile.Write(ref revoked, true);
        var finished = Task.WhenAll(racers);
        Assert.True(await Task.WhenAny(finished, Task.Delay(TimeSpan.FromSeconds(30))) == finished, "racers kept enrolling 30 s after the revocation");
        await stop.CancelAsync();

        Assert.Equal(0, afterRevocation);
        var token = (await admin.Client.ListTokensAsync(new ListTokensRequest(), admin.Auth)).Tokens.Single(t => t.Id == created.Token.Id);
        Assert.True(token.Revoked);
        Assert.Equal((int)(token.UsesTotal - token.UsesLeft), (await admin.NodesAsync()).Count - nodesBefore);
    }

    [Fact]
    public async Task ARevokedToken_EnrollsNothing()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var client = WireNode.Client(fixture.Coordinator, out var channel);
        using var _ = channel;
        var created = await admin.Client.CreateTokenAsync(new CreateTokenRequest { Name = "revoked-" + Guid.NewGuid().ToString("N")[..6] }, admin.Auth);
        await admin.Client.RevokeTokenAsync(new RevokeTokenRequest { Id = created.Token.Id }, admin.Auth);
        var nodesBefore = (await admin.NodesAsync()).Count;
        using var machine = new WireNode();
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.EnrollAsync(machine.EnrollRequest(created.JoinString)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Equal(nodesBefore, (await admin.NodesAsync()).Count);
    }

    [Fact]
    public async Task AnExpiredToken_EnrollsNothing()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var client = WireNode.Client(fixture.Coordinator, out var channel);
        using var _ = channel;
        var join = await admin.JoinAsync("expired-" + Guid.NewGuid().ToString("N")[..6], ttl: TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var nodesBefore = (await admin.NodesAsync()).Count;
        using var machine = new WireNode();
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.EnrollAsync(machine.EnrollRequest(join)).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal(nodesBefore, (await admin.NodesAsync()).Count);
    }

    [Fact]
    public async Task AnEnrollment_SignedWithAnotherMachineKey_EnrollsNothing_AndKeepsTheToken()
    {
        using var admin = new AdminApi(fixture.Coordinator);
        var client = WireNode.Client(fixture.Coordinator, out var channel);
        using var _ = channel;
        var name = "stolen-" + Guid.NewGuid().ToString("N")[..6];
        var join = await admin.JoinAsync(name);
        using var owner = new WireNode();
        using var thief = new WireNode();

        // The thief replays the owner's signed request under its own machine key.
        var forged = owner.EnrollRequest(join);
        forged.MachinePublicKey = Google.Protobuf.ByteString.CopyFrom(thief.MachinePublicKey);
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.EnrollAsync(forged).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);

        // The token was not burned: its owner still enrolls with it.
        var enrolled = await client.EnrollAsync(owner.EnrollRequest(join));
        Assert.Equal(name, enrolled.Name);
    }
}
