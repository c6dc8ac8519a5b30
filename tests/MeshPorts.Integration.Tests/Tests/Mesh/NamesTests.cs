using System.Globalization;
using System.Text.Json;
using MeshPorts.Integration.Tests.Harness;
using MeshPorts.Integration.Tests.Harness.Mesh;

namespace MeshPorts.Integration.Tests.Tests.Mesh;

/// <summary>
/// Issue 14 end to end, asked with dig: NAME.mesh answers on each node's overlay address with what its
/// grants allow and nothing else, follows a grant's start and end, forwards other names to the host's
/// resolvers (a stand-in on the laptop's loopback, given to the node through `ip netns exec`'s
/// /etc/netns/NS/resolv.conf), and drops a malformed query, counted in status --json.
/// </summary>
[Collection(NetNsCollection.Name)]
public sealed class NamesTests
{
    private static readonly TimeSpan FollowWithin = TimeSpan.FromSeconds(10);

    // A one-answer resolver: every query gets A 192.0.2.53 (RFC 5737), id and question copied back.
    private const string FakeUpstream = """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.2", 53))
        while True:
            q, a = s.recvfrom(4096)
            end = 12
            while q[end] != 0:
                end += q[end] + 1
            question = q[12:end + 5]
            header = q[:2] + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"
            answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([192, 0, 2, 53])
            s.sendto(header + question + answer, a)
        """;

    [Fact(Timeout = 300_000)]
    public async Task Names_FollowGrants_HideWhatIsNotGranted_ForwardOtherNames_AndDropMalformedQueries()
    {
        Prerequisites.RequireDig();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(280));
        var ct = cts.Token;
        await using var network = await MeshNetwork.CreateAsync(["db", "laptop", "ci"], ct);
        var laptopHost = network.Host("laptop");
        var netnsEtc = Path.Combine("/etc/netns", laptopHost.Namespace.Name);
        try
        {
            Directory.CreateDirectory(netnsEtc);
            await File.WriteAllTextAsync(Path.Combine(netnsEtc, "resolv.conf"), "nameserver 127.0.0.2\n", ct);
            await laptopHost.Namespace.IpAsync(ct, "addr", "add", "127.0.0.2/8", "dev", "lo");
            await laptopHost.Namespace.IpAsync(ct, "link", "set", "lo", "up");
            network.StartService("fake-upstream", laptopHost, [Python.Executable, "-c", FakeUpstream]);

            await network.StartCoordinatorAsync(ct);
            var db = await network.StartNodeAsync("db", ct, expose: ["5432/tcp"]);
            var laptop = await network.StartNodeAsync("laptop", ct);
            var ci = await network.StartNodeAsync("ci", ct);
            var dbIp = (await db.WaitConnectedAsync(ct)).OverlayIp;
            var laptopIp = (await laptop.WaitConnectedAsync(ct)).OverlayIp;
            var ciIp = (await ci.WaitConnectedAsync(ct)).OverlayIp;
            var ciHost = network.Host("ci");

            var own = await Dig.AskAsync(laptopHost, laptopIp, "LAPTOP.mesh", ct);
            MeshAssert.True(own.Status == "NOERROR" && own.Addresses.SequenceEqual([laptopIp]), $"laptop.mesh on laptop: expected {laptopIp}\n{own.Output}", network);
            var before = await Dig.AskAsync(laptopHost, laptopIp, "db.mesh", ct);
            MeshAssert.True(before.Status == "NXDOMAIN", $"db.mesh answered on laptop before any grant:\n{before.Output}", network);

            var grant = await network.Meshctl.GrantAddAsync("laptop", "db:5432/tcp", TimeSpan.FromSeconds(25), ct);
            var granted = DateTimeOffset.UtcNow;
            var (appeared, resolved, appearedAt) = await Dig.WaitAsync(laptopHost, laptopIp, "db.mesh", d => d.Addresses.Contains(dbIp), FollowWithin, ct);
            MeshAssert.True(resolved, $"db.mesh did not resolve to {dbIp} on laptop within {FollowWithin} of the grant:\n{appeared.Output}", network);
            var aaaa = await Dig.AskAsync(laptopHost, laptopIp, "db.mesh", ct, "AAAA");
            MeshAssert.True(aaaa.Status == "NOERROR" && aaaa.Addresses.Count == 1 && aaaa.Addresses[0].Contains(':', StringComparison.Ordinal), $"db.mesh AAAA on laptop:\n{aaaa.Output}", network);

            // ci has no grant: its node knows no db, and says so the same way as for a name that never existed.
            var fromCi = await Dig.AskAsync(ciHost, ciIp, "db.mesh", ct);
            MeshAssert.True(fromCi.Status == "NXDOMAIN", $"db.mesh on ci, which has no grant:\n{fromCi.Output}", network);
            var laptopFromCi = await Dig.AskAsync(ciHost, ciIp, "laptop.mesh", ct);
            MeshAssert.True(laptopFromCi.Status == "NXDOMAIN", $"laptop.mesh on ci, which has no grant:\n{laptopFromCi.Output}", network);

            // ci gets a grant of its own: db now knows ci, yet shows laptop no more than db and laptop.
            await network.Meshctl.GrantAddAsync("ci", "db:5432/tcp", TimeSpan.FromMinutes(10), ct);
            var dbHost = network.Host("db");
            var (dbSeesCi, known, _) = await Dig.WaitAsync(dbHost, dbIp, "ci.mesh", d => d.Addresses.Contains(ciIp), FollowWithin, ct);
            MeshAssert.True(known, $"ci.mesh did not resolve on db within {FollowWithin} of ci's grant:\n{dbSeesCi.Output}", network);
            var overOverlay = await Dig.AskAsync(laptopHost, dbIp, "db.mesh", ct);
            MeshAssert.True(overOverlay.Addresses.SequenceEqual([dbIp]), $"db.mesh asked of db over the overlay:\n{overOverlay.Output}", network);
            var ciViaDb = await Dig.AskAsync(laptopHost, dbIp, "ci.mesh", ct);
            MeshAssert.True(ciViaDb.Status == "NXDOMAIN", $"ci.mesh asked of db over the overlay:\n{ciViaDb.Output}", network);
            var forwardViaDb = await Dig.AskAsync(laptopHost, dbIp, "www.example.org", ct);
            MeshAssert.True(forwardViaDb.Status == "REFUSED", $"db resolved another name for a peer:\n{forwardViaDb.Output}", network);

            var forwarded = await Dig.AskAsync(laptopHost, laptopIp, "www.example.org", ct);
            MeshAssert.True(forwarded.Addresses.SequenceEqual(["192.0.2.53"]), $"www.example.org was not forwarded to laptop's resolver:\n{forwarded.Output}", network);

            // Not a DNS message: dropped unanswered, counted, and the server goes on.
            await laptopHost.Namespace.ExecCheckedAsync(
                [Python.Executable, "-c", $"import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'\\xde\\xad\\xbe\\xef not dns', ('{laptopIp}', 53))"], ct);
            var malformed = await WaitForMalformedAsync(laptop, ct);
            MeshAssert.True(malformed >= 1, $"laptop's status counts no dnsMalformed after a garbage datagram to {laptopIp}:53", network);
            var still = await Dig.AskAsync(laptopHost, laptopIp, "db.mesh", ct);
            MeshAssert.True(still.Addresses.Contains(dbIp), $"laptop's name server stopped answering after a malformed query:\n{still.Output}", network);

            var (vanished, gone, goneAt) = await Dig.WaitAsync(
                laptopHost, laptopIp, "db.mesh", d => d.Status == "NXDOMAIN", grant.ExpiresAt - DateTimeOffset.UtcNow + FollowWithin, ct);
            MeshAssert.True(gone, $"db.mesh still answered on laptop {FollowWithin} after the grant's end {grant.ExpiresAt:O}:\n{vanished.Output}", network);
            MeshAssert.True(goneAt >= grant.ExpiresAt - TimeSpan.FromSeconds(1), $"db.mesh vanished at {goneAt:O}, before the grant's end {grant.ExpiresAt:O}", network);

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"db.mesh resolved {(appearedAt - granted).TotalMilliseconds:0} ms after grant add; NXDOMAIN {(goneAt - grant.ExpiresAt).TotalMilliseconds:0} ms after its end; dnsMalformed {malformed}"));
        }
        finally
        {
            Directory.Delete(netnsEtc, recursive: true);
        }
    }

    private static async Task<long> WaitForMalformedAsync(MeshNode node, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var status = await node.StatusAsync(ct);
            using var json = JsonDocument.Parse(status.Json);
            var count = json.RootElement.GetProperty("drops").TryGetProperty("dnsMalformed", out var value) ? value.GetInt64() : 0;
            if (count > 0 || DateTimeOffset.UtcNow > deadline)
            {
                return count;
            }

            await Task.Delay(200, ct);
        }
    }
}
