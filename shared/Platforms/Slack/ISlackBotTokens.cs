namespace Digest.Platforms.Slack;

/// <summary>
/// The bot token to call the Slack Web API with for one workspace: the token its OAuth installation stored (refreshed
/// before it expires, when rotation is on), or <see cref="SlackOptions.BotToken"/> for a single-workspace app.
/// </summary>
public interface ISlackBotTokens
{
    /// <summary>The workspace's bot token, or <see langword="null"/> when the app is not installed there (or was
    /// uninstalled, or its tokens were revoked).</summary>
    /// <param name="teamId">The workspace (<c>team_id</c>).</param>
    /// <param name="enterpriseId">The Enterprise Grid organization (<c>enterprise_id</c>), when there is one.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    ValueTask<string?> GetAsync(string teamId, string? enterpriseId, CancellationToken cancellationToken);

    /// <summary>Forgets the workspace's tokens (<c>app_uninstalled</c>, <c>tokens_revoked</c>): <see cref="GetAsync"/>
    /// answers <see langword="null"/> for it until it is installed again.</summary>
    ValueTask RevokeAsync(string teamId, string? enterpriseId, CancellationToken cancellationToken);
}
