using Digest.Steps;
using Microsoft.Azure.WebJobs;

namespace Digest.Cli;

/// <summary>
/// The delivery steps of <see cref="DigestSteps"/>: the notifier on its schedule plans and queues, and the queue trigger
/// sends each message (retried, then poisoned after <c>DeliveryQueue:MaxDequeueCount</c> tries, by the WebJobs queue
/// listener as by the Functions host). A class of its own, beside <see cref="CrawlFunctions"/>, because WebJobs builds a
/// function's class for every run: the crawl functions must not need the Bot settings the connector client reads.
/// </summary>
public sealed class NotifyFunctions(DeliverySteps steps)
{
    [FunctionName(DigestSteps.NotifySubscribers)]
    public Task NotifySubscribers([TimerTrigger(DigestSteps.NotifySubscribersSchedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        steps.NotifySubscribersAsync(cancellationToken);

    [FunctionName(DigestSteps.DeliverToSubscription)]
    public Task DeliverToSubscription([QueueTrigger(DigestSteps.DeliveryQueue, Connection = DigestSteps.StorageConnection)] string message, CancellationToken cancellationToken) =>
        steps.DeliverToSubscriptionAsync(message, cancellationToken);
}
