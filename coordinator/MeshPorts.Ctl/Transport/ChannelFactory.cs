using Grpc.Core;
using Grpc.Net.Client;
using MeshPorts.Contracts.Transport;
using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Config;

namespace MeshPorts.Ctl.Transport;

/// <summary>
/// An HTTP/2 gRPC channel that trusts exactly the pinned certificate, carries the admin credential, and connects
/// to the first replica of meshctl.conf's url list that answers (<see cref="ReplicaConnector"/>).
/// </summary>
internal static class ChannelFactory
{
    /// <param name="timer">MESHCTL_TRACE_TIMING: marks "connect" once the pin is checked and "rpc" at the first response.</param>
    public static GrpcChannel Create(CtlConfig config, PhaseTimer? timer = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var handler = CreateHandler(config.Pin);
        if (timer is not null && handler.SslOptions.RemoteCertificateValidationCallback is { } pinCheck)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
            {
                var accepted = pinCheck(sender, certificate, chain, errors);
                if (accepted)
                {
                    timer.Mark("connect");
                }

                return accepted;
            };
        }

        var urls = config.Urls;
        handler.ConnectCallback = (_, cancellationToken) => ReplicaConnector.ConnectAsync(urls, ReplicaConnector.ConnectTimeout, cancellationToken);

        // The handler's own bound covers the whole callback: room for every replica's attempt.
        handler.ConnectTimeout = (ReplicaConnector.ConnectTimeout * urls.Count) + TimeSpan.FromSeconds(1);
        var token = config.AdminToken;
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + token);
            return Task.CompletedTask;
        });

        return GrpcChannel.ForAddress(config.Url, new GrpcChannelOptions
        {
            HttpHandler = timer is null ? handler : new TimingHandler(timer, handler),
            DisposeHttpClient = true,
            Credentials = ChannelCredentials.Create(ChannelCredentials.SecureSsl, credentials),
        });
    }

    /// <summary>The HTTP handler alone (the shared pinned one), used by the load tool and tested against a real TLS server.</summary>
    public static SocketsHttpHandler CreateHandler(CertificatePin pin) => PinnedHttpHandler.Create(pin);
}
