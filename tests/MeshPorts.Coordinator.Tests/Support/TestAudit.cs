using MeshPorts.Coordinator.Audit;
using MeshPorts.Coordinator.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using NSec.Cryptography;

namespace MeshPorts.Coordinator.Tests.Support;

/// <summary>A real audit log over a store, for tests that drive the store directly.</summary>
internal static class TestAudit
{
    public static AuditLog Over(IAuditStore store, byte[]? signingSeed = null, TimeProvider? time = null)
    {
        var key = signingSeed is null
            ? Key.Create(SignatureAlgorithm.Ed25519)
            : Key.Import(SignatureAlgorithm.Ed25519, signingSeed, KeyBlobFormat.RawPrivateKey);
        return new AuditLog(store, time ?? TimeProvider.System, NullLogger.Instance, null, new AuditHeadSigner(key));
    }
}
