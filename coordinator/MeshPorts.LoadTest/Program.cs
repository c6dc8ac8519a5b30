using MeshPorts.LoadTest;
using MeshPorts.LoadTest.Relay;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

// The whole run is bounded so a stuck coordinator cannot keep the benchmark alive forever.
cancel.CancelAfter(TimeSpan.FromMinutes(30));
try
{
    if (args is ["compare", .. var files])
    {
        return await CompareReport.RunAsync(files, Console.Out);
    }

    if (args is ["relay", .. var rest])
    {
        return await new RelayLoadRunner(RelayLoadOptions.Parse(rest), Console.Out).RunAsync(cancel.Token);
    }

    return await new LoadRunner(LoadOptions.Parse(args), Console.Out).RunAsync(cancel.Token);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
