using Digest.Conversation;
using Digest.Platforms.Slack;
using Digest.Subscriptions;
using Microsoft.Extensions.Logging;

namespace Digest.FrontEnds.Slack;

/// <summary>A workspace the app left (<c>app_uninstalled</c>, or its bot token revoked): every subscription of the
/// workspace stops receiving papers, with its rules and receipts kept for a reinstall, and its tokens are forgotten.</summary>
public sealed partial class SlackWorkspaces(SubscriptionStore store, ConversationLifecycle lifecycle, ISlackBotTokens tokens, ILogger<SlackWorkspaces> logger)
{
    public async Task DeactivateAsync(string teamId, string? enterpriseId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(teamId);
        var count = 0;
        // Uninstalls are rare: one scan of the subscriptions, keeping this workspace's native Slack ones only.
        await foreach (var subscription in store.ListAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (subscription.Installed && subscription.Key.ChannelId == SlackAddress.ChannelId && subscription.Key.TenantId == teamId)
            {
                await lifecycle.RemovedAsync(subscription.Key, cancellationToken).ConfigureAwait(false);
                count++;
            }
        }

        await tokens.RevokeAsync(teamId, enterpriseId, cancellationToken).ConfigureAwait(false);
        LogDeactivated(logger, teamId, count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack workspace {TeamId} left: {Count} subscriptions deactivated (data kept), tokens forgotten")]
    private static partial void LogDeactivated(ILogger logger, string teamId, int count);
}
