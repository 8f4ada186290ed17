using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Schema;
using Digest.Subscriptions;

namespace Digest.Tests.Bot.Loopback;

/// <summary>Reads a Teams subscription's stored conversation reference, as the Teams platform does.</summary>
public static class SubscriptionReferences
{
    public static ConversationReference TeamsReference(this Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return TeamsAddress.Read(subscription.Address);
    }
}
