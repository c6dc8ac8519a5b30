using Microsoft.Extensions.Logging.Console;

namespace MeshPorts.Contracts.Logging;

/// <summary>How <see cref="LineFormatter"/> writes: what the host decided from its log level and environment.</summary>
public sealed class LineFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>Write an exception's stack trace (debug level and below); otherwise only its type and message.</summary>
    public bool StackTraces { get; set; }

    /// <summary>
    /// Running under systemd (it sets <c>JOURNAL_STREAM</c>): journald stamps the time itself and reads
    /// the level from a <c>&lt;N&gt;</c> syslog prefix, so neither a timestamp nor a level word is written.
    /// </summary>
    public bool Journal { get; set; }

    /// <summary>Colour the level word (a terminal without NO_COLOR; never in a file or the journal).</summary>
    public bool Color { get; set; }
}
