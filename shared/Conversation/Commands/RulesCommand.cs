using Digest.Delivery;
using Digest.Subscriptions;

namespace Digest.Conversation.Commands;

/// <summary><c>rules</c>: the conversation's rules, numbered.</summary>
internal sealed class RulesCommand(SubscriptionStore store, FeedbackRanking ranking) : IConversationCommand
{
    public IReadOnlyList<string> Names { get; } = ["rules", "list"];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rules = await store.ListRulesAsync(request.Key, cancellationToken).ConfigureAwait(false);
        var learned = await ranking.LearnedAsync(request.Key, 5, cancellationToken).ConfigureAwait(false);
        return CommandResult.Of(new RulesReply(rules, learned), "Rules sent.");
    }
}
