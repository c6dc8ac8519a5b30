using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace MeshPorts.Contracts.Logging;

/// <summary>Puts every MeshPorts program's console log through <see cref="LineFormatter"/>.</summary>
public static class LineLogging
{
    /// <summary>
    /// Console logging, one line per event, to stderr when <paramref name="toStandardError"/> (the node: stdout
    /// carries command output) or stdout (the coordinator, a service). Stack traces at debug level and below.
    /// </summary>
    public static ILoggingBuilder AddLineConsole(this ILoggingBuilder builder, LogLevel minimumLevel, bool toStandardError, bool color, Func<string, string?> getEnvironment)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(getEnvironment);
        var journal = !string.IsNullOrEmpty(getEnvironment("JOURNAL_STREAM"));
        var options = new LineFormatterOptions { StackTraces = minimumLevel <= LogLevel.Debug, Journal = journal, Color = color && !journal };
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter>(new LineFormatter(options)));
        return builder.AddConsole(o =>
        {
            o.FormatterName = LineFormatter.FormatterName;
            o.LogToStandardErrorThreshold = toStandardError ? LogLevel.Trace : LogLevel.None;
        });
    }

    /// <summary>
    /// The <c>LOG_LEVEL</c> environment variable every MeshPorts program reads (wireguard-go's words, plus
    /// trace and warn): unset means info.
    /// </summary>
    public static bool TryParseLevel(string? value, out LogLevel level)
    {
        level = value?.Trim().ToUpperInvariant() switch
        {
            null or "" or "INFO" => LogLevel.Information,
            "VERBOSE" or "DEBUG" => LogLevel.Debug,
            "TRACE" => LogLevel.Trace,
            "WARN" or "WARNING" => LogLevel.Warning,
            "ERROR" => LogLevel.Error,
            "SILENT" or "NONE" => LogLevel.None,
            _ => (LogLevel)(-1),
        };
        return level >= LogLevel.Trace;
    }

    public const string LevelWords = "verbose, debug, info, warn, error, silent";
}
