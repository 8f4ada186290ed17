using System.Globalization;
using Digest.Delivery;
using Digest.Subscriptions;
using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary><c>limit N</c> (1 to 50) or <c>limit off</c>: the most papers a delivery sends; the rest wait behind its
/// "show more" button.</summary>
internal sealed class LimitCommand(SubscriptionStore store, DeliveryOutbox outbox) : IConversationCommand
{
    public IReadOnlyList<string> Names { get; } = ["limit"];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var argument = request.Argument.Trim();
        if (argument.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            await store.UpdateAsync(request.Key, null, current => current with { MessageLimit = null }, cancellationToken).ConfigureAwait(false);
            // Held papers are not released: they stay behind the last "show more" button, which still sends them.
            var held = (await outbox.ListHeldAsync(request.Key, cancellationToken).ConfigureAwait(false)).Count;
            return CommandResult.Text(held == 0
                ? Plain("Limit off: every matched paper is sent.")
                : Plain($"Limit off: every matched paper is sent. {SubscribeCommand.Plural(held, "paper")} held before still wait behind the last digest's Show more button (or type ") + Strong("more") + ").");
        }

        if (!int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit < 1 || limit > Subscription.MaxMessageLimit)
        {
            return CommandResult.Text(Usage);
        }

        await store.UpdateAsync(request.Key, null, current => current with { MessageLimit = limit }, cancellationToken).ConfigureAwait(false);
        return CommandResult.Text(Plain($"Limit set: at most {SubscribeCommand.Plural(limit, "paper")} a delivery; the rest wait behind a Show more button, none is lost."));
    }

    private static RichText Usage => "Usage: " + Strong("limit") + " " + Emphasis("N") + FormattableString.Invariant($" (1 to {Subscription.MaxMessageLimit}) or ") + Strong("limit off") + ".";
}
