using Grpc.Net.Client;
using MeshPorts.Ctl.Api;
using MeshPorts.Ctl.Config;
using MeshPorts.Ctl.Transport;

namespace MeshPorts.Ctl.Cli;

/// <summary>Everything a command handler needs; the channel is opened only once the arguments are known to be valid.</summary>
internal sealed class CommandContext : IAsyncDisposable
{
    private readonly Func<string, string?> _getEnvironment;
    private readonly Func<CommandContext, IAdminApi> _apiFactory;
    private GrpcChannel? _channel;
    private IAdminApi? _api;
    private readonly PhaseTimer? _timer;

    public CommandContext(
        CommandSpec spec,
        ParsedArgs args,
        TextWriter output,
        TextWriter error,
        Func<string, string?> getEnvironment,
        TimeProvider clock,
        Func<CommandContext, IAdminApi> apiFactory,
        CancellationToken cancellation,
        PhaseTimer? timer = null)
    {
        _timer = timer;
        _apiFactory = apiFactory;
        Spec = spec;
        Args = args;
        Out = output;
        Error = error;
        _getEnvironment = getEnvironment;
        Clock = clock;
        Cancellation = cancellation;
    }

    public CommandSpec Spec { get; }

    public ParsedArgs Args { get; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public TimeProvider Clock { get; }

    public CancellationToken Cancellation { get; }

    public bool Json => Args.Flag("--json");

    public CtlConfig? Config { get; private set; }

    /// <summary>Finds and checks meshctl.conf, then opens the pinned channel (once per invocation).</summary>
    public GrpcChannel Channel() => _channel ??= ChannelFactory.Create(LoadConfig(), _timer);

    /// <summary>Finds and checks meshctl.conf (once per invocation).</summary>
    public CtlConfig LoadConfig() =>
        Config ??= ConfigFileReader.Load(ConfigLocator.Locate(Args.Value("--config"), _getEnvironment));

    /// <summary>The admin API; call only after the arguments are validated, so usage errors never need a config.</summary>
    public IAdminApi Api() => _api ??= _apiFactory(this);

    public ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        return ValueTask.CompletedTask;
    }
}
