using Grpc.Core;
using Grpc.Net.Client;
using MeshPorts.Contracts.Transport;
using MeshPorts.Ctl.Config;

namespace MeshPorts.Ctl.Transport;

/// <summary>An HTTP/2 gRPC channel that trusts exactly the pinned certificate and carries the admin credential.</summary>
internal static class ChannelFactory
{
    public static GrpcChannel Create(CtlConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var handler = CreateHandler(config.Pin);
        var token = config.AdminToken;
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + token);
            return Task.CompletedTask;
        });

        return GrpcChannel.ForAddress(config.Url, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            Credentials = ChannelCredentials.Create(ChannelCredentials.SecureSsl, credentials),
        });
    }

    /// <summary>The HTTP handler alone (the shared pinned one), used by the load tool and tested against a real TLS server.</summary>
    public static SocketsHttpHandler CreateHandler(CertificatePin pin) => PinnedHttpHandler.Create(pin);
}
