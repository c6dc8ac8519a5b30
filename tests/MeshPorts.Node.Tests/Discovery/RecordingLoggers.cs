using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Tests.Discovery;

/// <summary>A logger factory that keeps every message, to check what is logged and how often.</summary>
internal sealed class RecordingLoggers : ILoggerFactory, ILoggerProvider, ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public int Count(string contains) => Entries.Count(e => e.Message.Contains(contains, StringComparison.Ordinal));

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));

    public void Dispose()
    {
    }
}
