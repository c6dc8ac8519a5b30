using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace MeshPorts.Security.Tests.Support;

/// <summary>
/// gRPC by hand over HTTP/2, the way an attacker with curl speaks it: the request path is sent exactly as
/// written (no case folding, no collapsing of "//", no decoding of "%2E"), any header may be set or left
/// out, and the server's certificate is not checked (an attacker does not care whom it talks to).
/// </summary>
internal sealed class RawGrpc : IDisposable
{
    private static readonly TimeSpan StreamGrace = TimeSpan.FromSeconds(3);
    private readonly HttpClient _client;
    private readonly string _origin;

    public RawGrpc(string origin)
    {
        _origin = origin.TrimEnd('/');
        var handler = new SocketsHttpHandler
        {
#pragma warning disable CA5359 // The attacker's client, on purpose: it must not matter what it trusts.
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
        };
        _client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Sends one framed message (or <paramref name="rawBody"/> as is) to <paramref name="path"/>.</summary>
    public async Task<RawGrpcResult> CallAsync(string path, IMessage? message, string? bearer = null, byte[]? rawBody = null,
        IReadOnlyDictionary<string, string>? headers = null, CancellationToken ct = default)
    {
        var uri = new Uri(_origin + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(rawBody ?? Frame(message?.ToByteArray() ?? [])),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("authorization", "Bearer " + bearer);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var body = new MemoryStream();
        using (var bodyTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            // A server stream that was let through keeps the body open: what it sent in a few seconds is enough to tell.
            bodyTimeout.CancelAfter(StreamGrace);
            try
            {
                await (await response.Content.ReadAsStreamAsync(bodyTimeout.Token)).CopyToAsync(body, bodyTimeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new RawGrpcResult((int)response.StatusCode, null, "(stream still open)", Unframe(body.ToArray()));
            }
        }

        var status = Header(response, "grpc-status");
        return new RawGrpcResult((int)response.StatusCode, status is null ? null : int.Parse(status, System.Globalization.CultureInfo.InvariantCulture),
            Uri.UnescapeDataString(Header(response, "grpc-message") ?? ""), Unframe(body.ToArray()));
    }

    /// <summary>The gRPC length-prefixed message: flag 0 (not compressed), 4-byte big-endian length, the bytes.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        var framed = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(framed.AsSpan(5));
        return framed;
    }

    private static List<byte[]> Unframe(byte[] body)
    {
        var messages = new List<byte[]>();
        var rest = body.AsSpan();
        while (rest.Length >= 5)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(rest[1..]);
            if (length < 0 || rest.Length < 5 + length)
            {
                break;
            }

            messages.Add(rest.Slice(5, length).ToArray());
            rest = rest[(5 + length)..];
        }

        return messages;
    }

    // Trailers-only responses carry grpc-status in the headers; others in the trailers.
    private static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var t) ? t.FirstOrDefault()
        : response.Headers.TryGetValues(name, out var h) ? h.FirstOrDefault()
        : null;

    public void Dispose() => _client.Dispose();
}
