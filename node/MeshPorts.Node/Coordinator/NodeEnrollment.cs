using MeshPorts.Contracts.Join;
using MeshPorts.Contracts.Node;
using MeshPorts.Node.StateDirectory;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Coordinator;

/// <summary>
/// One call for `meshports-node up`: reuse the identity in the state directory, or enroll with the join string.
/// </summary>
internal static class NodeEnrollment
{
    /// <summary>
    /// <list type="number">
    /// <item>node.json exists: reuse it and the saved keys, no Enroll call. A join string naming another
    /// URL or pin is only warned about; the saved identity wins (delete the directory to move coordinators).</item>
    /// <item>No node.json: create (or reuse) machine.key and wireguard.key and persist them BEFORE Enroll, then
    /// enroll and write node.json. A kill -9 between the coordinator accepting and node.json being written
    /// leaves keys the coordinator knows: the next start's Enroll gets ALREADY_EXISTS for them, and this method
    /// saves a record with only the URL and pin (<see cref="EnrollmentRecord.IsComplete"/> false) which the
    /// daemon completes from the first Watch snapshot (<see cref="EnrollmentRecord.CompleteFrom"/>).</item>
    /// </list>
    /// </summary>
    /// <exception cref="NodeStateException">a state file is damaged or too open, or there is no node.json and no join string.</exception>
    /// <exception cref="CoordinatorException">Enroll failed (Kind says whether to retry).</exception>
    /// <summary>What to say when there is neither a node.json nor a join string.</summary>
    public static string NotEnrolled(NodeStateStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return $"{store.PathOf(NodeStateStore.EnrollmentFile)} does not exist, so this node is not enrolled; pass --join with a join string from 'meshctl token create'";
    }

    public static async Task<EnrolledIdentity> EnsureEnrolledAsync(
        NodeStateStore store,
        JoinString? join,
        string? name,
        IReadOnlyList<ExposedService> services,
        IReadOnlyList<string> endpoints,
        TimeProvider time,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logger);
        store.EnsureDirectory();

        var existing = store.LoadEnrollment();
        if (existing is not null)
        {
            return Reuse(store, existing, join, logger);
        }

        if (join is null)
        {
            throw new NodeStateException(NotEnrolled(store));
        }

        // Keys first: if the coordinator accepts and we die before node.json is written, these are what it knows us by.
        var machine = store.LoadOrCreateMachineKey();
        try
        {
            var wireGuardKey = store.LoadOrCreateWireGuardKey();
            var record = await EnrollAsync(store, join, name, services, endpoints, machine, wireGuardKey, time, logger, cancellationToken);
            store.SaveEnrollment(record);
            return new EnrolledIdentity(record, machine, wireGuardKey);
        }
        catch
        {
            machine.Dispose();
            throw;
        }
    }

    private static EnrolledIdentity Reuse(NodeStateStore store, EnrollmentRecord record, JoinString? join, ILogger logger)
    {
        if (join is not null
            && (!SameAuthority(join.Url, record.CoordinatorUrl) || !SamePin(join.Pin, record.Pin)))
        {
            CoordinatorLog.JoinDiffersFromState(logger, join.Url.GetLeftPart(UriPartial.Authority), join.Pin, store.Directory, record.CoordinatorUrl, record.Pin);
        }

        var machine = store.LoadMachineKey() ?? throw new NodeStateException(
            $"{store.PathOf(NodeStateStore.EnrollmentFile)} exists but {store.PathOf(NodeStateStore.MachineKeyFile)} does not; the identity is lost: delete {store.PathOf(NodeStateStore.EnrollmentFile)} and enroll again with --join");
        try
        {
            var wireGuardKey = store.LoadWireGuardKey() ?? throw new NodeStateException(
                $"{store.PathOf(NodeStateStore.WireGuardKeyFile)} is missing; delete {store.PathOf(NodeStateStore.EnrollmentFile)} and enroll again with --join");
            CoordinatorLog.Reused(logger, store.Directory, record.Name ?? "(name pending)", record.CoordinatorUrl);
            return new EnrolledIdentity(record, machine, wireGuardKey);
        }
        catch
        {
            machine.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Enroll at the join string's replicas in order, moving on only when one cannot be reached. Safe to repeat
    /// at the next replica: if the first had accepted before the connection broke, the machine key is known and
    /// the next answers "already enrolled", which is the crash-recovery path below.
    /// </summary>
    private static async Task<EnrollmentRecord> EnrollAsync(
        NodeStateStore store,
        JoinString join,
        string? name,
        IReadOnlyList<ExposedService> services,
        IReadOnlyList<string> endpoints,
        MachineKey machine,
        WireGuard.Keys.WgKey wireGuardKey,
        TimeProvider time,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var failures = new List<CoordinatorException>();
        foreach (var url in join.Urls)
        {
            var authority = url.GetLeftPart(UriPartial.Authority);
            await using var client = new CoordinatorClient(url, join.Pin, machine, time, logger);
            CoordinatorLog.Enrolling(logger, authority);
            try
            {
                var publicKey = wireGuardKey.PublicFromPrivate();
                var response = await client.EnrollAsync(join.Secret, publicKey.AsSpan().ToArray(), name, services, endpoints, cancellationToken);
                CoordinatorLog.Enrolled(logger, authority, response.Name, response.OverlayIpv4, response.OverlayIpv6);
                return EnrollmentRecord.FromResponse(join.Urls, join.Pin, response);
            }
            catch (CoordinatorException ex) when (ex.Kind == CoordinatorErrorKind.AlreadyEnrolled)
            {
                CoordinatorLog.RecoveringEnrollment(logger, authority, store.PathOf(NodeStateStore.EnrollmentFile));
                return EnrollmentRecord.ForCoordinator(join.Urls, join.Pin);
            }
            catch (CoordinatorException ex) when (ex.Kind == CoordinatorErrorKind.Unreachable)
            {
                failures.Add(ex);
            }
        }

        throw CoordinatorErrors.NoReplica(failures);
    }

    private static bool SameAuthority(Uri url, string stored) =>
        Uri.TryCreate(stored, UriKind.Absolute, out var other)
        && string.Equals(url.GetLeftPart(UriPartial.Authority), other.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);

    private static bool SamePin(string a, string b) =>
        Contracts.Transport.CertificatePin.TryParse(a, out var pa) && Contracts.Transport.CertificatePin.TryParse(b, out var pb) && pa.Matches(pb);
}
