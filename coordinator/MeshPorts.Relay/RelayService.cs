using Grpc.Core;
using MeshPorts.Contracts.Relay;

namespace MeshPorts.Relay;

/// <summary>
/// relay.proto's Connect: Challenge, Hello, Welcome, then Send / Received and fresher tickets. Thin: every
/// rule is in <see cref="RelayCore"/>. The call authenticates itself in-stream, so a host maps this
/// service without any other credential check.
/// </summary>
public sealed class RelayService : Contracts.Relay.Relay.RelayBase
{
    private readonly RelayCore _core;

    public RelayService(RelayCore core)
    {
        ArgumentNullException.ThrowIfNull(core);
        _core = core;
    }

    public override async Task Connect(IAsyncStreamReader<ClientFrame> requestStream, IServerStreamWriter<ServerFrame> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var challenge = _core.NewChallenge();
        await responseStream.WriteAsync(new ServerFrame { Challenge = challenge });
        var session = await HelloAsync(challenge, requestStream, context);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, session.Ended);
        Task writer = Task.CompletedTask;
        try
        {
            await responseStream.WriteAsync(new ServerFrame { Welcome = session.Welcome() });
            writer = WriteAsync(session, responseStream, stop.Token);
            while (await requestStream.MoveNext(stop.Token))
            {
                var frame = requestStream.Current;
                switch (frame.FrameCase)
                {
                    case ClientFrame.FrameOneofCase.Send:
                        _core.Send(session, frame.Send);
                        break;
                    case ClientFrame.FrameOneofCase.Ticket when _core.Renew(session, frame.Ticket) is { } refusal:
                        _core.End(session, refusal);
                        throw new RpcException(refusal);
                    case ClientFrame.FrameOneofCase.Ticket:
                        break;
                    default:
                        var again = new Status(StatusCode.InvalidArgument, "only Send and Ticket frames may follow the Hello");
                        _core.End(session, again);
                        throw new RpcException(again);
                }
            }
        }
        catch (OperationCanceledException) when (session.EndStatus is { } ended && !context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(ended);
        }
        finally
        {
            _core.End(session, new Status(StatusCode.Cancelled, "the stream ended"));
            await stop.CancelAsync();
            try
            {
                await writer;
            }
            catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or IOException)
            {
                // The stream is going away; what was queued for it is dropped with the session.
            }
        }
    }

    private async Task<RelaySession> HelloAsync(Challenge challenge, IAsyncStreamReader<ClientFrame> requestStream, ServerCallContext context)
    {
        using var timeout = new CancellationTokenSource(RelayLimits.HelloTimeout, _core.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, timeout.Token);
        bool any;
        try
        {
            any = await requestStream.MoveNext(linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "no Hello within 10 s of the Challenge"));
        }

        if (!any || requestStream.Current.FrameCase != ClientFrame.FrameOneofCase.Hello)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first frame must be a Hello"));
        }

        var admission = _core.Admit(challenge.Nonce.Span, requestStream.Current.Hello);
        return admission.Session ?? throw new RpcException(admission.Refusal);
    }

    private static async Task WriteAsync(RelaySession session, IServerStreamWriter<ServerFrame> responseStream, CancellationToken cancellationToken)
    {
        await foreach (var datagram in session.Outbound.ReadAllAsync(cancellationToken))
        {
            await responseStream.WriteAsync(new ServerFrame { Received = datagram }, cancellationToken);
        }
    }
}
