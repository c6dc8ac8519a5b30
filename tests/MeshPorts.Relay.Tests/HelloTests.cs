using Grpc.Core;
using MeshPorts.Contracts.Relay;
using MeshPorts.Relay.Tests.Support;
using NSec.Cryptography;

namespace MeshPorts.Relay.Tests;

public sealed class HelloTests
{
    private static RelayAdmission Admit(TestRelay relay, TestRelayNode node, Func<byte[], Hello> hello)
    {
        var nonce = relay.Core.NewChallenge().Nonce.ToByteArray();
        return relay.Core.Admit(nonce, hello(nonce));
    }

    [Fact]
    public void Hello_WithAGoodTicketAndSignature_IsWelcomed_WithAnEightByteSessionAndThirtyTwoByteKey()
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_a");
        var challenge = relay.Core.NewChallenge();
        Assert.Equal(32, challenge.Nonce.Length);
        Assert.Equal("test-relay", challenge.RelayId);
        var ticket = relay.Ticket(a, ["n_b"]);
        var admission = relay.Core.Admit(challenge.Nonce.Span, a.Hello(challenge.Nonce.Span, ticket));
        var welcome = Assert.IsType<RelaySession>(admission.Session).Welcome();
        Assert.Equal(8, welcome.UdpSessionId.Length);
        Assert.Equal(32, welcome.UdpKey.Length);
        Assert.Equal(RelayTicket.Parser.ParseFrom(ticket.Ticket).NotAfterUnixMs, welcome.TicketNotAfterUnixMs);
        Assert.Equal(1, relay.Core.Counters.SessionsActive);
    }

    [Fact]
    public void Hello_WithAForgedTicketSignature_IsUnauthenticated()
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_a");
        var ticket = relay.Ticket(a, ["n_b"]);
        var forged = ticket.Signature.ToByteArray();
        forged[0] ^= 1;
        ticket.Signature = Google.Protobuf.ByteString.CopyFrom(forged);
        var admission = Admit(relay, a, n => a.Hello(n, ticket));
        Assert.Null(admission.Session);
        Assert.Equal(StatusCode.Unauthenticated, admission.Refusal.StatusCode);
    }

    [Fact]
    public void Hello_WithATicketWidenedAfterSigning_IsUnauthenticated()
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_a");
        var ticket = relay.Ticket(a, ["n_b"]);
        var widened = RelayTicket.Parser.ParseFrom(ticket.Ticket);
        widened.PeerNodeIds.Add("n_victim");
        ticket.Ticket = Google.Protobuf.ByteString.CopyFrom(Google.Protobuf.MessageExtensions.ToByteArray(widened));
        Assert.Equal(StatusCode.Unauthenticated, Admit(relay, a, n => a.Hello(n, ticket)).Refusal.StatusCode);
    }

    [Fact]
    public void Hello_WithATicketSignedByAnotherKey_IsUnauthenticated()
    {
        using var relay = new TestRelay();
        using var other = Key.Create(SignatureAlgorithm.Ed25519);
        var a = relay.Node("n_a");
        var admission = Admit(relay, a, n => a.Hello(n, relay.Ticket(a, ["n_b"], signer: other)));
        Assert.Null(admission.Session);
        Assert.Equal(StatusCode.Unauthenticated, admission.Refusal.StatusCode);
    }

    [Fact]
    public void Hello_WithAnExpiredTicket_IsFailedPrecondition()
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_a");
        var ticket = relay.Ticket(a, ["n_b"], issuedMs: relay.NowMs - (long)TimeSpan.FromMinutes(10).TotalMilliseconds);
        var admission = Admit(relay, a, n => a.Hello(n, ticket));
        Assert.Null(admission.Session);
        Assert.Equal(StatusCode.FailedPrecondition, admission.Refusal.StatusCode);
        Assert.Contains("expired", admission.Refusal.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Hello_SignedByAnotherMachineKey_IsUnauthenticated()
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_a");
        var thief = relay.Node("n_thief");
        var admission = Admit(relay, a, n => a.Hello(n, relay.Ticket(a, ["n_b"]), signer: thief.MachineKey));
        Assert.Null(admission.Session);
        Assert.Equal(StatusCode.Unauthenticated, admission.Refusal.StatusCode);
    }

    [Fact]
    public void Hello_RecordedOnOneConnection_ReplayedOnANewOne_IsUnauthenticated()
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_a");
        var first = relay.Core.NewChallenge().Nonce.ToByteArray();
        var recorded = a.Hello(first, relay.Ticket(a, ["n_b"]));
        Assert.NotNull(relay.Core.Admit(first, recorded).Session);

        var second = relay.Core.NewChallenge().Nonce.ToByteArray();
        Assert.NotEqual(first, second);
        var replayed = relay.Core.Admit(second, recorded);
        Assert.Null(replayed.Session);
        Assert.Equal(StatusCode.Unauthenticated, replayed.Refusal.StatusCode);
    }

    [Theory]
    [InlineData(61)]
    [InlineData(-61)]
    public void Hello_WithClockSkewOverSixtySeconds_IsFailedPrecondition(int skewSeconds)
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_a");
        var ticket = relay.Ticket(a, ["n_b"]);
        var admission = Admit(relay, a, n => a.Hello(n, ticket, timestampMs: relay.NowMs + (skewSeconds * 1000L)));
        Assert.Null(admission.Session);
        Assert.Equal(StatusCode.FailedPrecondition, admission.Refusal.StatusCode);
        Assert.Contains("clock", admission.Refusal.Detail, StringComparison.Ordinal);

        Assert.NotNull(Admit(relay, a, n => a.Hello(n, ticket, timestampMs: relay.NowMs + (Math.Sign(skewSeconds) * 59_000L))).Session);
    }

    [Fact]
    public void SecondConnection_OfTheSameNode_ReplacesTheFirst()
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_a");
        var first = a.Connect(["n_b"]);
        var firstFrame = a.Keepalive();
        var second = a.Connect(["n_b"]);

        Assert.True(first.Ended.IsCancellationRequested);
        Assert.Equal(StatusCode.Aborted, first.EndStatus!.Value.StatusCode);
        Assert.Same(second, relay.Core.Find("n_a"));
        Assert.Equal(1, relay.Core.Counters.SessionsActive);
        Assert.Equal(2, relay.Core.Counters.SessionsOpened);

        // The first session's UDP id is gone with it.
        relay.Core.HandleUdp(firstFrame, a.UdpSource, relay.Udp);
        Assert.Equal(1, relay.Dropped(RelayDropReason.UnknownSession));
    }

    [Fact]
    public void Session_EndsWhenItsTicketExpires_AndAFresherTicketKeepsItAlive()
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_a");
        var session = a.Connect(["n_b"]);
        relay.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(relay.Core.Renew(session, relay.Ticket(a, ["n_b"])));
        relay.Time.Advance(TimeSpan.FromMinutes(6));
        Assert.False(session.Ended.IsCancellationRequested);
        Assert.Same(session, relay.Core.Find("n_a"));

        relay.Time.Advance(TimeSpan.FromMinutes(4));
        Assert.True(session.Ended.IsCancellationRequested);
        Assert.Equal(StatusCode.FailedPrecondition, session.EndStatus!.Value.StatusCode);
        Assert.Null(relay.Core.Find("n_a"));
        Assert.Equal(0, relay.Core.Counters.SessionsActive);
    }

    [Fact]
    public void Renew_WithAnotherNodesTicket_OrAnotherMachineKey_OrAnOlderTicket_OrAForgedOne_IsRefused()
    {
        using var relay = new TestRelay();
        var a = relay.Node("n_a");
        var b = relay.Node("n_b");
        var session = a.Connect(["n_b"]);
        relay.Time.Advance(TimeSpan.FromSeconds(1));
        using var other = Key.Create(SignatureAlgorithm.Ed25519);

        Assert.Equal(StatusCode.Unauthenticated, relay.Core.Renew(session, relay.Ticket(b, ["n_c"]))!.Value.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, relay.Core.Renew(session, relay.Ticket(a, ["n_c"], machineKey: b.MachinePublicKey))!.Value.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, relay.Core.Renew(session, relay.Ticket(a, ["n_c"], signer: other))!.Value.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, relay.Core.Renew(session, relay.Ticket(a, ["n_c"], issuedMs: relay.NowMs - 2000))!.Value.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, relay.Core.Renew(session, relay.Ticket(a, ["n_c"], issuedMs: relay.NowMs - (long)TimeSpan.FromMinutes(11).TotalMilliseconds))!.Value.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, relay.Core.Renew(session, null)!.Value.StatusCode);
        Assert.False(session.Ended.IsCancellationRequested);
    }
}
