using MeshPorts.Ctl.Cli;

namespace MeshPorts.Ctl.Transport;

/// <summary>Marks the "rpc" phase when the first response's headers arrive (MESHCTL_TRACE_TIMING).</summary>
internal sealed class TimingHandler(PhaseTimer timer, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        timer.Mark("rpc");
        return response;
    }
}
