using Digest.Subscriptions;

namespace Digest.Conversation.Commands;

/// <summary><c>rules</c>: the conversation's rules, numbered.</summary>
internal sealed class RulesCommand(SubscriptionStore store) : IConversationCommand
{
    public IReadOnlyList<string> Names { get; } = ["rules", "list"];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rules = await store.ListRulesAsync(request.Key, cancellationToken).ConfigureAwait(false);
        return CommandResult.Of(new RulesReply(rules), "Rules sent.");
    }
}
