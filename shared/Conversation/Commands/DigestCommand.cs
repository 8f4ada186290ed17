using Digest.Delivery;
using Digest.Subscriptions;
using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary><c>digest</c>: sends now what matched since the last delivery, whatever the mode.</summary>
internal sealed class DigestCommand(SubscriptionStore store, NotifySubscribers notifier, DeliveryWatermarks watermarks, TimeProvider time) : IConversationCommand
{
    public IReadOnlyList<string> Names { get; } = ["digest"];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if ((await store.ListRulesAsync(request.Key, cancellationToken).ConfigureAwait(false)).Count == 0)
        {
            return CommandResult.Text("No rules yet: add one with " + Strong("add") + " " + Emphasis("rule") + " first.");
        }

        // The scheduled deliveries' path (outbox, receipts, watermark): a paper sent either way is never sent again.
        var subscription = await watermarks.ApplyAsync(await request.GetSubscriptionAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var since = subscription.DeliveryWatermark ?? time.GetUtcNow().AddDays(-1);
        var delivery = await notifier.DeliverNowAsync(subscription, cancellationToken).ConfigureAwait(false);
        return delivery.Outcome switch
        {
            // The papers are the answer.
            DeliveryOutcome.Sent => new CommandResult(null, FormattableString.Invariant(
                $"{SubscribeCommand.Plural(delivery.PapersSent, "paper")} sent in {SubscribeCommand.Plural(delivery.MessagesSent, "message")}.")),
            DeliveryOutcome.NothingToSend when delivery.LeftToAnotherSender => CommandResult.Text(Plain(
                "Papers are being sent to this conversation right now (or a send just failed and is tried again within minutes); they arrive without asking again.")),
            DeliveryOutcome.NothingToSend => CommandResult.Text(Plain(FormattableString.Invariant($"Nothing new matched your rules since {since:yyyy-MM-dd HH:mm} UTC."))),
            DeliveryOutcome.Deactivated => new CommandResult(null, "The conversation is gone; deliveries stopped."),
            _ => CommandResult.Text(Plain("Sending the digest failed; the papers will go out with the next delivery.")),
        };
    }
}
