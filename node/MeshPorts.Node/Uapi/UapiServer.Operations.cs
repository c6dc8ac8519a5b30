using System.Buffers;

namespace MeshPorts.Node.Uapi;

/// <summary>
/// The two UAPI operations: get=1 answers with a device snapshot, set=1 collects its lines up to the blank
/// one and applies them all or none. Both take the device lock, so a get never sees half a set.
/// </summary>
internal sealed partial class UapiServer
{
    private async Task<bool> HandleGetAsync(UapiLineReader reader, ArrayBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        string? blank;
        try
        {
            blank = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            blank = null;
        }

        if (blank is not { Length: 0 })
        {
            CountMalformed("get=1 not followed by an empty line");
            UapiWriter.WriteStatus(output, UapiErrno.Invalid);
            return false;
        }

        UapiDeviceSnapshot snapshot;
        try
        {
            lock (_deviceLock)
            {
                snapshot = _device.Snapshot();
            }
        }
        catch (Exception ex)
        {
            UapiLog.DeviceFailed(_logger, ex);
            UapiWriter.WriteStatus(output, UapiErrno.IO);
            return true;
        }

        UapiWriter.WriteGetResponse(snapshot, output);
        return true;
    }

    private async Task<bool> HandleSetAsync(UapiLineReader reader, ArrayBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        long total = 0;
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException)
            {
                CountMalformed("set line too long");
                UapiWriter.WriteStatus(output, UapiErrno.MessageTooLong);
                return false;
            }

            if (line is null)
            {
                // A set cut off before its blank line is incomplete: apply none of it.
                CountMalformed("connection closed inside a set request");
                UapiWriter.WriteStatus(output, UapiErrno.Protocol);
                return false;
            }

            if (line.Length == 0)
            {
                break;
            }

            total += line.Length + 1;
            if (total > MaxRequestBytes)
            {
                CountMalformed("set request too large");
                UapiWriter.WriteStatus(output, UapiErrno.MessageTooLong);
                return false;
            }

            lines.Add(line);
        }

        if (!UapiParser.TryParseSet(lines, out var request, out var errno, out var error))
        {
            CountMalformed(error ?? "invalid set");
            UapiLog.SetRejected(_logger, errno, error ?? "invalid set");
            UapiWriter.WriteStatus(output, errno);

            // A line without '=' means the client does not speak this protocol; stop listening to it.
            return errno != UapiErrno.Protocol;
        }

        try
        {
            lock (_deviceLock)
            {
                errno = _device.Apply(request);
            }
        }
        catch (Exception ex)
        {
            UapiLog.DeviceFailed(_logger, ex);
            errno = UapiErrno.IO;
        }

        UapiLog.SetApplied(_logger, request.Peers.Count, errno);
        UapiWriter.WriteStatus(output, errno);
        return true;
    }

}
