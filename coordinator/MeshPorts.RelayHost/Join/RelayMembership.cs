using Google.Protobuf;
using Grpc.Core;
using MeshPorts.Contracts.Join;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Relay;
using NSec.Cryptography;

namespace MeshPorts.RelayHost.Join;

/// <summary>
/// A standalone relay's membership of a mesh: enroll once with a join string from
/// <c>meshctl token create --name NAME --tag relay</c>, then say every 30 s where nodes reach it
/// (RegisterRelay). The answer carries the coordinator's ticket key, kept in DATA/relay.json so a
/// relay restarted while the coordinator is down goes on checking tickets (fail static).
/// </summary>
internal sealed class RelayMembership : IAsyncDisposable
{
    private readonly string _dataDir;
    private readonly RelayIdentity _identity;
    private readonly RelayCoordinatorLink _link;
    private readonly RelayRegistration _registration;
    private readonly TimeProvider _time;
    private readonly Action<string> _log;
    private PublicKey? _ticketKey;

    private RelayMembership(string dataDir, RelayIdentity identity, RelayCoordinatorLink link, RelayRegistration registration, TimeProvider time, Action<string> log)
    {
        _dataDir = dataDir;
        _identity = identity;
        _link = link;
        _registration = registration;
        _time = time;
        _log = log;
        if (identity.Record?.TicketKey is { } known && RelayTickets.TryParsePublicKey(known, out var key))
        {
            _ticketKey = key;
        }
    }

    /// <summary>The relay's id at the coordinator (its node name).</summary>
    public string RelayId => _identity.Record?.Name ?? "relay";

    /// <summary>The key tickets are checked with; null until the coordinator has told it once.</summary>
    public PublicKey? TicketKey => Volatile.Read(ref _ticketKey);

    /// <summary>
    /// Enrolls if this data directory has not yet (then <paramref name="join"/> is required), and
    /// registers once. Throws <see cref="InvalidOperationException"/> with the fix when that cannot
    /// work; a coordinator that cannot be reached is fine when a ticket key is already known.
    /// </summary>
    public static async Task<RelayMembership> JoinAsync(string dataDir, JoinString? join, string? publicUrl, ushort listenPort, string pin,
        string? udpEndpoint, TimeProvider time, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        var identity = RelayIdentity.LoadOrCreate(dataDir);
        try
        {
            var record = identity.Record;
            if (record is null && join is null)
            {
                throw new InvalidOperationException($"{Path.Combine(dataDir, RelayIdentity.RecordFile)} does not exist, so this relay has not joined; pass --join with a join string from 'meshctl token create --name NAME --tag relay'");
            }

            var url = record is null ? join!.Url : new Uri(record.CoordinatorUrl);
            var coordinatorPin = record?.Pin ?? join!.Pin;
            var link = new RelayCoordinatorLink(url, coordinatorPin, identity, time);
            var registration = new RelayRegistration { Url = publicUrl ?? string.Empty, ListenPort = listenPort, Pin = pin, UdpEndpoint = udpEndpoint ?? string.Empty };
            var membership = new RelayMembership(dataDir, identity, link, registration, time, log);
            if (record is null)
            {
                EnrollResponse enrolled;
                try
                {
                    enrolled = await link.EnrollAsync(join!, cancellationToken);
                }
                catch (RpcException ex)
                {
                    throw new InvalidOperationException($"joining {url.GetLeftPart(UriPartial.Authority)} failed: {RelayCoordinatorLink.Describe(ex)}", ex);
                }

                identity.Save(dataDir, new RelayRecord(url.GetLeftPart(UriPartial.Authority), coordinatorPin, enrolled.NodeId, enrolled.Name));
                log($"joined {url.GetLeftPart(UriPartial.Authority)} as {enrolled.Name}");
            }

            try
            {
                await membership.RegisterOnceAsync(cancellationToken);
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && membership.TicketKey is not null)
            {
                log($"the coordinator cannot be reached ({ex.Status.Detail}); serving with the ticket key it gave last, and trying again every 30 s");
            }
            catch (RpcException ex)
            {
                throw new InvalidOperationException($"registering with {url.GetLeftPart(UriPartial.Authority)} failed: {RelayCoordinatorLink.Describe(ex)}", ex);
            }

            return membership;
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }

    /// <summary>Says where the relay is every 30 s (or as the coordinator asks) until cancelled; failures are logged and retried.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(30);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _time, cancellationToken);
                interval = await RegisterOnceAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex)
            {
                _log($"registering with the coordinator failed: {RelayCoordinatorLink.Describe(ex)}; trying again in 10 s");
                interval = TimeSpan.FromSeconds(10);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _link.DisposeAsync();
        _identity.Dispose();
    }

    private async Task<TimeSpan> RegisterOnceAsync(CancellationToken cancellationToken)
    {
        var answer = await _link.RegisterAsync(_registration, cancellationToken);
        if (answer.TicketPublicKey.Length != 32
            || !PublicKey.TryImport(SignatureAlgorithm.Ed25519, answer.TicketPublicKey.Span, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            throw new RpcException(new Status(StatusCode.Internal, "the coordinator answered RegisterRelay without a 32-byte ticket key"));
        }

        var text = Convert.ToBase64String(answer.TicketPublicKey.Span);
        Volatile.Write(ref _ticketKey, key);
        if (_identity.Record is { } record && record.TicketKey != text)
        {
            _identity.Save(_dataDir, record with { TicketKey = text });
        }

        return TimeSpan.FromSeconds(Math.Clamp(answer.ReregisterAfterSeconds, 5, 60));
    }
}
