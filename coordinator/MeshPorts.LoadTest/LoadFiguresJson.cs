using System.Text.Json.Serialization;

namespace MeshPorts.LoadTest;

/// <summary>Source-generated JSON for <see cref="LoadFigures"/>; NaN is written as "NaN" (a step that did not run).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, IgnoreReadOnlyProperties = true)]
[JsonSerializable(typeof(LoadFigures))]
internal sealed partial class LoadFiguresJson : JsonSerializerContext;
