namespace Digest.Delivery.Queue;

/// <summary>
/// The <c>DeliverToSubscription</c> step: sends what one queue message names, through <see cref="DeliverySender"/>. A
/// send that failed in a way worth trying again throws <see cref="DeliveryNotCompletedException"/>, so that the queue
/// tries the message again and, after its <c>maxDequeueCount</c>, poisons it. A message delivered twice sends nothing
/// twice: the sender claims the outbox rows with their ETags and skips the rows already Sent.
/// </summary>
public sealed class DeliveryConsumer(DeliverySender sender)
{
    /// <summary>Handles one message body.</summary>
    /// <exception cref="InvalidDeliveryMessageException">The body is not a delivery message.</exception>
    /// <exception cref="DeliveryNotCompletedException">The send failed and may succeed later.</exception>
    public async Task<SubscriptionDelivery> DeliverAsync(string message, CancellationToken cancellationToken)
    {
        var result = await sender.SendAsync(DeliveryMessage.Parse(message), cancellationToken).ConfigureAwait(false);

        // A conversation that is gone is final (the subscription was deactivated): trying again would change nothing.
        return result is { Outcome: DeliveryOutcome.Failed } && result.Failure != DeliveryFailureKind.ConversationGone
            ? throw new DeliveryNotCompletedException(result)
            : result;
    }
}

/// <summary>A delivery that failed and is worth another try; <see cref="Result"/> says what was sent before it failed.</summary>
public sealed class DeliveryNotCompletedException(SubscriptionDelivery result)
    : Exception($"The delivery to {result.Key} failed ({result.Failure?.ToString() ?? "storage"}); its papers stay Pending.")
{
    public SubscriptionDelivery Result { get; } = result;
}
