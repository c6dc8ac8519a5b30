using MeshPorts.WireGuard.Cookies;
using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Messages;
using MeshPorts.WireGuard.RateLimiting;
using MeshPorts.WireGuard.Tests.Harness;

namespace MeshPorts.WireGuard.Tests.Cookies;

public class CookieTests
{
    private const long Second = TimeSpan.TicksPerSecond;

    private static (CookieChecker Checker, CookieGenerator Generator, byte[] Message) Setup()
    {
        var responderPublic = WgKey.GeneratePrivate().PublicFromPrivate();
        var checker = new CookieChecker();
        checker.Initialize(responderPublic.AsSpan());
        var generator = new CookieGenerator(responderPublic.AsSpan());
        var message = new byte[MessageLayout.InitiationSize];
        Random.Shared.NextBytes(message.AsSpan(0, MessageLayout.InitiationMac1));
        return (checker, generator, message);
    }

    [Fact]
    public void Mac1_FromGenerator_IsAcceptedByChecker_AndAnyFlipIsNot()
    {
        var (checker, generator, message) = Setup();
        generator.AddMacs(message, MessageLayout.InitiationMac1, 0);
        Assert.True(checker.CheckMac1(message, MessageLayout.InitiationMac1));

        message[10] ^= 1;
        Assert.False(checker.CheckMac1(message, MessageLayout.InitiationMac1));
    }

    [Fact]
    public void CookieReply_WhenConsumed_MakesMac2Valid_FromThatSourceOnly()
    {
        var (checker, generator, message) = Setup();
        var source = TestNetwork.Endpoint("198.51.100.7:4000");
        var now = 1000 * Second;
        generator.AddMacs(message, MessageLayout.InitiationMac1, now);
        Assert.False(checker.CheckMac2(message, MessageLayout.InitiationMac2, source, now));

        var reply = new byte[MessageLayout.CookieReplySize];
        checker.CreateReply(message, MessageLayout.InitiationMac1, 42, source, now, reply);
        Assert.Equal(3, reply[0]);
        Assert.True(generator.ConsumeReply(reply, now));

        generator.AddMacs(message, MessageLayout.InitiationMac1, now + Second);
        Assert.True(checker.CheckMac2(message, MessageLayout.InitiationMac2, source, now + Second));
        Assert.False(checker.CheckMac2(message, MessageLayout.InitiationMac2, TestNetwork.Endpoint("198.51.100.7:4001"), now + Second));
        Assert.False(checker.CheckMac2(message, MessageLayout.InitiationMac2, TestNetwork.Endpoint("198.51.100.8:4000"), now + Second));
    }

    [Fact]
    public void CookieReply_SealedToAnotherMac1_IsRejected()
    {
        var (checker, generator, message) = Setup();
        var source = TestNetwork.Endpoint("198.51.100.7:4000");
        generator.AddMacs(message, MessageLayout.InitiationMac1, 0);
        var reply = new byte[MessageLayout.CookieReplySize];
        checker.CreateReply(message, MessageLayout.InitiationMac1, 1, source, 0, reply);

        // A newer initiation was sent meanwhile, so the reply no longer matches our last mac1.
        message[20] ^= 0xff;
        generator.AddMacs(message, MessageLayout.InitiationMac1, 0);
        Assert.False(generator.ConsumeReply(reply, 0));
    }

    [Fact]
    public void Handshake_WithExpiredCookie_DoesNotCarryMac2()
    {
        var (checker, generator, message) = Setup();
        var source = TestNetwork.Endpoint("198.51.100.7:4000");
        var reply = new byte[MessageLayout.CookieReplySize];
        generator.AddMacs(message, MessageLayout.InitiationMac1, 0);
        checker.CreateReply(message, MessageLayout.InitiationMac1, 1, source, 0, reply);
        Assert.True(generator.ConsumeReply(reply, 0));

        Assert.True(generator.HasFreshCookie(119 * Second));
        Assert.False(generator.HasFreshCookie(121 * Second));
        generator.AddMacs(message, MessageLayout.InitiationMac1, 121 * Second);
        Assert.All(message[MessageLayout.InitiationMac2..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void SecretRotation_After120Seconds_InvalidatesCookiesIssuedBefore()
    {
        var (checker, generator, message) = Setup();
        var source = TestNetwork.Endpoint("198.51.100.7:4000");
        var reply = new byte[MessageLayout.CookieReplySize];
        generator.AddMacs(message, MessageLayout.InitiationMac1, 0);
        checker.CreateReply(message, MessageLayout.InitiationMac1, 1, source, 0, reply);
        Assert.True(generator.ConsumeReply(reply, 0));
        generator.AddMacs(message, MessageLayout.InitiationMac1, 100 * Second);
        Assert.True(checker.CheckMac2(message, MessageLayout.InitiationMac2, source, 100 * Second));

        // Past the refresh time the checker refuses, and a new reply rotates the secret.
        Assert.False(checker.CheckMac2(message, MessageLayout.InitiationMac2, source, 121 * Second));
        var newReply = new byte[MessageLayout.CookieReplySize];
        checker.CreateReply(message, MessageLayout.InitiationMac1, 1, source, 121 * Second, newReply);
        Assert.False(checker.CheckMac2(message, MessageLayout.InitiationMac2, source, 122 * Second));

        Assert.True(generator.ConsumeReply(newReply, 121 * Second));
        generator.AddMacs(message, MessageLayout.InitiationMac1, 122 * Second);
        Assert.True(checker.CheckMac2(message, MessageLayout.InitiationMac2, source, 122 * Second));
    }

    [Fact]
    public void RateLimiter_DropsAFloodFromOneSource_ButNotFromAnother()
    {
        var limiter = new HandshakeRateLimiter();
        var flooder = TestNetwork.Endpoint("203.0.113.1:1000");
        var other = TestNetwork.Endpoint("203.0.113.2:1000");
        var now = 50 * Second;

        var allowed = 0;
        for (var i = 0; i < 100; i++)
        {
            if (limiter.Allow(flooder, now))
            {
                allowed++;
            }
        }

        Assert.Equal(Constants.RateLimitBurst, allowed);
        Assert.True(limiter.Allow(other, now));

        // Tokens refill at 20 per second: 50 ms buys exactly one more.
        Assert.False(limiter.Allow(flooder, now + (Second / 100)));
        Assert.True(limiter.Allow(flooder, now + (Second / 20) + (Second / 100)));
    }

    [Fact]
    public void RateLimiter_TreatsAWholeIpv6Slash64AsOneSource()
    {
        var limiter = new HandshakeRateLimiter();
        for (var i = 0; i < Constants.RateLimitBurst; i++)
        {
            Assert.True(limiter.Allow(TestNetwork.Endpoint($"[2001:db8::{i + 1}]:1000"), 0));
        }

        Assert.False(limiter.Allow(TestNetwork.Endpoint("[2001:db8::ffff]:1000"), 0));
        Assert.True(limiter.Allow(TestNetwork.Endpoint("[2001:db8:0:1::1]:1000"), 0));
    }

    [Fact]
    public void RateLimiter_ForgetsIdleSources()
    {
        var limiter = new HandshakeRateLimiter();
        limiter.Allow(TestNetwork.Endpoint("203.0.113.1:1000"), 10 * Second);
        Assert.Equal(1, limiter.Count);
        limiter.Collect(13 * Second);
        Assert.Equal(0, limiter.Count);
    }
}
