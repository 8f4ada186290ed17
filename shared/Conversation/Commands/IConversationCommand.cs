using Digest.Subscriptions;

namespace Digest.Conversation.Commands;

/// <summary>One command as the router hands it over: the conversation's key, the command name as typed (lower case)
/// and the rest of the text. The subscription is read only when a command asks for it, so a command that does not need
/// it (help, or one that changes the row itself) costs no read of it.</summary>
public sealed class CommandRequest(ConversationKey key, string name, string argument, Func<CancellationToken, Task<Subscription>> readSubscription)
{
    private Task<Subscription>? _subscription;

    public ConversationKey Key { get; } = key;

    public string Name { get; } = name;

    public string Argument { get; } = argument;

    /// <summary>The conversation's subscription, already refreshed from this contact; read at most once.</summary>
    public Task<Subscription> GetSubscriptionAsync(CancellationToken cancellationToken) => _subscription ??= readSubscription(cancellationToken);
}

/// <summary>A command of the command core: answers platform-neutrally, the front ends render.</summary>
public interface IConversationCommand
{
    /// <summary>The names that invoke it (lower case).</summary>
    IReadOnlyList<string> Names { get; }

    Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken);
}
