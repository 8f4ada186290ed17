using Digest.Platforms.Slack;
using Digest.Subscriptions;
using Microsoft.Extensions.Logging;

namespace Digest.FrontEnds.Slack;

/// <summary>Publishes a person's App Home tab (<c>views.publish</c>) from their own subscription and rules.</summary>
public sealed partial class SlackHome(SubscriptionStore store, SlackWebApiClient slack, ISlackBotTokens tokens, ILogger<SlackHome> logger)
{
    /// <summary>Shows the Home as it is now; nothing when the workspace has no token (not installed, or uninstalled).</summary>
    public async Task PublishAsync(string teamId, string? enterpriseId, string userId, CancellationToken cancellationToken)
    {
        if (await tokens.GetAsync(teamId, enterpriseId, cancellationToken).ConfigureAwait(false) is not { } token)
        {
            LogNoToken(logger, teamId);
            return;
        }

        var key = SlackContacts.Personal(teamId, enterpriseId, userId).Key;
        var subscription = await store.GetAsync(key, cancellationToken).ConfigureAwait(false);
        var rules = await store.ListRulesAsync(key, cancellationToken).ConfigureAwait(false);
        await slack.PublishHomeAsync(token, userId, SlackHomeView.Home(subscription, rules), null, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack workspace {TeamId} has no bot token (not installed, or uninstalled): nothing sent")]
    private static partial void LogNoToken(ILogger logger, string teamId);
}
