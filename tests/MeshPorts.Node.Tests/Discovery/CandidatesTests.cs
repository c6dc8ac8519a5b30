using System.Net;
using MeshPorts.Node.Discovery;

namespace MeshPorts.Node.Tests.Discovery;

public sealed class CandidatesTests
{
    private static IPEndPoint Ep(string text) => IPEndPoint.Parse(text);

    [Fact]
    public void Build_PutsEndpointThenReflexiveThenLocal()
    {
        var candidates = Candidates.Build(["192.0.2.10:51820"], [Ep("203.0.113.5:40001")], ["10.0.0.7:51820", "[2001:db8::7]:51820"]);

        Assert.Equal(["192.0.2.10:51820", "203.0.113.5:40001", "10.0.0.7:51820", "[2001:db8::7]:51820"], candidates);
    }

    [Fact]
    public void Build_SameAddressTwice_IsKeptOnceWhereItCameFirst()
    {
        // A host with a public address: STUN sees it at its own address and port.
        var candidates = Candidates.Build([], [Ep("198.51.100.4:51820"), Ep("198.51.100.4:51820"), Ep("[::ffff:198.51.100.4]:51820")], ["198.51.100.4:51820", "10.0.0.7:51820"]);

        Assert.Equal(["198.51.100.4:51820", "10.0.0.7:51820"], candidates);
    }

    [Fact]
    public void Build_ManyAddresses_StopsAtSixteenKeepingTheFirst()
    {
        var local = Enumerable.Range(1, 30).Select(i => $"10.0.0.{i}:51820").ToList();

        var candidates = Candidates.Build(["192.0.2.10:51820"], [Ep("203.0.113.5:40001")], local);

        Assert.Equal(16, candidates.Count);
        Assert.Equal(["192.0.2.10:51820", "203.0.113.5:40001", "10.0.0.1:51820"], candidates.Take(3));
        Assert.Equal("10.0.0.14:51820", candidates[^1]);
    }

    [Fact]
    public void Build_WhatTheCoordinatorWouldRefuse_IsLeftOut_SoOneBadAnswerCannotSinkTheReport()
    {
        var candidates = Candidates.Build(
            ["not an endpoint"],
            [Ep("0.0.0.0:40000"), Ep("224.0.0.1:40000"), Ep("255.255.255.255:40000"), Ep("[::]:40000"), Ep("[ff02::1]:40000"), Ep("[fe80::1%2]:40000"), Ep("203.0.113.5:40001")],
            ["10.0.0.7:0", "10.0.0.7:51820"]);

        Assert.Equal(["203.0.113.5:40001", "10.0.0.7:51820"], candidates);
    }

    [Fact]
    public void LooksSymmetric_DifferentPortsInOneFamily_IsSymmetric_OtherwiseNot()
    {
        var a = Ep("192.0.2.1:3478");
        var b = Ep("192.0.2.2:3478");
        var c = Ep("[2001:db8::1]:3478");

        Assert.True(Candidates.LooksSymmetric([new(a, Ep("203.0.113.5:40001")), new(b, Ep("203.0.113.5:40002"))]));
        Assert.False(Candidates.LooksSymmetric([new(a, Ep("203.0.113.5:40001")), new(b, Ep("203.0.113.5:40001"))]));
        Assert.False(Candidates.LooksSymmetric([new(a, Ep("203.0.113.5:40001")), new(c, Ep("[2001:db8::5]:51820"))]));
        Assert.False(Candidates.LooksSymmetric([new(a, Ep("203.0.113.5:40001")), new(b, null)]));
    }
}
