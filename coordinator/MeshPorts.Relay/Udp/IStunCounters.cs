namespace MeshPorts.Relay.Udp;

/// <summary>Where <see cref="RelayUdpSocket"/> counts STUN answers and drops (the host's metrics).</summary>
public interface IStunCounters
{
    void StunAnswered();

    /// <param name="rateLimited">True when the source was over its rate, false when the datagram was not a Binding request.</param>
    void StunDropped(bool rateLimited);
}
