using Microsoft.Extensions.Logging;

namespace MeshPorts.Coordinator.Auth;

internal static partial class AuthLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "enrollments from {Source} are rate limited for {WindowSeconds}s; further refusals are counted, not logged or audited")]
    public static partial void EnrollRateLimited(ILogger logger, string source, long windowSeconds);
}
