using Digest.Subscriptions;

namespace Digest.Conversation.Commands;

/// <summary>One command as the router hands it over: the conversation's subscription (already refreshed from this
/// contact), the command name as typed (lower case) and the rest of the text.</summary>
public sealed record CommandRequest(Subscription Subscription, string Name, string Argument)
{
    public ConversationKey Key => Subscription.Key;
}

/// <summary>A command of the command core: answers platform-neutrally, the front ends render.</summary>
public interface IConversationCommand
{
    /// <summary>The names that invoke it (lower case).</summary>
    IReadOnlyList<string> Names { get; }

    Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken);
}
