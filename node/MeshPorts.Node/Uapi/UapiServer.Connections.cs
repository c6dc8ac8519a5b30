using System.Buffers;
using System.Net.Sockets;

namespace MeshPorts.Node.Uapi;

/// <summary>
/// One task per client: accept (bounded by <see cref="MaxConnections"/>), read operation lines until the
/// client goes, send each reply whole, and keep whatever one client does from reaching the daemon.
/// </summary>
internal sealed partial class UapiServer
{
    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // E.g. EMFILE: back off instead of spinning, and keep serving.
                UapiLog.AcceptFailed(_logger, ex);
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (_connections.Count >= MaxConnections)
            {
                UapiLog.TooManyConnections(_logger, MaxConnections);
                client.Dispose();
                continue;
            }

            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var task = ServeGuardedAsync(client, gate.Task, cancellationToken);
            _connections[client] = task;
            gate.SetResult();
        }
    }

    // The gate makes sure the connection is registered before it can unregister itself.
    private async Task ServeGuardedAsync(Socket client, Task gate, CancellationToken cancellationToken)
    {
        await gate.ConfigureAwait(false);
        try
        {
            await ServeAsync(client, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            UapiLog.ConnectionEnded(_logger, ex);
        }
        catch (Exception ex)
        {
            // Whatever goes wrong with one client must not take the daemon down.
            UapiLog.DeviceFailed(_logger, ex);
        }
        finally
        {
            _connections.TryRemove(client, out _);
            client.Dispose();
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken cancellationToken)
    {
        using var reader = new UapiLineReader(client, MaxLineLength);
        var output = new ArrayBufferWriter<byte>(1024);
        try
        {
            while (true)
            {
                string? op;
                try
                {
                    op = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidDataException)
                {
                    CountMalformed("operation line too long");
                    return;
                }

                if (op is null)
                {
                    return;
                }

                bool keepOpen;
                if (op == "get=1")
                {
                    keepOpen = await HandleGetAsync(reader, output, cancellationToken).ConfigureAwait(false);
                }
                else if (op == "set=1")
                {
                    keepOpen = await HandleSetAsync(reader, output, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    // Not an operation we know: like wireguard-go, there is no framing to reply within.
                    CountMalformed("unknown operation");
                    return;
                }

                await SendAsync(client, output, cancellationToken).ConfigureAwait(false);
                if (!keepOpen)
                {
                    return;
                }
            }
        }
        finally
        {
            output.Clear();
        }
    }

    private static async Task SendAsync(Socket client, ArrayBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        var data = output.WrittenMemory;
        while (!data.IsEmpty)
        {
            var sent = await client.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }

        // Clear, not just reset: a get reply holds the private key in hex.
        output.Clear();
    }

}
