using Digest.Platforms.Slack;
using Digest.Subscriptions;
using Microsoft.Extensions.Logging;

namespace Digest.FrontEnds.Slack;

/// <summary>Publishes a person's App Home tab (<c>views.publish</c>): their own subscription and the channels'
/// they manage (<see cref="SlackChannelManagers"/>), each with its rules.</summary>
public sealed partial class SlackHome(SubscriptionStore store, SlackChannelManagers managers, SlackWebApiClient slack, ISlackBotTokens tokens, ILogger<SlackHome> logger)
{
    /// <summary>Shows the Home as it is now; nothing when the workspace has no token (not installed, or uninstalled).</summary>
    public async Task PublishAsync(string teamId, string? enterpriseId, string userId, CancellationToken cancellationToken)
    {
        if (await tokens.GetAsync(teamId, enterpriseId, cancellationToken).ConfigureAwait(false) is not { } token)
        {
            LogNoToken(logger, teamId);
            return;
        }

        var channels = await managers.ChannelsAsync(teamId, enterpriseId, userId, cancellationToken).ConfigureAwait(false);
        var personal = SectionAsync(null, SlackContacts.Personal(teamId, enterpriseId, userId).Key, cancellationToken);
        var managed = channels.Select(channel => SectionAsync(channel, SlackContacts.Channel(teamId, enterpriseId, channel).Key, cancellationToken)).ToList();
        await Task.WhenAll([personal, .. managed]).ConfigureAwait(false);
        await slack.PublishHomeAsync(token, userId, SlackHomeView.Home(await personal.ConfigureAwait(false), [.. managed.Select(section => section.Result)]), null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HomeSection> SectionAsync(string? channelId, ConversationKey key, CancellationToken cancellationToken)
    {
        var subscription = store.GetAsync(key, cancellationToken);
        var rules = store.ListRulesAsync(key, cancellationToken);
        return new HomeSection(channelId, await subscription.ConfigureAwait(false), await rules.ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack workspace {TeamId} has no bot token (not installed, or uninstalled): nothing sent")]
    private static partial void LogNoToken(ILogger logger, string teamId);
}
