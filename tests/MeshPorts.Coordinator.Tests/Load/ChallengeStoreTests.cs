using MeshPorts.Coordinator.Auth;
using Microsoft.Extensions.Time.Testing;

namespace MeshPorts.Coordinator.Tests.Load;

public sealed class ChallengeStoreTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    private ChallengeStore Store(int perKey = 4, int perSource = 256, int total = 65_536) =>
        new(_time, TimeSpan.FromSeconds(60), perKey, perSource, total);

    private static byte[] Key(byte b) => Enumerable.Repeat(b, 32).ToArray();

    [Fact]
    public void Nonce_IsSingleUseAndBoundToItsKey()
    {
        var store = Store();
        var (nonce, _) = store.Issue(Key(1), "10.0.0.1");
        Assert.False(store.TryConsume(nonce, Key(2)));
        var (again, _) = store.Issue(Key(1), "10.0.0.1");
        Assert.True(store.TryConsume(again, Key(1)));
        Assert.False(store.TryConsume(again, Key(1)));
    }

    [Fact]
    public void Issue_PastThePerKeyBound_DropsThatKeysOldest()
    {
        var store = Store(perKey: 3);
        var nonces = Enumerable.Range(0, 4).Select(_ => store.Issue(Key(1), "10.0.0.1").Nonce).ToList();
        var other = store.Issue(Key(2), "10.0.0.1").Nonce;
        Assert.Equal(4, store.Count);
        Assert.False(store.TryConsume(nonces[0], Key(1)));
        Assert.True(store.TryConsume(nonces[1], Key(1)));
        Assert.True(store.TryConsume(nonces[3], Key(1)));
        Assert.True(store.TryConsume(other, Key(2)));
    }

    [Fact]
    public void Issue_PastThePerSourceBound_DropsThatSourcesOldest_CountingAnIpv6Slash64AsOneSource()
    {
        var store = Store(perSource: 2);
        var first = store.Issue(Key(1), "2001:db8:1:2::1").Nonce;
        var elsewhere = store.Issue(Key(2), "2001:db8:1:3::1").Nonce;
        store.Issue(Key(3), "2001:db8:1:2::2");
        store.Issue(Key(4), "2001:db8:1:2:ffff::9");
        Assert.Equal(3, store.Count);
        Assert.False(store.TryConsume(first, Key(1)));
        Assert.True(store.TryConsume(elsewhere, Key(2)));
    }

    [Fact]
    public void Issue_PastTheGlobalBound_DropsTheOldest()
    {
        var store = Store(total: 10);
        var first = store.Issue(Key(0), "10.0.0.0").Nonce;
        for (byte i = 1; i < 50; i++)
        {
            store.Issue(Key(i), "10.0.0." + i);
        }

        Assert.Equal(10, store.Count);
        Assert.False(store.TryConsume(first, Key(0)));
    }

    [Fact]
    public void ExpiredNonces_AreRefusedAndFreedByTheNextIssue()
    {
        var store = Store();
        var old = Enumerable.Range(0, 50).Select(i => store.Issue(Key((byte)i), "10.0.0.1").Nonce).ToList();
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.False(store.TryConsume(old[^1], Key(49)));
        store.Issue(Key(1), "10.0.0.1");
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void TryConsume_WithAWrongSizedNonce_IsRefused()
    {
        var store = Store();
        Assert.False(store.TryConsume(new byte[1 << 16], Key(1)));
        Assert.False(store.TryConsume([], Key(1)));
    }
}
