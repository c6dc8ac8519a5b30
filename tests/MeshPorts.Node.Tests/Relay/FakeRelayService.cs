using Grpc.Core;
using MeshPorts.Contracts.Relay;
using RelayGrpc = MeshPorts.Contracts.Relay.Relay;

namespace MeshPorts.Node.Tests.Relay;

internal sealed class FakeRelayService(FakeRelayServer server) : RelayGrpc.RelayBase
{
    public override Task Connect(IAsyncStreamReader<ClientFrame> requestStream, IServerStreamWriter<ServerFrame> responseStream, ServerCallContext context) =>
        server.ConnectAsync(requestStream, responseStream, context);
}
