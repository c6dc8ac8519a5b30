return await MeshPorts.Coordinator.Hosting.CoordinatorProgram.RunAsync(args);
