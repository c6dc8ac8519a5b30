using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using MeshPorts.Contracts.Stun;

namespace MeshPorts.Node.Tests.Discovery;

/// <summary>
/// A STUN server on a real loopback UDP socket that answers Binding requests with the source it saw, and
/// can be told to misbehave: lose requests, lie about the port, or send forged or broken datagrams first.
/// </summary>
internal sealed class LoopbackStunResponder : IDisposable
{
    private readonly Socket _socket;
    private readonly Socket _other;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;

    public LoopbackStunResponder(IPAddress address)
    {
        _socket = Bind(address);
        _other = Bind(address);
        Endpoint = (IPEndPoint)_socket.LocalEndPoint!;
        _loop = Task.Run(LoopAsync);
    }

    public IPEndPoint Endpoint { get; }

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests ignored before the first answer (a lossy path).</summary>
    public int LoseFirst { get; set; }

    /// <summary>Added to the port it reports: a NAT that maps each destination to its own port.</summary>
    public int PortShift { get; set; }

    /// <summary>Sent to the requester before each real answer, given the request's transaction id.</summary>
    public Func<byte[], IEnumerable<byte[]>> Before { get; set; } = _ => [];

    /// <summary>Send <see cref="Before"/> from a second socket (another source) rather than the server's own.</summary>
    public bool BeforeFromOtherSocket { get; set; }

    /// <summary>A genuine success for <paramref name="transactionId"/> naming <paramref name="mapped"/>.</summary>
    public static byte[] Success(byte[] transactionId, IPEndPoint mapped)
    {
        var buffer = new byte[StunMessage.MaxWrittenSize];
        var length = StunMessage.WriteBindingSuccess(buffer, transactionId, mapped);
        return buffer[..length];
    }

    public static byte[] RandomTransactionId() => RandomNumberGenerator.GetBytes(StunMessage.TransactionIdSize);

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _other.Dispose();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private static Socket Bind(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    private async Task LoopAsync()
    {
        var buffer = new byte[1500];
        var any = new IPEndPoint(Endpoint.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        var transactionId = new byte[StunMessage.TransactionIdSize];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (!StunMessage.TryReadBindingRequest(buffer.AsSpan(0, received.ReceivedBytes), transactionId))
            {
                continue;
            }

            if (Interlocked.Increment(ref _requests) <= LoseFirst)
            {
                continue;
            }

            var source = (IPEndPoint)received.RemoteEndPoint;
            foreach (var datagram in Before(transactionId))
            {
                await (BeforeFromOtherSocket ? _other : _socket).SendToAsync(datagram, SocketFlags.None, source);
            }

            await _socket.SendToAsync(Success(transactionId, new IPEndPoint(source.Address, source.Port + PortShift)), SocketFlags.None, source);
        }
    }
}
