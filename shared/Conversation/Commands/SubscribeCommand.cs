using Digest.Subscriptions;
using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary><c>subscribe</c> and <c>unsubscribe</c>: whether papers are sent here at all (rules are kept).</summary>
internal sealed class SubscribeCommand(SubscriptionStore store) : IConversationCommand
{
    public IReadOnlyList<string> Names { get; } = ["subscribe", "unsubscribe"];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var subscribed = request.Name == "subscribe";
        var updated = await store.UpdateAsync(request.Key, null, current => current with { Subscribed = subscribed }, cancellationToken).ConfigureAwait(false);
        if (!subscribed)
        {
            return CommandResult.Text("Unsubscribed: no more papers will be sent here. Your rules are kept; type " + Strong("subscribe") + " to start again.");
        }

        var count = (await store.ListRulesAsync(request.Key, cancellationToken).ConfigureAwait(false)).Count;
        return CommandResult.Text(count == 0
            ? $"Subscribed (mode {updated.Mode}). Now add a rule, e.g. " + Strong("add") + " diffusion AND video."
            : Plain($"Subscribed (mode {updated.Mode}) with {Plural(count, "rule")}."));
    }

    internal static string Plural(int count, string noun) => FormattableString.Invariant($"{count} {noun}{(count == 1 ? "" : "s")}");
}
