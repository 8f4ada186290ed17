using Digest.Conversation;
using Digest.Platforms.Slack;

namespace Digest.FrontEnds.Slack;

/// <summary>Which subscription a Slack request speaks for, from its verified fields only. A channel (<c>C…</c>,
/// <c>G…</c>) is one subscription; anything said in a direct message, and the App Home, is the person's own
/// subscription, keyed by their user id, which is also where <c>chat.postMessage</c> reaches them (the app's Messages
/// tab). So <c>/digest</c> in a DM, a message to the app and the Home tab all manage the same rules.</summary>
public static class SlackContacts
{
    /// <summary>The contact of <paramref name="channelId"/> in a workspace, or the person's own when it is a DM.</summary>
    public static ConversationContact Of(string teamId, string? enterpriseId, string channelId, string userId) =>
        IsDirectMessage(channelId) ? Personal(teamId, enterpriseId, userId) : Channel(teamId, enterpriseId, channelId);

    /// <summary>The person's own subscription (DMs and App Home).</summary>
    public static ConversationContact Personal(string teamId, string? enterpriseId, string userId) => Contact(teamId, enterpriseId, userId);

    public static ConversationContact Channel(string teamId, string? enterpriseId, string channelId) => Contact(teamId, enterpriseId, channelId);

    /// <summary>Slack's DM ids start with <c>D</c>.</summary>
    public static bool IsDirectMessage(string channelId) => channelId.StartsWith('D');

    private static ConversationContact Contact(string teamId, string? enterpriseId, string conversation)
    {
        var slack = new SlackConversation(teamId, string.IsNullOrEmpty(enterpriseId) ? null : enterpriseId, conversation);
        return new ConversationContact(SlackAddress.Key(slack), SlackAddress.From(slack));
    }
}
