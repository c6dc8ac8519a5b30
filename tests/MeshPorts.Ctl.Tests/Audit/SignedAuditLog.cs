using MeshPorts.Contracts.Audit;
using MeshPorts.Ctl.Api;
using MeshPorts.Ctl.Tests.Cli;
using NSec.Cryptography;

namespace MeshPorts.Ctl.Tests.Audit;

/// <summary>A hash-chained, head-signed audit log built the way the coordinator builds it, served through <see cref="FakeAdminApi"/>.</summary>
internal sealed class SignedAuditLog : IDisposable
{
    private readonly Key _key = Key.Create(SignatureAlgorithm.Ed25519);

    public SignedAuditLog(FakeAdminApi api)
    {
        Api = api;
    }

    public FakeAdminApi Api { get; }

    public string KeyText => AuditHeadSignature.FormatKey(_key.PublicKey.Export(KeyBlobFormat.RawPublicKey));

    public static string Hash(string prev, AuditEventView e) =>
        AuditHashChain.Compute(prev, (long)e.Seq, e.Time.ToUnixTimeMilliseconds(), e.Kind, e.Actor ?? "", e.Subject ?? "", e.Outcome ?? "", e.DetailsJson);

    /// <summary>Appends events and signs the new head, as every append does.</summary>
    public void Append(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var prev = Api.AuditEvents.Count == 0 ? AuditHashChain.Genesis : Api.AuditEvents[^1].Hash!;
            var e = new AuditEventView
            {
                Seq = (ulong)Api.AuditEvents.Count + 1,
                Time = FakeAdminApi.Now.AddSeconds(Api.AuditEvents.Count),
                Kind = "token.created",
                Actor = "admin",
                Subject = "tok" + Api.AuditEvents.Count,
                Outcome = "ok",
                DetailsJson = """{"name":"n"}""",
                PrevHash = prev,
            };
            Api.AuditEvents.Add(e with { Hash = Hash(prev, e) });
        }

        SignHead(_key);
    }

    /// <summary>Serves a head for the current last event signed with <paramref name="key"/> (the log's own key when null).</summary>
    public void SignHead(Key? key = null)
    {
        var last = Api.AuditEvents[^1];
        var time = FakeAdminApi.Now.AddMinutes(1);
        var signature = SignatureAlgorithm.Ed25519.Sign(key ?? _key, AuditHeadSignature.Bytes((long)last.Seq, Convert.FromHexString(last.Hash!), time.ToUnixTimeMilliseconds()));
        Api.VerifyResult = new AuditVerifyView
        {
            Ok = true,
            Checked = last.Seq,
            Head = new AuditHeadView { Seq = last.Seq, Hash = last.Hash!, Time = time, Signature = Convert.ToBase64String(signature) },
            AuditKey = KeyText,
        };
    }

    /// <summary>What a database writer without the key can do: change one event and recompute every later hash.</summary>
    public void RewriteAndRecompute(ulong seq)
    {
        var prev = AuditHashChain.Genesis;
        for (var i = 0; i < Api.AuditEvents.Count; i++)
        {
            var e = Api.AuditEvents[i];
            e = (e.Seq == seq ? e with { Actor = "mallory" } : e) with { PrevHash = prev };
            e = e with { Hash = Hash(prev, e) };
            Api.AuditEvents[i] = e;
            prev = e.Hash;
        }
    }

    public void Dispose() => _key.Dispose();
}
