using Digest.Subscriptions;
using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary><c>pause</c> and <c>resume</c>: hold deliveries without unsubscribing.</summary>
internal sealed class PauseCommand(SubscriptionStore store) : IConversationCommand
{
    public IReadOnlyList<string> Names { get; } = ["pause", "resume"];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var paused = request.Name == "pause";
        var subscription = await store.UpdateAsync(request.Key, null, current => current with { Paused = paused }, cancellationToken).ConfigureAwait(false);
        return CommandResult.Text(paused
            ? "Paused: no papers will be sent here until you type " + Strong("resume") + "."
            : subscription.Subscribed
                ? Plain("Resumed: papers matching your rules will be sent here again.")
                : "Resumed. This conversation is not subscribed yet: type " + Strong("subscribe") + ".");
    }
}
