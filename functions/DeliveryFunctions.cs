using Digest.Steps;
using Microsoft.Azure.Functions.Worker;

namespace Digest.Functions;

/// <summary>
/// The delivery steps of <see cref="DigestSteps"/>: the notifier plans and puts one message per due subscription on the
/// delivery queue; the queue trigger sends each, on as many instances as the queue needs. A message that throws is tried
/// again after <c>extensions.queues.visibilityTimeout</c> and moved to <c>&lt;queue&gt;-poison</c> after
/// <c>maxDequeueCount</c> tries (host.json). A class of its own: the crawl functions must not need the Bot settings.
/// </summary>
public sealed class DeliveryFunctions(DeliverySteps steps)
{
    [Function(DigestSteps.NotifySubscribers)]
    public Task NotifySubscribers([TimerTrigger(DigestSteps.NotifySubscribersSchedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        steps.NotifySubscribersAsync(cancellationToken);

    [Function(DigestSteps.DeliverToSubscription)]
    public Task DeliverToSubscription([QueueTrigger(DigestSteps.DeliveryQueue, Connection = DigestSteps.StorageConnection)] string message, CancellationToken cancellationToken) =>
        steps.DeliverToSubscriptionAsync(message, cancellationToken);
}
