using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using Grpc.Core.Interceptors;
using MeshPorts.Contracts.Admin;
using MeshPorts.Contracts.Audit;
using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Hosting;
using MeshPorts.Coordinator.Options;
using MeshPorts.Coordinator.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using NSec.Cryptography;

namespace MeshPorts.Coordinator.Tests;

/// <summary>
/// The signed head: after every append the coordinator signs (seq, hash, time) with a key kept outside the
/// database, and on start it checks that the stored head still covers the stored chain.
/// </summary>
public sealed class AuditHeadTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "mp-audit-head-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Head_AfterEveryAppend_CoversTheLastEventAndVerifiesWithTheAuditKeyInMeshctlConf()
    {
        await using var c = await Run.StartAsync(_dataDir);
        for (var i = 1; i <= 3; i++)
        {
            await c.CreateTokenAsync("t" + i);
            var v = await c.Admin.VerifyAuditAsync(new VerifyAuditRequest());
            Assert.True(v.Ok, v.Problem);
            var last = (await c.Admin.ListAuditAsync(new ListAuditRequest())).Events[^1];
            Assert.Equal(last.Seq, v.Head.Seq);
            Assert.Equal(last.Hash, v.Head.Hash);
            Assert.True(VerifiesWith(v.AuditKey, v.Head), "the head's signature does not verify with the key the server names");
        }

        var conf = File.ReadAllLines(Path.Combine(_dataDir, "meshctl.conf"));
        var confKey = Assert.Single(conf, l => l.StartsWith("audit_key = ", StringComparison.Ordinal))["audit_key = ".Length..];
        Assert.Equal((await c.Admin.VerifyAuditAsync(new VerifyAuditRequest())).AuditKey, confKey);
        Assert.Contains("audit signing key: " + confKey, c.Output);
    }

    [Fact]
    public void HeadBytes_AreTheDomainSeparatedLayoutAdminProtoDocuments()
    {
        var hash = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var bytes = AuditHeadSignature.Bytes(0x0102030405060708, hash, 0x1112131415161718);
        var prefix = "meshports-audit-head-v1\0"u8.ToArray();
        Assert.Equal(prefix.Length + 8 + 32 + 8, bytes.Length);
        Assert.Equal(prefix, bytes[..prefix.Length]);
        Assert.Equal(0x0102030405060708, BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(prefix.Length)));
        Assert.Equal(hash, bytes[(prefix.Length + 8)..(prefix.Length + 40)]);
        Assert.Equal(0x1112131415161718, BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(prefix.Length + 40)));
    }

    [Fact]
    public async Task Jsonl_EveryLineCarriesTheSignedHeadAfterIt()
    {
        await using var c = await Run.StartAsync(_dataDir);
        await c.CreateTokenAsync("a");
        await c.CreateTokenAsync("b");
        var key = (await c.Admin.VerifyAuditAsync(new VerifyAuditRequest())).AuditKey;
        var lines = await File.ReadAllLinesAsync(Path.Combine(_dataDir, "audit.jsonl"));
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            var e = JsonDocument.Parse(line).RootElement;
            var head = e.GetProperty("head");
            Assert.Equal(e.GetProperty("seq").GetInt64(), head.GetProperty("seq").GetInt64());
            Assert.Equal(e.GetProperty("hash").GetString(), head.GetProperty("hash").GetString());
            var signed = new AuditHead
            {
                Seq = (ulong)head.GetProperty("seq").GetInt64(),
                Hash = head.GetProperty("hash").GetString(),
                Time = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(head.GetProperty("time").GetInt64())),
                Signature = Google.Protobuf.ByteString.FromBase64(head.GetProperty("signature").GetString()),
            };
            Assert.True(VerifiesWith(key, signed), $"the head in {line} does not verify");
        }
    }

    [Fact]
    public async Task Restart_AfterARowWasRewrittenAndTheChainRecomputed_IsRecordedAsAHeadMismatch()
    {
        await using (var first = await Run.StartAsync(_dataDir))
        {
            for (var i = 0; i < 5; i++)
            {
                await first.CreateTokenAsync("t" + i);
            }
        }

        await RewriteAndRecomputeAsync(_dataDir, seq: 2, fixHead: false);
        await using var second = await Run.StartAsync(_dataDir);
        var events = (await second.Admin.ListAuditAsync(new ListAuditRequest())).Events;
        var mismatch = Assert.Single(events, e => e.Kind == AuditLog.HeadMismatchKind);
        Assert.Contains("rewritten", mismatch.DetailsJson);
        Assert.Equal(6ul, mismatch.Seq);
        Assert.Contains("AUDIT LOG CHANGED OUTSIDE THE COORDINATOR", second.Output);
    }

    [Fact]
    public async Task Restart_AfterTheHeadWasEditedToMatchARewrittenChain_FailsOnItsSignature()
    {
        await using (var first = await Run.StartAsync(_dataDir))
        {
            for (var i = 0; i < 4; i++)
            {
                await first.CreateTokenAsync("t" + i);
            }
        }

        await RewriteAndRecomputeAsync(_dataDir, seq: 3, fixHead: true);
        await using var second = await Run.StartAsync(_dataDir);
        var mismatch = Assert.Single((await second.Admin.ListAuditAsync(new ListAuditRequest())).Events, e => e.Kind == AuditLog.HeadMismatchKind);
        Assert.Contains("does not verify", mismatch.DetailsJson);
    }

    [Fact]
    public async Task Restart_AfterTheLastEventsWereDeleted_IsRecordedAsAHeadMismatch()
    {
        await using (var first = await Run.StartAsync(_dataDir))
        {
            for (var i = 0; i < 5; i++)
            {
                await first.CreateTokenAsync("t" + i);
            }
        }

        await ExecAsync(_dataDir, "DELETE FROM audit WHERE seq > 3;");
        await using var second = await Run.StartAsync(_dataDir);
        var mismatch = Assert.Single((await second.Admin.ListAuditAsync(new ListAuditRequest())).Events, e => e.Kind == AuditLog.HeadMismatchKind);
        Assert.Equal(4ul, mismatch.Seq);
        Assert.Contains("events were deleted", mismatch.DetailsJson);
    }

    [Fact]
    public async Task Restart_WithTheHeadRemovedButTheKeyKept_DoesNotSignTheChainAsItIs()
    {
        await using (var first = await Run.StartAsync(_dataDir))
        {
            await first.CreateTokenAsync("t");
        }

        await ExecAsync(_dataDir, "DELETE FROM settings WHERE key = 'audit.head';");
        await using var second = await Run.StartAsync(_dataDir);
        var mismatch = Assert.Single((await second.Admin.ListAuditAsync(new ListAuditRequest())).Events, e => e.Kind == AuditLog.HeadMismatchKind);
        Assert.Contains("head was removed", mismatch.DetailsJson);
    }

    [Fact]
    public async Task DataDirFromBeforeSignedHeads_GetsItsHeadSignedOnFirstStart_AndStillVerifies()
    {
        await using (var first = await Run.StartAsync(_dataDir))
        {
            await first.CreateTokenAsync("t1");
            await first.CreateTokenAsync("t2");
        }

        // What a data dir made by an earlier coordinator looks like: no head, no signing key.
        await ExecAsync(_dataDir, "DELETE FROM settings WHERE key = 'audit.head';");
        File.Delete(Path.Combine(_dataDir, AuditSigningKeyFile.FileName));
        await using var second = await Run.StartAsync(_dataDir);
        var v = await second.Admin.VerifyAuditAsync(new VerifyAuditRequest());
        Assert.True(v.Ok, v.Problem);
        Assert.Equal(2ul, v.Head.Seq);
        Assert.True(VerifiesWith(v.AuditKey, v.Head));
        Assert.DoesNotContain((await second.Admin.ListAuditAsync(new ListAuditRequest())).Events, e => e.Kind == AuditLog.HeadMismatchKind);
    }

    [Fact]
    public async Task ListAudit_AfterSeq_PagesBySeq()
    {
        await using var c = await Run.StartAsync(_dataDir);
        await c.CreateTokenAsync("a");
        await c.CreateTokenAsync("b");
        await c.CreateTokenAsync("c");
        var page = (await c.Admin.ListAuditAsync(new ListAuditRequest { AfterSeq = 1, Limit = 1 })).Events;
        Assert.Equal(2ul, Assert.Single(page).Seq);
    }

    private static bool VerifiesWith(string keyText, AuditHead head)
    {
        Assert.True(AuditHeadSignature.TryParseKey(keyText, out var raw), $"'{keyText}' is not ed25519:<base64>");
        var key = PublicKey.Import(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPublicKey);
        var message = AuditHeadSignature.Bytes((long)head.Seq, Convert.FromHexString(head.Hash), head.Time.ToDateTimeOffset().ToUnixTimeMilliseconds());
        return SignatureAlgorithm.Ed25519.Verify(key, message, head.Signature.ToByteArray());
    }

    /// <summary>What an attacker with write access to the database does: edit one row, recompute every later hash, optionally point the head at the new last hash.</summary>
    private static async Task RewriteAndRecomputeAsync(string dataDir, long seq, bool fixHead)
    {
        await using var connection = new SqliteConnection("Data Source=" + Path.Combine(dataDir, "coordinator.db"));
        await connection.OpenAsync();
        var rows = new List<Storage.AuditRecord>();
        await using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT seq, time, kind, actor, subject, outcome, details, prev_hash, hash FROM audit ORDER BY seq;";
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(new Storage.AuditRecord
                {
                    Seq = reader.GetInt64(0),
                    Time = reader.GetInt64(1),
                    Kind = reader.GetString(2),
                    Actor = reader.GetString(3),
                    Subject = reader.GetString(4),
                    Outcome = reader.GetString(5),
                    Details = reader.GetString(6),
                    PrevHash = reader.GetString(7),
                    Hash = reader.GetString(8),
                });
            }
        }

        var prev = AuditChain.Genesis;
        foreach (var row in rows)
        {
            var r = row.Seq == seq ? row with { Actor = "mallory" } : row;
            r = r with { PrevHash = prev };
            r = r with { Hash = AuditChain.ComputeHash(prev, r) };
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE audit SET actor = $a, prev_hash = $p, hash = $h WHERE seq = $s;";
            update.Parameters.AddWithValue("$a", r.Actor);
            update.Parameters.AddWithValue("$p", r.PrevHash);
            update.Parameters.AddWithValue("$h", r.Hash);
            update.Parameters.AddWithValue("$s", r.Seq);
            await update.ExecuteNonQueryAsync();
            prev = r.Hash;
        }

        if (fixHead)
        {
            await using var head = connection.CreateCommand();
            head.CommandText = "SELECT value FROM settings WHERE key = 'audit.head';";
            var parts = ((string)(await head.ExecuteScalarAsync())!).Split(' ');
            parts[1] = prev;
            head.CommandText = "UPDATE settings SET value = $v WHERE key = 'audit.head';";
            head.Parameters.AddWithValue("$v", string.Join(' ', parts));
            await head.ExecuteNonQueryAsync();
        }
    }

    private static async Task ExecAsync(string dataDir, string sql)
    {
        await using var connection = new SqliteConnection("Data Source=" + Path.Combine(dataDir, "coordinator.db"));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>One run of the coordinator on a data dir that outlives it, so a test can restart on it.</summary>
    private sealed class Run : IAsyncDisposable
    {
        private readonly StringWriter _output;

        private Run(CoordinatorHost host, StringWriter output, FakeTimeProvider time, Grpc.Net.Client.GrpcChannel channel, string token)
        {
            Host = host;
            _output = output;
            Time = time;
            Channel = channel;
            Admin = new Admin.AdminClient(channel.Intercept(m =>
            {
                m.Add("authorization", "Bearer " + token);
                return m;
            }));
        }

        public CoordinatorHost Host { get; }

        public FakeTimeProvider Time { get; }

        public Grpc.Net.Client.GrpcChannel Channel { get; }

        public Admin.AdminClient Admin { get; }

        public string Output => _output.ToString();

        public static async Task<Run> StartAsync(string dataDir)
        {
            var port = TestCoordinator.FreePort();
            var options = new CoordinatorOptions
            {
                DataDir = dataDir,
                Listen = new IPEndPoint(IPAddress.Loopback, port),
                PublicUrl = new Uri($"https://127.0.0.1:{port}"),
            };
            var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var output = new StringWriter();
            var host = await CoordinatorHost.StartAsync(options, time, output, LogLevel.Critical, CancellationToken.None);
            var token = File.ReadAllLines(Path.Combine(dataDir, "meshctl.conf")).First(l => l.StartsWith("token = ")).Substring(8);
            return new Run(host, output, time, TestCoordinator.CreateChannel(host.PublicUrl, host.Pin), token);
        }

        public async Task CreateTokenAsync(string name) => await Admin.CreateTokenAsync(new CreateTokenRequest { Name = name });

        public async ValueTask DisposeAsync()
        {
            Channel.Dispose();
            await Host.DisposeAsync();
        }
    }
}
