return await MeshPorts.RelayHost.Hosting.RelayProgram.RunAsync(args);
