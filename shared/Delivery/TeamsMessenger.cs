using Digest.Papers;
using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Cards;
using Digest.Platforms.Teams.Connector;
using Digest.Platforms.Teams.Schema;
using Digest.Rules;
using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>Delivers papers to Bot Framework conversations (Teams, and Slack through Azure Bot Service) as Adaptive Cards
/// through the Bot Connector.</summary>
public sealed class TeamsMessenger(BotConnectorClient connector, AdaptiveCardRenderer cards, PaperCardSplitter splitter) : IPlatformMessenger
{
    public string Platform => ConversationPlatforms.BotFramework;

    public IReadOnlyList<IReadOnlyList<MatchedPaper>> Split(string heading, IReadOnlyList<MatchedPaper> papers, int maxPerMessage) =>
        splitter.Split(heading, papers, maxPerMessage, Buttons);

    /// <summary>To a Teams channel every message is a new post in the channel, never a reply in the thread where someone
    /// subscribed (a reference stored before channels were keyed by channel may still name one).</summary>
    public Task<string?> SendAsync(ConversationAddress address, string heading, IReadOnlyList<MatchedPaper> papers, (string Title, string Command)? more, CancellationToken cancellationToken) =>
        PostAsync(address, Activity.CreateCard(cards.Papers(heading, papers, buttons: Buttons, more: more), heading), cancellationToken);

    public Task<string?> SendNoteAsync(ConversationAddress address, string text, CancellationToken cancellationToken) =>
        PostAsync(address, Activity.CreateText(AdaptiveCardRenderer.Escape(text)), cancellationToken);

    private async Task<string?> PostAsync(ConversationAddress address, Activity message, CancellationToken cancellationToken)
    {
        var reference = TeamsAddress.Read(address);
        var conversationId = reference.Conversation.Id!;
        var activity = message with { From = reference.Bot };
        try
        {
            if (TeamsChannels.IsChannel(reference))
            {
                var channelId = TeamsChannels.SubscriptionConversationId(reference.ChannelId, conversationId);
                var post = await connector.CreateChannelPostAsync(reference.ServiceUrl, channelId, reference.Conversation.TenantId, reference.Bot, activity, cancellationToken).ConfigureAwait(false);
                return post.ActivityId;
            }

            var sent = await connector.SendToConversationAsync(reference.ServiceUrl, conversationId,
                activity with { Conversation = new ConversationAccount { Id = conversationId, TenantId = reference.Conversation.TenantId } }, cancellationToken).ConfigureAwait(false);
            return sent.Id;
        }
        catch (ConnectorException exception)
        {
            var kind = exception.IsTerminalForConversation ? DeliveryFailureKind.ConversationGone
                : exception.Failure == ConnectorFailure.Unauthorized ? DeliveryFailureKind.Unauthorized
                : DeliveryFailureKind.Transient;
            throw new DeliveryFailedException(kind, exception.Message, exception) { Throttled = exception.StatusCode == 429 };
        }
    }

    // Every delivered paper carries the feedback buttons; their clicks come back as commands.
    private static IReadOnlyList<(string Title, string Command)> Buttons(Paper paper) => FeedbackButtons.For(paper.Id);
}
