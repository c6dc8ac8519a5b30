using System.Collections.Concurrent;
using System.Security.Cryptography;
using MeshPorts.Coordinator.State.Endpoints;
using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.State.Policy;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State;

/// <summary>
/// The mesh as it stands in memory: nodes, grants and the live policy, which every collaborator of
/// <see cref="MeshState"/> reads and changes. Everything here is guarded by <see cref="Gate"/> except
/// <see cref="Directory"/>, an immutable snapshot swapped whole (see the rule on <see cref="MeshState"/>).
/// </summary>
internal sealed class MeshModel : IDisposable
{
    public const string WireGuardKeyTaken = "this WireGuard public key belongs to another node; generate a fresh key pair";

    private volatile EnrolledDirectory _directory = EnrolledDirectory.Empty;
    private volatile PolicyRecord? _policyRecord;

    /// <summary>The one lock; never held across a call that takes it again (it is not re-entrant).</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public Dictionary<string, NodeRecord> Nodes { get; } = new(StringComparer.Ordinal);

    public List<GrantRecord> Grants { get; set; } = [];

    /// <summary>
    /// Each node's last endpoint report (immutable records). Written under the gate, together with the
    /// recompute it causes; a call-me reads its caller's entry without the gate.
    /// </summary>
    public ConcurrentDictionary<string, ReportedEndpoints> Reported { get; } = new(StringComparer.Ordinal);

    public PolicyDocument Policy { get; set; } = PolicyDocument.Empty;

    /// <summary>The applied policy file; written under the gate, read without it (one reference).</summary>
    public PolicyRecord? PolicyRecord
    {
        get => _policyRecord;
        set => _policyRecord = value;
    }

    /// <summary>Set once at start, before any caller; read-only after.</summary>
    public OverlayAddressing Addressing { get; set; } = new("fd00::/48");

    /// <summary>Enrolled machine keys and overlay addresses as of the last recompute, for lock-free lookups.</summary>
    public EnrolledDirectory Directory
    {
        get => _directory;
        set => _directory = value;
    }

    public static string NewId(string prefix, int bytes) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    public NodeRecord? FindByName(string name) => Nodes.Values.FirstOrDefault(n => n.Name == name);

    public NodeRecord RequireByName(string name) =>
        FindByName(name) ?? throw new StateException(StateError.NotFound, $"no node named '{name}'", next: new NextStep(NextStepKind.ListNodes));

    /// <summary>The node (other than <paramref name="exceptId"/>) whose current or previous WireGuard key is <paramref name="key"/>.</summary>
    public NodeRecord? OwnerOfWireGuardKey(byte[] key, string? exceptId) =>
        Nodes.Values.FirstOrDefault(n => n.Id != exceptId && (CryptographicOperations.FixedTimeEquals(n.WireGuardKey, key)
            || (n.PreviousWireGuardKey is { } previous && CryptographicOperations.FixedTimeEquals(previous, key))));

    public void Dispose() => Gate.Dispose();
}
