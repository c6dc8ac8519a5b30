namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>
/// The demo's mesh: a coordinator on the LAN; "db" (tag prod) exposing an echo service on
/// 127.0.0.1:5432 as 5432/tcp; "laptop" (user alice) and "ci" (tag ci) joined, every node following
/// the coordinator. No grant exists yet.
/// </summary>
internal sealed class OfficeMesh : IAsyncDisposable
{
    public const int DbPort = 5432;

    private OfficeMesh(MeshNetwork network, MeshNode db, MeshNode laptop, MeshNode? ci, EchoServer dbService, string dbOverlay)
    {
        Network = network;
        Db = db;
        Laptop = laptop;
        Ci = ci;
        DbService = dbService;
        DbOverlay = dbOverlay;
    }

    public MeshNetwork Network { get; }

    public MeshNode Db { get; }

    public MeshNode Laptop { get; }

    public MeshNode? Ci { get; }

    public EchoServer DbService { get; }

    public string DbOverlay { get; }

    public Meshctl Meshctl => Network.Meshctl;

    /// <param name="withCi">Whether to join "ci" too.</param>
    /// <param name="extraExpose">More `--expose` values for db (e.g. "5201/tcp" for iperf3).</param>
    /// <param name="dbUpArgs">More `up` options for db (e.g. --metrics-listen).</param>
    public static async Task<OfficeMesh> StartAsync(CancellationToken ct, bool withCi = true, IReadOnlyList<string>? extraExpose = null, IReadOnlyList<string>? dbUpArgs = null)
    {
        var network = await MeshNetwork.CreateAsync(withCi ? ["db", "laptop", "ci"] : ["db", "laptop"], ct);
        try
        {
            await network.StartCoordinatorAsync(ct);
            var service = await EchoServer.StartAsync(network, network.Host("db"), DbPort, ct);
            var db = await network.StartNodeAsync("db", ct, tags: ["prod"], expose: ["5432/tcp", .. extraExpose ?? []], upArgs: dbUpArgs);
            var laptop = await network.StartNodeAsync("laptop", ct, user: "alice");
            var ci = withCi ? await network.StartNodeAsync("ci", ct, tags: ["ci"]) : null;
            var dbStatus = await db.WaitConnectedAsync(ct);
            await laptop.WaitConnectedAsync(ct);
            if (ci is not null)
            {
                await ci.WaitConnectedAsync(ct);
            }

            return new OfficeMesh(network, db, laptop, ci, service, dbStatus.OverlayIp);
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    public string Logs() => Network.Logs();

    public ValueTask DisposeAsync() => Network.DisposeAsync();
}
