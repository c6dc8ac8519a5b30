using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Contracts.Join;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Enrollment;

/// <summary>Join tokens: who may enroll, as which name, user and tags, how often and until when.</summary>
internal sealed class TokenIssuer
{
    private readonly MeshContext _ctx;
    private readonly MeshModel _model;
    private readonly IReadOnlyList<Uri> _publicUrls;
    private readonly string _pin;

    public TokenIssuer(MeshContext ctx, MeshModel model, IReadOnlyList<Uri> publicUrls, string pin)
    {
        _ctx = ctx;
        _model = model;
        _publicUrls = publicUrls;
        _pin = pin;
    }

    public async Task<(TokenRecord Token, string JoinString)> CreateTokenAsync(string name, string user, IReadOnlyList<string> tags, TimeSpan? ttl, int uses, CancellationToken cancellationToken)
    {
        name = name.Trim();
        user = user.Trim();
        if (name.Length > 0 && !Names.IsNodeName(name))
        {
            throw new StateException(StateError.InvalidArgument, $"'{name}': use 1-63 of [a-z0-9-] (it becomes the node's default name)", RequestField.TokenName);
        }

        if (user.Length > 0 && !Names.IsLabel(user))
        {
            throw new StateException(StateError.InvalidArgument, $"'{user}': use 1-64 of [A-Za-z0-9-_.@]", RequestField.TokenUser);
        }

        var cleanTags = tags.Select(t => t.StartsWith("tag:", StringComparison.Ordinal) ? t[4..] : t).Distinct(StringComparer.Ordinal).ToList();
        foreach (var tag in cleanTags)
        {
            if (!Names.IsLabel(tag))
            {
                throw new StateException(StateError.InvalidArgument, $"'{tag}': use 1-64 of [A-Za-z0-9-_.@]", RequestField.TokenTag);
            }
        }

        var lifetime = ttl ?? _ctx.Options.DefaultTokenTtl;
        if (lifetime <= TimeSpan.Zero)
        {
            throw new StateException(StateError.InvalidArgument, "must be positive", RequestField.TokenTtl, new NextStep(NextStepKind.Example, "1h"));
        }

        if (lifetime > _ctx.Options.MaxTokenTtl)
        {
            throw new StateException(StateError.InvalidArgument,
                $"{DurationText.Format(lifetime)} exceeds the cap of {DurationText.Format(_ctx.Options.MaxTokenTtl)}; ask for at most that", RequestField.TokenTtl,
                new NextStep(NextStepKind.TokenTtlCapSetting));
        }

        uses = uses == 0 ? 1 : uses;
        if (uses is < 1 or > 100_000)
        {
            throw new StateException(StateError.InvalidArgument, "must be 1-100000", RequestField.TokenUses);
        }

        // A name is an admin's decision about one machine; a token that could enroll it twice would make it a race.
        if (name.Length > 0 && uses > 1)
        {
            throw new StateException(StateError.InvalidArgument, "enrolls exactly one node", RequestField.TokenName,
                new NextStep(NextStepKind.DropUsesOrName, uses.ToString(CultureInfo.InvariantCulture)));
        }

        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = _ctx.Now;
        var token = new TokenRecord
        {
            Id = MeshModel.NewId("tok_", 5),
            SecretHash = SHA256.HashData(Encoding.UTF8.GetBytes(secret)),
            Name = name,
            User = user,
            Tags = cleanTags,
            UsesTotal = uses,
            UsesLeft = uses,
            CreatedAt = now,
            ExpiresAt = now + (long)lifetime.TotalMilliseconds,
        };
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            // Under the gate, so an Enroll cannot take the name between this check and the insert.
            if (name.Length > 0)
            {
                await RequireNameFreeLockedAsync(name, cancellationToken);
            }

            await _ctx.Store.Tokens.InsertAsync(token,
                _ctx.Audit.Event("token.created", "admin", token.Id, "ok", new { name, user, tags = cleanTags, uses, ttl = DurationText.Format(lifetime) }),
                cancellationToken);
        }
        finally
        {
            _model.Gate.Release();
        }

        return (token, JoinString.Encode(_publicUrls, _pin, secret));
    }

    /// <summary>A name belongs to one node: refused while a node has it or a live token would give it out.</summary>
    private async Task RequireNameFreeLockedAsync(string name, CancellationToken cancellationToken)
    {
        if (_model.FindByName(name) is not null)
        {
            throw new StateException(StateError.AlreadyExists, $"a node named '{name}' is enrolled; remove it first", next: new NextStep(NextStepKind.RemoveNode, name));
        }

        var now = _ctx.Now;
        var live = (await _ctx.Store.Tokens.ListAsync(cancellationToken)).FirstOrDefault(t => t.Name == name && IsLive(t, now));
        if (live is not null)
        {
            throw new StateException(StateError.AlreadyExists, $"join token {live.Id} already names '{name}'; revoke it first", next: new NextStep(NextStepKind.RevokeToken, live.Id));
        }
    }

    /// <summary>Whether a token can still enroll a node at <paramref name="now"/>.</summary>
    public static bool IsLive(TokenRecord token, long now) => !token.Revoked && token.ExpiresAt > now && token.UsesLeft > 0;

    public Task<IReadOnlyList<TokenRecord>> ListTokensAsync(CancellationToken cancellationToken) => _ctx.Store.Tokens.ListAsync(cancellationToken);

    public async Task<TokenRecord> RevokeTokenAsync(string id, CancellationToken cancellationToken)
    {
        if (!await _ctx.Store.Tokens.RevokeAsync(id, _ctx.Audit.Event("token.revoked", "admin", id, "ok", null), cancellationToken))
        {
            throw new StateException(StateError.NotFound, $"no token with id '{id}'", next: new NextStep(NextStepKind.ListTokens));
        }

        return (await _ctx.Store.Tokens.ListAsync(cancellationToken)).First(t => t.Id == id);
    }
}
