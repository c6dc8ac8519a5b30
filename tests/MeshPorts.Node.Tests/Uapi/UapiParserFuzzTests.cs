using System.Diagnostics;
using System.Text;
using MeshPorts.Node.Uapi;
using Xunit;

namespace MeshPorts.Node.Tests.Uapi;

public class UapiParserFuzzTests
{
    private static readonly string[] Seeds =
    [
        "private_key=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "listen_port=51820",
        "fwmark=7",
        "replace_peers=true",
        "public_key=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "preshared_key=0000000000000000000000000000000000000000000000000000000000000000",
        "endpoint=192.0.2.1:51820",
        "endpoint=[2001:db8::1%1]:51820",
        "persistent_keepalive_interval=25",
        "replace_allowed_ips=true",
        "allowed_ip=10.0.0.0/24",
        "allowed_ip=fd00::/64",
        "remove=true",
        "update_only=true",
        "protocol_version=1",
    ];

    [Fact]
    public void TryParseSet_RandomAndMutatedInput_NeverThrows()
    {
        var random = new Random(20261129);
        var clock = Stopwatch.StartNew();
        var iterations = 0;
        var accepted = 0;
        var rejected = 0;
        const string alphabet = "=\n[]:%/.-+0123456789abcdefxyz_ \t\r\0\u00ff\u2028";
        while (iterations < 100_000 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var lines = new List<string>();
            for (var n = random.Next(8); n > 0; n--)
            {
                lines.Add(Seeds[random.Next(Seeds.Length)]);
            }

            var text = new StringBuilder(string.Join('\n', lines));
            for (var m = random.Next(4); m > 0; m--)
            {
                var pos = random.Next(text.Length + 1);
                switch (random.Next(4))
                {
                    case 0 when text.Length > 0 && pos < text.Length:
                        text.Remove(pos, Math.Min(random.Next(1, 8), text.Length - pos));
                        break;
                    case 1:
                        text.Insert(pos, alphabet[random.Next(alphabet.Length)]);
                        break;
                    case 2 when text.Length > 0 && pos < text.Length:
                        text[pos] = alphabet[random.Next(alphabet.Length)];
                        break;
                    default:
                        var seed = Seeds[random.Next(Seeds.Length)];
                        text.Insert(pos, seed[..random.Next(Math.Min(10, seed.Length) + 1)]);
                        break;
                }
            }

            if (random.Next(20) == 0)
            {
                var bytes = new byte[random.Next(200)];
                random.NextBytes(bytes);
                text.Clear().Append(Encoding.Latin1.GetString(bytes));
            }

            var ok = UapiParser.TryParseSet(text.ToString(), out var request, out var errno, out var error);
            if (ok)
            {
                Assert.NotNull(request);
                Assert.Equal(0, errno);
                accepted++;
            }
            else
            {
                Assert.Null(request);
                Assert.True(errno is UapiErrno.Invalid or UapiErrno.Protocol, $"unexpected errno {errno}");
                Assert.False(string.IsNullOrEmpty(error));
                rejected++;
            }

            iterations++;
        }

        Assert.True(iterations >= 10_000, $"only {iterations} iterations ran in the time budget");

        // The corpus must exercise both outcomes, or the fuzzer is not testing anything.
        Assert.True(accepted > iterations / 100, $"accepted {accepted} of {iterations}");
        Assert.True(rejected > iterations / 100, $"rejected {rejected} of {iterations}");
    }
}
