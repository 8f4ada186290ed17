using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Schema;
using Digest.Subscriptions;

namespace Digest.Tests.Bot.Loopback;

/// <summary>Subscribed Teams conversations on a <see cref="LoopbackConnector"/>, as the bot would have stored them.</summary>
public static class LoopbackSubscriptions
{
    /// <summary>A new personal conversation on the connector, subscribed with <paramref name="rule"/>. With no
    /// <c>Bot:AppId</c> the notifier sends to it without a token (loopback service URLs only: the Agents Playground's set-up).</summary>
    public static async Task<ConversationKey> SubscribeAsync(
        this SubscriptionStore store, LoopbackConnector connector, string rule, CancellationToken cancellationToken, string tenantId = "tenant-local")
    {
        ArgumentNullException.ThrowIfNull(connector);
        var key = await store.SubscribeConversationAsync(connector.ServiceUrl, tenantId, "a:" + Guid.NewGuid().ToString("N"), cancellationToken);
        await store.AddRuleAsync(key, rule, cancellationToken);
        return key;
    }

    /// <summary>The personal conversation <paramref name="conversation"/> of <paramref name="tenantId"/> on the connector
    /// at <paramref name="serviceUrl"/>, contacted and subscribed, without rules.</summary>
    public static async Task<ConversationKey> SubscribeConversationAsync(
        this SubscriptionStore store, string serviceUrl, string tenantId, string conversation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var key = ConversationKey.Create("msteams", tenantId, conversation);
        await store.RecordContactAsync(key, TeamsAddress.From(new ConversationReference
        {
            ChannelId = "msteams",
            ServiceUrl = serviceUrl,
            Conversation = new ConversationAccount { Id = conversation, ConversationType = "personal", TenantId = tenantId },
        }), cancellationToken);
        await store.UpdateAsync(key, null, current => current with { Subscribed = true }, cancellationToken);
        return key;
    }
}
