using Google.Protobuf;
using Google.Protobuf.Reflection;
using MeshPorts.Contracts.Admin;
using MeshPorts.Security.Tests.Support;

namespace MeshPorts.Security.Tests.Attacks;

/// <summary>
/// Attacks on the admin API by someone who reaches the coordinator's port without the admin token: every
/// admin RPC (taken from admin.proto, so a new one is attacked too), with no token, a wrong one, a node's
/// join secret as the token, and spellings of the path that routing might match but a text check miss.
/// Every attempt must be refused and must change nothing.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class AdminAuthorizationAttacks(CoordinatorFixture fixture) : IClassFixture<CoordinatorFixture>
{
    private const int Unauthenticated = 16;

    private static readonly MethodDescriptor[] AdminMethods = [.. AdminReflection.Descriptor.Services.Single(s => s.Name == "Admin").Methods];

    public static TheoryData<string> MethodNames() => [.. AdminMethods.Select(m => m.Name)];

    /// <summary>Spellings of one method's path: case, doubled and trailing slashes, percent-encoding.</summary>
    public static IEnumerable<string> PathVariants(string method)
    {
        const string Service = "meshports.admin.v1.Admin";
        yield return $"/{Service}/{method}";
        yield return $"/Meshports.admin.v1.Admin/{method}";
        yield return $"/meshports.admin.v1.admin/{method}";
        yield return $"/{Service.ToUpperInvariant()}/{method.ToUpperInvariant()}";
        yield return $"/{Service}/{method.ToLowerInvariant()}";
        yield return $"//{Service}/{method}";
        yield return $"/{Service}//{method}";
        yield return $"/{Service}/{method}/";
        yield return $"/meshports%2Eadmin.v1.Admin/{method}";
        yield return $"/{Service}%2F{method}";
        yield return $"/%6Deshports.admin.v1.Admin/{method}";
        yield return $"/./{Service}/{method}";
        yield return $"/x/../{Service}/{method}";
    }

    [Theory]
    [MemberData(nameof(MethodNames))]
    public async Task AdminMethod_WithoutToken_IsRefusedUnderEverySpellingOfItsPath(string method)
    {
        var coordinator = fixture.Coordinator;
        using var raw = new RawGrpc(coordinator.Url);
        var before = await TokenCountAsync(raw, coordinator);
        foreach (var path in PathVariants(method))
        {
            var result = await raw.CallAsync(path, AttackRequest(method));
            Assert.True(result.IsRefused,
                $"{path} without a token answered {result}; it must be refused with nothing in the body");
        }

        var exact = await raw.CallAsync($"/meshports.admin.v1.Admin/{method}", AttackRequest(method));
        Assert.True(exact.GrpcStatus == Unauthenticated, $"the exact path without a token answered {exact}, not UNAUTHENTICATED");
        Assert.Equal(before, await TokenCountAsync(raw, coordinator));
    }

    [Theory]
    [MemberData(nameof(MethodNames))]
    public async Task AdminMethod_WithAWrongOrForeignCredential_IsRefused(string method)
    {
        var coordinator = fixture.Coordinator;
        using var raw = new RawGrpc(coordinator.Url);
        var joinSecret = await CreateJoinSecretAsync(raw, coordinator);
        var before = await TokenCountAsync(raw, coordinator);
        string[] wrong =
        [
            "mpa1_" + Convert.ToBase64String(new byte[32]).TrimEnd('='),
            coordinator.AdminToken[..^1] + (coordinator.AdminToken[^1] == 'A' ? 'B' : 'A'),
            coordinator.AdminToken + "x",
            coordinator.AdminToken.ToUpperInvariant(),
            joinSecret,
            "",
            " ",
        ];
        foreach (var token in wrong)
        {
            var result = await raw.CallAsync($"/meshports.admin.v1.Admin/{method}", AttackRequest(method), bearer: token);
            Assert.True(result.GrpcStatus == Unauthenticated && result.Messages.Count == 0,
                $"{method} with token '{token}' answered {result}, not UNAUTHENTICATED");
        }

        foreach (var scheme in new[] { "Basic " + coordinator.AdminToken, coordinator.AdminToken, "Bearer", "Token " + coordinator.AdminToken })
        {
            var result = await raw.CallAsync($"/meshports.admin.v1.Admin/{method}", AttackRequest(method),
                headers: new Dictionary<string, string> { ["authorization"] = scheme });
            Assert.True(result.GrpcStatus == Unauthenticated, $"{method} with 'authorization: {scheme}' answered {result}");
        }

        Assert.Equal(before, await TokenCountAsync(raw, coordinator));
    }

    [Theory]
    [MemberData(nameof(MethodNames))]
    public async Task AdminMethod_AtAVariantSpellingOfItsPath_IsNotServedEvenWithTheToken(string method)
    {
        var coordinator = fixture.Coordinator;
        using var raw = new RawGrpc(coordinator.Url);
        var before = await TokenCountAsync(raw, coordinator);
        foreach (var path in PathVariants(method).Skip(1))
        {
            var result = await raw.CallAsync(path, AttackRequest(method), bearer: coordinator.AdminToken);
            Assert.True(result.IsRefused, $"{path} with the admin token answered {result}; only the exact path is served");
        }

        Assert.Equal(before, await TokenCountAsync(raw, coordinator));
    }

    [Fact]
    public async Task NodeMethods_AtVariantSpellingsOfTheirPaths_AreNotServed()
    {
        var coordinator = fixture.Coordinator;
        using var raw = new RawGrpc(coordinator.Url);
        foreach (var method in MeshPorts.Contracts.Node.NodeReflection.Descriptor.Services.Single().Methods)
        {
            foreach (var path in new[] { $"/Meshports.node.v1.NodeControl/{method.Name}", $"/meshports.node.v1.nodecontrol/{method.Name}", $"//meshports.node.v1.NodeControl/{method.Name}" })
            {
                var result = await raw.CallAsync(path, (IMessage)Activator.CreateInstance(method.InputType.ClrType)!);
                Assert.True(result.IsRefused && result.GrpcStatus is null or 12, $"{path} answered {result}; a variant spelling must not reach the method");
            }
        }
    }

    [Fact]
    public async Task AdminToken_InAnotherHeaderOrTheQuery_IsNotAccepted()
    {
        var coordinator = fixture.Coordinator;
        using var raw = new RawGrpc(coordinator.Url);
        var path = "/meshports.admin.v1.Admin/ListTokens";
        foreach (var (name, value) in new[] { ("x-authorization", "Bearer " + coordinator.AdminToken), ("cookie", "token=" + coordinator.AdminToken), ("grpc-authorization", coordinator.AdminToken) })
        {
            var result = await raw.CallAsync(path, new ListTokensRequest(), headers: new Dictionary<string, string> { [name] = value });
            Assert.True(result.GrpcStatus == Unauthenticated, $"{name}: {value} answered {result}");
        }

        var query = await raw.CallAsync(path + "?access_token=" + coordinator.AdminToken, new ListTokensRequest());
        Assert.True(query.IsRefused, $"a token in the query answered {query}");
    }

    [Fact]
    public async Task TheRightToken_IsAccepted_SoTheRefusalsAboveAreAboutTheCredential()
    {
        var coordinator = fixture.Coordinator;
        using var raw = new RawGrpc(coordinator.Url);
        var result = await raw.CallAsync("/meshports.admin.v1.Admin/ListTokens", new ListTokensRequest(), bearer: coordinator.AdminToken);
        Assert.True(result.GrpcStatus == 0 && result.Messages.Count == 1, $"ListTokens with the admin token answered {result}");
    }

    [Fact]
    public async Task AnUnknownPath_IsNotServed()
    {
        var coordinator = fixture.Coordinator;
        using var raw = new RawGrpc(coordinator.Url);
        foreach (var path in new[] { "/meshports.admin.v1.Admin/NoSuchMethod", "/meshports.admin.v2.Admin/ListTokens", "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo" })
        {
            var result = await raw.CallAsync(path, new ListTokensRequest(), bearer: coordinator.AdminToken);
            Assert.True(result.IsRefused, $"{path} answered {result}");
        }
    }

    /// <summary>A request that would change something if it got through (CreateToken makes a token).</summary>
    private static IMessage AttackRequest(string method) =>
        method == "CreateToken" ? new CreateTokenRequest { Name = "intruder" } : (IMessage)Activator.CreateInstance(AdminMethods.Single(m => m.Name == method).InputType.ClrType)!;

    private static async Task<int> TokenCountAsync(RawGrpc raw, LoopbackCoordinator coordinator)
    {
        var result = await raw.CallAsync("/meshports.admin.v1.Admin/ListTokens", new ListTokensRequest(), bearer: coordinator.AdminToken);
        Assert.True(result.GrpcStatus == 0, $"ListTokens as the admin answered {result}");
        return ListTokensResponse.Parser.ParseFrom(result.Messages.Single()).Tokens.Count;
    }

    private static async Task<string> CreateJoinSecretAsync(RawGrpc raw, LoopbackCoordinator coordinator)
    {
        var result = await raw.CallAsync("/meshports.admin.v1.Admin/CreateToken", new CreateTokenRequest(), bearer: coordinator.AdminToken);
        Assert.True(result.GrpcStatus == 0, $"CreateToken as the admin answered {result}");
        var join = CreateTokenResponse.Parser.ParseFrom(result.Messages.Single()).JoinString;
        return MeshPorts.Contracts.Join.JoinString.Parse(join).Secret;
    }
}
