using System.Net;
using MeshPorts.Node.Routing;
using Xunit;

namespace MeshPorts.Node.Tests.Routing;

public class AllowedIpsTableTests
{
    private sealed class Owner(string name)
    {
        public string Name { get; } = name;

        public override string ToString() => Name;
    }

    private static T? Lookup<T>(AllowedIpsTable<T> table, string address)
        where T : class => table.Lookup(IPAddress.Parse(address).GetAddressBytes());

    // The table every LPM case below runs against: nested and sibling prefixes in both families.
    private static (AllowedIpsTable<Owner> Table, Dictionary<string, Owner> Owners) BuildOverlapping()
    {
        var owners = new Dictionary<string, Owner>();
        var table = new AllowedIpsTable<Owner>();
        void Add(string prefix, string owner)
        {
            if (!owners.TryGetValue(owner, out var o))
            {
                o = new Owner(owner);
                owners[owner] = o;
            }

            table.Insert(IpPrefix.Parse(prefix), o);
        }

        Add("0.0.0.0/0", "default4");
        Add("10.0.0.0/8", "a");
        Add("10.1.0.0/16", "b");
        Add("10.1.2.0/24", "c");
        Add("10.1.2.3/32", "d");
        Add("10.128.0.0/9", "e");
        Add("192.168.0.0/16", "f");
        Add("192.168.1.0/24", "g");
        Add("::/0", "default6");
        Add("fd00::/8", "h");
        Add("fd00:1::/32", "i");
        Add("fd00:1:2::/48", "j");
        Add("fd00:1:2::1/128", "k");
        Add("2001:db8::/32", "l");
        return (table, owners);
    }

    [Theory]
    [InlineData("10.1.2.3", "d")]
    [InlineData("10.1.2.4", "c")]
    [InlineData("10.1.3.1", "b")]
    [InlineData("10.2.0.1", "a")]
    [InlineData("10.127.255.255", "a")]
    [InlineData("10.128.0.0", "e")]
    [InlineData("10.255.255.255", "e")]
    [InlineData("11.0.0.1", "default4")]
    [InlineData("192.168.1.1", "g")]
    [InlineData("192.168.2.1", "f")]
    [InlineData("255.255.255.255", "default4")]
    [InlineData("0.0.0.0", "default4")]
    [InlineData("fd00:1:2::1", "k")]
    [InlineData("fd00:1:2::2", "j")]
    [InlineData("fd00:1:3::1", "i")]
    [InlineData("fd00:2::1", "h")]
    [InlineData("fdff:ffff::1", "h")]
    [InlineData("2001:db8:1::1", "l")]
    [InlineData("2001:db9::1", "default6")]
    [InlineData("::1", "default6")]
    [InlineData("::ffff:10.1.2.3", "default6")]
    public void Lookup_OverlappingPrefixes_ReturnsLongestMatch(string address, string expected)
    {
        var (table, _) = BuildOverlapping();
        Assert.Equal(expected, Lookup(table, address)?.Name);
    }

    [Fact]
    public void Lookup_EmptyTable_ReturnsNull()
    {
        var table = new AllowedIpsTable<Owner>();
        Assert.Null(Lookup(table, "10.0.0.1"));
        Assert.Null(Lookup(table, "fd00::1"));
    }

    [Fact]
    public void Lookup_FamiliesAreSeparate()
    {
        var table = new AllowedIpsTable<Owner>();
        var v4 = new Owner("v4");
        table.Insert(IpPrefix.Parse("0.0.0.0/0"), v4);
        Assert.Same(v4, Lookup(table, "1.2.3.4"));
        Assert.Null(Lookup(table, "::"));
        Assert.Null(Lookup(table, "::ffff:1.2.3.4"));
    }

    [Fact]
    public void Lookup_WrongAddressLength_Throws()
    {
        var table = new AllowedIpsTable<Owner>();
        Assert.Throws<ArgumentException>(() => table.Lookup(new byte[5]));
    }

    [Fact]
    public void Insert_SamePrefixForAnotherOwner_MovesIt()
    {
        var table = new AllowedIpsTable<Owner>();
        var a = new Owner("a");
        var b = new Owner("b");
        table.Insert(IpPrefix.Parse("10.0.0.0/24"), a);
        table.Insert(IpPrefix.Parse("10.0.0.77/24"), b);
        Assert.Same(b, Lookup(table, "10.0.0.1"));
        Assert.Empty(table.EnumerateFor(a));
        Assert.Equal([IpPrefix.Parse("10.0.0.0/24")], table.EnumerateFor(b));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Insert_SamePrefixTwiceForOneOwner_IsListedOnce()
    {
        var table = new AllowedIpsTable<Owner>();
        var a = new Owner("a");
        table.Insert(IpPrefix.Parse("fd00::/64"), a);
        table.Insert(IpPrefix.Parse("fd00::/64"), a);
        Assert.Single(table.EnumerateFor(a));
    }

    [Fact]
    public void Remove_OnlyByTheOwner_AndUncoversShorterPrefix()
    {
        var (table, owners) = BuildOverlapping();
        Assert.False(table.Remove(IpPrefix.Parse("10.1.2.0/24"), owners["b"]));
        Assert.Equal("c", Lookup(table, "10.1.2.4")?.Name);
        Assert.True(table.Remove(IpPrefix.Parse("10.1.2.0/24"), owners["c"]));
        Assert.Equal("b", Lookup(table, "10.1.2.4")?.Name);
        Assert.Equal("d", Lookup(table, "10.1.2.3")?.Name);
        Assert.False(table.Remove(IpPrefix.Parse("10.1.2.0/24"), owners["c"]));
        Assert.True(table.Remove(IpPrefix.Parse("0.0.0.0/0"), owners["default4"]));
        Assert.Null(Lookup(table, "11.0.0.1"));
        Assert.True(table.Remove(IpPrefix.Parse("fd00:1:2::1/128"), owners["k"]));
        Assert.Equal("j", Lookup(table, "fd00:1:2::1")?.Name);
    }

    [Fact]
    public void RemoveAll_DropsEveryPrefixOfOneOwnerOnly()
    {
        var table = new AllowedIpsTable<Owner>();
        var a = new Owner("a");
        var b = new Owner("b");
        table.Insert(IpPrefix.Parse("10.0.0.0/8"), a);
        table.Insert(IpPrefix.Parse("10.1.0.0/16"), b);
        table.Insert(IpPrefix.Parse("10.1.1.0/24"), a);
        table.Insert(IpPrefix.Parse("fd00::/8"), a);
        Assert.Equal(3, table.RemoveAll(a));
        Assert.Equal(0, table.RemoveAll(a));
        Assert.Null(Lookup(table, "10.2.0.0"));
        Assert.Same(b, Lookup(table, "10.1.1.1"));
        Assert.Null(Lookup(table, "fd00::1"));
        Assert.Empty(table.EnumerateFor(a));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void EnumerateFor_ListsPrefixesInInsertionOrder()
    {
        var table = new AllowedIpsTable<Owner>();
        var a = new Owner("a");
        string[] prefixes = ["10.9.0.0/16", "fd00::/64", "10.0.0.0/8", "192.0.2.1/32", "::/0"];
        foreach (var p in prefixes)
        {
            table.Insert(IpPrefix.Parse(p), a);
        }

        Assert.Equal(prefixes, table.EnumerateFor(a).Select(p => p.ToString()));
    }

    [Fact]
    public void Clear_EmptiesBothFamilies()
    {
        var (table, _) = BuildOverlapping();
        table.Clear();
        Assert.Null(Lookup(table, "10.1.2.3"));
        Assert.Null(Lookup(table, "fd00::1"));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Lookup_DoesNotAllocate()
    {
        var (table, _) = BuildOverlapping();
        var v4 = IPAddress.Parse("10.1.2.4").GetAddressBytes();
        var v6 = IPAddress.Parse("fd00:1:2::2").GetAddressBytes();
        Assert.NotNull(table.Lookup(v4));
        Assert.NotNull(table.Lookup(v6));
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            table.Lookup(v4);
            table.Lookup(v6);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(16, 2)]
    public void Lookup_RandomPrefixes_AgreesWithLinearScan(int addressBytes, int seed)
    {
        var random = new Random(seed);
        var table = new AllowedIpsTable<Owner>();
        var owners = Enumerable.Range(0, 64).Select(i => new Owner("o" + i)).ToArray();
        var reference = new Dictionary<IpPrefix, Owner>();
        var maxLength = addressBytes * 8;

        // Cluster addresses under a few roots so prefixes really overlap and nest.
        var roots = Enumerable.Range(0, 8).Select(_ => RandomBytes(random, addressBytes)).ToArray();
        IpPrefix RandomPrefix()
        {
            var bytes = (byte[])roots[random.Next(roots.Length)].Clone();
            var flip = random.Next(maxLength);
            bytes[flip / 8] ^= (byte)(0x80 >> (flip % 8));
            return IpPrefix.Create(bytes, random.Next(maxLength + 1));
        }

        for (var i = 0; i < 5000; i++)
        {
            var prefix = RandomPrefix();
            var owner = owners[random.Next(owners.Length)];
            if (random.Next(4) == 0 && reference.Count > 0)
            {
                // Remove an existing prefix (by its owner) or try a wrong owner, which must be a no-op.
                var victim = reference.ElementAt(random.Next(reference.Count));
                var byOwner = random.Next(2) == 0;
                var removed = table.Remove(victim.Key, byOwner ? victim.Value : new Owner("stranger"));
                Assert.Equal(byOwner, removed);
                if (byOwner)
                {
                    reference.Remove(victim.Key);
                }
            }
            else
            {
                table.Insert(prefix, owner);
                reference[prefix] = owner;
            }
        }

        for (var i = 0; i < 5000; i++)
        {
            var address = (byte[])roots[random.Next(roots.Length)].Clone();
            for (var flips = random.Next(4); flips > 0; flips--)
            {
                var bit = random.Next(maxLength);
                address[bit / 8] ^= (byte)(0x80 >> (bit % 8));
            }

            if (random.Next(10) == 0)
            {
                address = RandomBytes(random, addressBytes);
            }

            Owner? expected = null;
            var best = -1;
            foreach (var (prefix, owner) in reference)
            {
                if (prefix.Length > best && prefix.Contains(address))
                {
                    best = prefix.Length;
                    expected = owner;
                }
            }

            Assert.Same(expected, table.Lookup(address));
        }

        var counted = owners.Sum(o => table.EnumerateFor(o).Count);
        Assert.Equal(reference.Count, counted);
        Assert.Equal(reference.Count, table.Count);
        foreach (var owner in owners)
        {
            Assert.Equal(
                reference.Where(kv => kv.Value == owner).Select(kv => kv.Key).OrderBy(p => p.ToString()),
                table.EnumerateFor(owner).OrderBy(p => p.ToString()));
        }
    }

    [Fact]
    public async Task Lookup_DuringConcurrentWrites_AlwaysSeesAConsistentTable()
    {
        // The /8 stays put while a writer churns longer prefixes under it; a reader must always find
        // either the /8 or one of the churned owners, never nothing.
        var table = new AllowedIpsTable<Owner>();
        var stable = new Owner("stable");
        var churn = new Owner("churn");
        table.Insert(IpPrefix.Parse("10.0.0.0/8"), stable);
        // A fixed amount of churn on a thread of its own, not a time window on the thread pool: on a
        // loaded 2-core machine a pool thread may barely run in a few hundred milliseconds.
        const int Writes = 5_000;
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var writerThread = new Thread(() =>
        {
            var random = new Random(3);
            for (var writes = 1; writes <= Writes; writes++)
            {
                var prefix = IpPrefix.Create([10, (byte)random.Next(256), (byte)random.Next(256), 0], 9 + random.Next(16));
                table.Insert(prefix, churn);
                if (random.Next(2) == 0)
                {
                    table.Remove(prefix, churn);
                }

                if (writes % 500 == 0)
                {
                    table.RemoveAll(churn);
                }
            }

            done.SetResult(Writes);
        })
        {
            IsBackground = true,
        };
        writerThread.Start();
        var writer = done.Task;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var misses = 0;
        long lookups = 0;
        var address = new byte[] { 10, 0, 0, 1 };
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "the writer did not finish its churn within 60 s");
            for (var i = 0; i < 1000; i++)
            {
                address[1] = (byte)i;
                address[2] = (byte)(i >> 2);
                if (table.Lookup(address) is null)
                {
                    misses++;
                }

                lookups++;
            }
        }
        while (!writer.IsCompleted);

        Assert.Equal(Writes, await writer);
        Assert.True(lookups >= 1000);
        Assert.Equal(0, misses);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
