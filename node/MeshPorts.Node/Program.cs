using MeshPorts.Node.Cli;


return await NodeCli.RunAsync(args).ConfigureAwait(false);
