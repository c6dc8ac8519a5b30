using System.Runtime.CompilerServices;

namespace MeshPorts.Contracts.Transport;

/// <summary>32 inline bytes, so a hash lives inside its struct instead of on the heap.</summary>
[InlineArray(32)]
internal struct Bytes32
{
    private byte _element0;
}
