using System.Text;
using MeshPorts.Node.Uapi;

namespace MeshPorts.Fuzz.Targets;

/// <summary>The UAPI set request (`wg set`, `wg setconf`) as any local user with the socket can send it.</summary>
internal static class UapiSet
{
    public static FuzzTarget Target { get; } = new(
        "uapi",
        "a local user: the UAPI socket's set=1 body (node/MeshPorts.Node/Uapi UapiParser)",
        Run,
        Seeds);

    private static void Run(ReadOnlySpan<byte> data)
    {
        var body = Encoding.UTF8.GetString(data);
        UapiParser.TryParseSet(body, out _, out _, out _);
        UapiParser.TryParseSet(body.Split('\n'), out _, out _, out _);
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        const string Key = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a";
        const string Other = "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376";
        string[] bodies =
        [
            $"private_key={Key}\nlisten_port=51820\nfwmark=0\nreplace_peers=true\n",
            $"public_key={Other}\npreshared_key={Key}\nendpoint=[fe80::1%2]:51820\npersistent_keepalive_interval=25\nreplace_allowed_ips=true\nallowed_ip=10.0.0.0/8\nallowed_ip=fd00::/64\n",
            $"public_key={Other}\nendpoint=192.0.2.1:65535\nupdate_only=true\nremove=true\n",
            $"public_key={Other}\nprotocol_version=1\nallowed_ip=0.0.0.0/0\n",
            "listen_port=65536\nbogus=1\n=\nprivate_key=zz\n",
            "endpoint=[::1\nallowed_ip=10.0.0.0/33\n",
        ];
        for (var i = 0; i < bodies.Length; i++)
        {
            yield return ($"body-{i}", Encoding.UTF8.GetBytes(bodies[i]));
        }
    }
}
