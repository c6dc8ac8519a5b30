using MeshPorts.Node.Packets;
using static MeshPorts.Node.Tests.Io.Offload.OffloadPackets;

namespace MeshPorts.Node.Tests.Io.Offload;

public class InternetChecksumTests
{
    [Fact]
    public void Rfc1071Example_SumsTo0xDDF2()
    {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 with the carries folded in.
        byte[] data = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7];
        Assert.Equal(0xDDF2u, InternetChecksum.Add(0, data));
        Assert.Equal(0x220D, InternetChecksum.Finish(InternetChecksum.Add(0, data)));
    }

    [Fact]
    public void SmallHandComputedVectors()
    {
        Assert.Equal(0u, InternetChecksum.Add(0, ReadOnlySpan<byte>.Empty));
        Assert.Equal(0xAB00u, InternetChecksum.Add(0, [0xAB]));
        Assert.Equal(0xAB01u, InternetChecksum.Add(1, [0xAB]));

        // 0xFFFF + 0x0001 = 0x10000 -> end-around carry -> 0x0001.
        Assert.Equal(0x0001u, InternetChecksum.Add(0, [0xFF, 0xFF, 0x00, 0x01]));
        Assert.Equal(0x0002u, InternetChecksum.Add(0xFFFF, (ushort)0x0002));
        Assert.Equal(0x1234u, InternetChecksum.Add(0x1200, (ushort)0x0034));
        Assert.Equal(0xFFFF, InternetChecksum.Finish(0));
        Assert.Equal(0x0000, InternetChecksum.Finish(0xFFFF));
        Assert.Equal(0xEDCB, InternetChecksum.Finish(0x1234));
    }

    [Fact]
    public void RandomData_EveryLengthTo3000_MatchesReference_AtEveryAlignment()
    {
        var random = new Random(1071);
        var buffer = new byte[3000 + 8];
        random.NextBytes(buffer);
        for (var length = 0; length <= 3000; length++)
        {
            var offset = length % 8; // misaligned starts exercise the unaligned word reads
            var data = buffer.AsSpan(offset, length);
            var start = (uint)random.Next(0, 0x10000);
            Assert.True(RefSum(data) == InternetChecksum.Add(0, data), $"length {length}, offset {offset}");
            Assert.True(RefSum(data, start) == InternetChecksum.Add(start, data), $"length {length}, start {start:x4}");
        }
    }

    [Fact]
    public void AllOnesAndAllZeroData_MatchReference()
    {
        for (var length = 0; length <= 70; length++)
        {
            var ones = Enumerable.Repeat((byte)0xFF, length).ToArray();
            var zeros = new byte[length];
            Assert.Equal(RefSum(ones), InternetChecksum.Add(0, ones));
            Assert.Equal(RefSum(zeros), InternetChecksum.Add(0, zeros));
            Assert.Equal(RefSum(zeros, 0xFFFF), InternetChecksum.Add(0xFFFF, zeros));
        }
    }

    [Fact]
    public void ChainedSums_OverEvenChunks_EqualTheSumOfTheWhole()
    {
        var random = new Random(99);
        for (var round = 0; round < 200; round++)
        {
            var data = new byte[random.Next(0, 2500)];
            random.NextBytes(data);
            uint sum = 0;
            var at = 0;
            while (at < data.Length)
            {
                // Every chunk but the last has an even length, as the contract requires.
                var chunk = Math.Min(data.Length - at, random.Next(0, 200) * 2);
                sum = InternetChecksum.Add(sum, data.AsSpan(at, chunk));
                at += chunk;
            }

            Assert.Equal(RefSum(data), sum);

            // Big-endian words added one by one chain the same way.
            uint words = 0;
            for (var i = 0; i + 1 < data.Length; i += 2)
            {
                words = InternetChecksum.Add(words, (ushort)((data[i] << 8) | data[i + 1]));
            }

            if (data.Length % 2 == 1)
            {
                words = InternetChecksum.Add(words, (ushort)(data[^1] << 8));
            }

            Assert.Equal(RefSum(data), words);
        }
    }

    [Fact]
    public void FinishedChecksum_MakesTheDataSumToAllOnes()
    {
        var random = new Random(7);
        for (var round = 0; round < 300; round++)
        {
            var data = new byte[2 + (random.Next(0, 800) * 2)];
            random.NextBytes(data);
            data[0] = 0;
            data[1] = 0;
            var checksum = InternetChecksum.Finish(InternetChecksum.Add(0, data));
            data[0] = (byte)(checksum >> 8);
            data[1] = (byte)checksum;
            Assert.Equal(0xFFFFu, RefSum(data));
        }
    }

    [Fact]
    public void PseudoHeader_IPv4_MatchesTheReferenceOverTheBytes()
    {
        var random = new Random(4);
        for (var round = 0; round < 200; round++)
        {
            var source = RandomBytes(4, random.Next());
            var destination = RandomBytes(4, random.Next());
            var length = random.Next(0, 0x10000);
            var protocol = round % 2 == 0 ? (byte)6 : (byte)17;
            Assert.Equal(RefPseudo(source, destination, protocol, length), InternetChecksum.PseudoHeader(source, destination, protocol, length));
        }

        // By hand: 0a00+0001 + 0a00+0002 + 0006 + 0014 = 0x141D.
        Assert.Equal(0x141Du, InternetChecksum.PseudoHeader([10, 0, 0, 1], [10, 0, 0, 2], 6, 20));
    }

    [Fact]
    public void PseudoHeader_IPv6_MatchesTheReferenceOverTheBytes()
    {
        var random = new Random(6);
        for (var round = 0; round < 200; round++)
        {
            var source = RandomBytes(16, random.Next());
            var destination = RandomBytes(16, random.Next());
            var length = random.Next(0, 0x10000);
            var protocol = round % 2 == 0 ? (byte)6 : (byte)17;
            Assert.Equal(RefPseudo(source, destination, protocol, length), InternetChecksum.PseudoHeader(source, destination, protocol, length));
        }

        Assert.Equal(RefPseudo(Src6, Dst6, 6, 1432), InternetChecksum.PseudoHeader(Src6, Dst6, 6, 1432));
    }
}
