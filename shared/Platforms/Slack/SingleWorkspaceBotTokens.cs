using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Digest.Platforms.Slack;

/// <summary><see cref="ISlackBotTokens"/> for an app that runs in one workspace with <c>Slack:BotToken</c>. The token
/// is handed out only for the workspace it belongs to (asked once of <c>auth.test</c>), so a request from any other
/// workspace never gets it; after <see cref="RevokeAsync"/> (the app was uninstalled) it is handed out no more until
/// the process restarts with a token again.</summary>
public sealed class SingleWorkspaceBotTokens(SlackWebApiClient slack, IOptions<SlackOptions> options) : ISlackBotTokens
{
    private readonly string? _token = string.IsNullOrWhiteSpace(options?.Value.BotToken) ? null : options.Value.BotToken;
    private readonly ConcurrentDictionary<string, bool> _revoked = new(StringComparer.Ordinal);
    private SlackAuthTest? _owner;

    public async ValueTask<string?> GetAsync(string teamId, string? enterpriseId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(teamId);
        if (_token is null || _revoked.ContainsKey(teamId))
        {
            return null;
        }

        var owner = await OwnerAsync(_token, cancellationToken).ConfigureAwait(false);
        return string.Equals(owner.TeamId, teamId, StringComparison.Ordinal)
            || (owner.EnterpriseId is { Length: > 0 } && string.Equals(owner.EnterpriseId, enterpriseId, StringComparison.Ordinal) && owner.IsEnterpriseInstall)
            ? _token
            : null;
    }

    public ValueTask RevokeAsync(string teamId, string? enterpriseId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(teamId);
        _revoked[teamId] = true;
        return ValueTask.CompletedTask;
    }

    // Two first requests at once may both ask auth.test: harmless, and no lock to own. A failure is not remembered.
    private async ValueTask<SlackAuthTest> OwnerAsync(string token, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _owner) is { } known)
        {
            return known;
        }

        var owner = await slack.AuthTestAsync(token, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _owner, owner);
        return owner;
    }
}
