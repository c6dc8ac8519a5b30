using System.Net;
using System.Threading.Channels;

namespace MeshPorts.Coordinator.Tests.AuditShipping;

/// <summary>
/// An OTLP/HTTP logs receiver on loopback (HttpListener): answers 200 to every POST, and decodes each body as
/// opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest by the field numbers of the .proto files.
/// </summary>
internal sealed class FakeOtlpCollector : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Channel<OtlpRequest> _requests = Channel.CreateUnbounded<OtlpRequest>();
    private readonly Task _loop;

    public FakeOtlpCollector()
    {
        Port = Support.TestCoordinator.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}");

    /// <summary>What the collector would answer; 200 unless a test changes it.</summary>
    public int Status { get; set; } = 200;

    public async Task<OtlpRequest> NextAsync(int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        try
        {
            return await _requests.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no OTLP export reached the collector within {timeoutMs} ms");
            throw;
        }
    }

    public bool TryNext(out OtlpRequest? request) => _requests.Reader.TryRead(out request);

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            _requests.Writer.TryWrite(new OtlpRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.ContentType ?? "", headers,
                OtlpRequest.Decode(body.ToArray())));
            context.Response.StatusCode = Status;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
