using Digest.Platforms.Teams.Schema;

namespace Digest.Platforms.Teams;

/// <summary>Teams channels (docs/protocols.md §1.5, §3.2). Every post in a channel is a conversation of its own,
/// <c>19:…@thread.tacv2;messageid={post}</c>, shared by the post's replies; the channel itself is the id before
/// <c>;messageid=</c> (what <c>channelData.channel.id</c> carries). A subscription is the channel's, whichever post it
/// is spoken in, and its deliveries are new posts in the channel.</summary>
public static class TeamsChannels
{
    /// <summary><c>conversation.conversationType</c> of a Teams channel.</summary>
    public const string ConversationType = "channel";

    private const string Teams = "msteams";
    private const string MessageIdMarker = ";messageid=";

    /// <summary>The conversation a subscription belongs to: for a post (or reply) in a Teams channel, the channel;
    /// for any other conversation, the id as the channel sent it.</summary>
    public static string SubscriptionConversationId(string? channelId, string conversationId)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        if (string.Equals(channelId, Teams, StringComparison.Ordinal))
        {
            var marker = conversationId.IndexOf(MessageIdMarker, StringComparison.OrdinalIgnoreCase);
            if (marker > 0)
            {
                return conversationId[..marker];
            }
        }

        return conversationId;
    }

    /// <summary>True when <paramref name="reference"/> is a Teams channel: proactive messages go there as new posts.</summary>
    public static bool IsChannel(ConversationReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return string.Equals(reference.ChannelId, Teams, StringComparison.Ordinal)
            && string.Equals(reference.Conversation.ConversationType, ConversationType, StringComparison.Ordinal);
    }
}
