using Google.Protobuf;
using MeshPorts.Contracts.Node;
using MeshPorts.Contracts.Relay;
using MeshPorts.Contracts.Transport;
using MeshPorts.Node.Coordinator;

namespace MeshPorts.Node.Relay;

internal sealed partial class RelayClient
{
    private TaskCompletionSource _refresh = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _ticketFetches;
    private long _ticketIssuedUnixMs = long.MinValue;

    /// <summary>Tickets fetched so far (tests and status).</summary>
    internal int TicketFetches => Volatile.Read(ref _ticketFetches);

    /// <summary>
    /// The netmap changed: fetch a ticket now, so a peer that left is out of it (and the relay stops
    /// forwarding for the pair) and a new one is in. Open streams get the fresher ticket.
    /// </summary>
    public void NetmapChanged() =>
        Interlocked.Exchange(ref _refresh, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private async Task TicketLoopAsync(CancellationToken stop)
    {
        var backoff = new Backoff(Options.ReconnectMin, Options.ReconnectMax);
        while (!stop.IsCancellationRequested)
        {
            // Taken before the fetch: a netmap change while it runs makes the next fetch immediate.
            var signal = Volatile.Read(ref _refresh).Task;
            TimeSpan wait;
            try
            {
                var response = await _coordinator.GetRelayTicketAsync(stop);
                Interlocked.Increment(ref _ticketFetches);
                var notAfter = await ApplyAsync(response);
                backoff.Reset();
                var remaining = notAfter - Time.GetUtcNow();
                wait = TimeSpan.FromTicks(Math.Max(Options.TicketRefreshMin.Ticks, (long)(remaining.Ticks * Options.TicketRefreshFraction)));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                wait = backoff.Next();
                RelayLog.TicketFailed(Logger, ex is InvalidProtocolBufferException ? "the answer does not parse" : ex is CoordinatorException ? ex.Message : ex.GetType().Name, wait.TotalSeconds);
            }

            try
            {
                await WaitAsync(wait, signal, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WaitAsync(TimeSpan delay, Task signal, CancellationToken stop)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var timer = Task.Delay(delay, Time, cancel.Token);
        await Task.WhenAny(timer, signal);
        await cancel.CancelAsync();
        stop.ThrowIfCancellationRequested();
    }

    /// <summary>Takes a ticket answer: the ticket for every Hello and open stream, and the relays to hold streams to. Returns the ticket's end.</summary>
    private async Task<DateTimeOffset> ApplyAsync(RelayTicketResponse response)
    {
        // The node cannot check the coordinator's signature (the relays do); it reads the times to know when to refetch.
        var ticket = RelayTicket.Parser.ParseFrom(response.Ticket);
        var signed = new SignedTicket { Ticket = response.Ticket, Signature = response.Signature };
        Volatile.Write(ref _ticket, signed);

        // A relay refuses an in-stream ticket that is not issued later than the one it holds, and ends the call.
        var fresher = ticket.IssuedUnixMs > _ticketIssuedUnixMs;
        _ticketIssuedUnixMs = Math.Max(_ticketIssuedUnixMs, ticket.IssuedUnixMs);

        var entries = new Dictionary<string, RelayEntry>(StringComparer.Ordinal);
        foreach (var server in response.Relays)
        {
            if (RelayEntry.TryParse(server, out var entry, out var reason))
            {
                entries.TryAdd(entry!.Id, entry);
            }
            else
            {
                RelayLog.BadRelayEntry(Logger, server.Id.Length <= 32 ? server.Id : server.Id[..32] + "...", reason);
            }
        }

        var retired = new List<RelaySession>();
        lock (_gate)
        {
            if (_stop.IsCancellationRequested)
            {
                return DateTimeOffset.MaxValue;
            }

            var next = new Dictionary<string, RelaySession>(StringComparer.Ordinal);
            foreach (var entry in entries.Values)
            {
                if (_sessions.TryGetValue(entry.Id, out var kept) && kept.Entry == entry)
                {
                    next[entry.Id] = kept;
                    if (fresher)
                    {
                        kept.OfferTicket(signed);
                    }
                }
                else
                {
                    var session = new RelaySession(entry, this);
                    next[entry.Id] = session;
                    session.Start();
                }
            }

            foreach (var (id, old) in _sessions)
            {
                if (!next.TryGetValue(id, out var now) || !ReferenceEquals(now, old))
                {
                    retired.Add(old);
                }
            }

            Volatile.Write(ref _sessions, next);
        }

        foreach (var session in retired)
        {
            await session.DisposeAsync();
        }

        var notAfter = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(ticket.NotAfterUnixMs, 0, DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()));
        RelayLog.TicketFetched(Logger, entries.Count, notAfter);
        return notAfter;
    }
}
