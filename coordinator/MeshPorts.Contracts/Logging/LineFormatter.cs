using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace MeshPorts.Contracts.Logging;

/// <summary>
/// One line per event for all three programs, so a log reads the same whoever wrote it and greps and
/// journald take it as it is: <c>2026-12-02T03:20:21.123Z info  agent: connected to the coordinator</c>.
/// The category is the last part of the logger's name, lower case (<c>MeshPorts.Node.Device.Device</c>
/// becomes <c>device</c>); event ids are left out. An exception adds its type and message to the line; its
/// stack trace, on the lines after, only when <see cref="LineFormatterOptions.StackTraces"/> is set.
/// </summary>
public sealed class LineFormatter : ConsoleFormatter
{
    public const string FormatterName = "meshports-line";

    private readonly LineFormatterOptions _options;

    // Options come in whole from the host: binding them from configuration is reflection, which NativeAOT refuses.
    public LineFormatter(LineFormatterOptions options)
        : base(FormatterName)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception) ?? "";
        textWriter.Write(FormatLine(logEntry.LogLevel, logEntry.Category, message, logEntry.Exception, DateTimeOffset.UtcNow, _options));
    }

    /// <summary>The text written for one event, newline included; pure, so tests need no logger.</summary>
    public static string FormatLine(LogLevel level, string category, string message, Exception? exception, DateTimeOffset now, LineFormatterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var line = new System.Text.StringBuilder(64 + message.Length);
        if (options.Journal)
        {
            line.Append('<').Append(SyslogPriority(level).ToString(CultureInfo.InvariantCulture)).Append('>');
        }
        else
        {
            line.Append(now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append(' ');
            if (options.Color)
            {
                line.Append(LevelColor(level)).Append(LevelWord(level)).Append("\u001b[0m ");
            }
            else
            {
                line.Append(LevelWord(level)).Append(' ');
            }
        }

        line.Append(ShortCategory(category)).Append(": ").Append(Printable(message));
        if (exception is not null)
        {
            line.Append(" (").Append(exception.GetType().Name).Append(": ").Append(Printable(exception.Message)).Append(')');
            if (options.StackTraces)
            {
                foreach (var traceLine in exception.ToString().ReplaceLineEndings("\n").Split('\n'))
                {
                    line.Append('\n').Append("    ").Append(Printable(traceLine));
                }
            }
        }

        return line.Append('\n').ToString();
    }

    public static string ShortCategory(string category)
    {
        var dot = category.LastIndexOf('.');
        return (dot < 0 ? category : category[(dot + 1)..]).ToLowerInvariant();
    }

    // Five characters each, so messages line up.
    private static string LevelWord(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info ",
        LogLevel.Warning => "warn ",
        LogLevel.Error => "error",
        _ => "crit ",
    };

    private static string LevelColor(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "\u001b[2m",
        LogLevel.Information => "\u001b[32m",
        LogLevel.Warning => "\u001b[33m",
        _ => "\u001b[31m",
    };

    // sd-daemon(3): <7> debug ... <2> critical.
    private static int SyslogPriority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => 7,
        LogLevel.Information => 6,
        LogLevel.Warning => 4,
        LogLevel.Error => 3,
        _ => 2,
    };

    // Messages carry text others chose (a requested name, a reason, an exception's message). A newline
    // would start a line that looks like an event of its own, and an escape sequence would repaint the
    // operator's terminal: line breaks become spaces, other control characters their \uXXXX spelling.
    private static string Printable(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\u0000', '\u001f') && !text.Contains('\u007f', StringComparison.Ordinal))
        {
            return text;
        }

        var clean = new System.Text.StringBuilder(text.Length + 16);
        foreach (var c in text.ReplaceLineEndings(" "))
        {
            if (c is < ' ' or '\u007f')
            {
                clean.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                clean.Append(c);
            }
        }

        return clean.ToString();
    }
}
