// The pin type moved to Contracts so the node daemon shares it; meshctl's config code keeps naming it unqualified.
global using MeshPorts.Contracts.Transport;
