using MeshPorts.Ctl.Cli;
using MeshPorts.Ctl.Transport;

// Before anything else runs: the pin is meshctl's only trust, so the system store is never worth reading.
SystemTrustStore.Skip();

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Let `audit --follow` end its stream cleanly instead of being killed mid-line.
    e.Cancel = true;
    cancel.Cancel();
};

return await CtlApp.RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable, TimeProvider.System, cancel.Token);
