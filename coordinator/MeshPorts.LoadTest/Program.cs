using MeshPorts.LoadTest;

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

// The whole run is bounded so a stuck coordinator cannot keep the benchmark alive forever.
cancel.CancelAfter(TimeSpan.FromMinutes(30));
return await new LoadRunner(options, Console.Out).RunAsync(cancel.Token);
