using Digest.Delivery;
using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary><c>more [batch]</c>: what the <see cref="ShowMoreButton"/> of a capped delivery sends, naming the batch of held
/// papers it releases; typed without one, the next batch waiting. Each batch is sent once however often it is clicked.</summary>
internal sealed class MoreCommand(DeliverySender sender) : IConversationCommand
{
    public IReadOnlyList<string> Names { get; } = [ShowMoreButton.CommandName];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var batch = request.Argument.Length == 0 ? null : request.Argument;
        var delivery = await sender.SendHeldAsync(await request.GetSubscriptionAsync(cancellationToken).ConfigureAwait(false), batch, cancellationToken).ConfigureAwait(false);
        return delivery.Outcome switch
        {
            // The papers are the answer.
            DeliveryOutcome.Sent => new CommandResult(null, FormattableString.Invariant(
                $"{SubscribeCommand.Plural(delivery.PapersSent, "paper")} sent; {delivery.PapersHeld} still held.")),
            DeliveryOutcome.NothingToSend when delivery.PapersHeld == 0 => CommandResult.Text(Plain("Nothing is held back: every matched paper was sent.")),
            DeliveryOutcome.NothingToSend when batch is not null => CommandResult.Text(
                Plain($"Those papers were sent already. {SubscribeCommand.Plural(delivery.PapersHeld, "paper")} still wait: use the Show more button of the latest digest, or type ") + Strong("more") + "."),
            DeliveryOutcome.NothingToSend => CommandResult.Text(Plain("The held papers are being sent already.")),
            DeliveryOutcome.Deactivated => new CommandResult(null, "The conversation is gone; deliveries stopped."),
            _ => CommandResult.Text(Plain("Sending them failed; they stay held: try again in a few minutes.")),
        };
    }
}
