using System.Globalization;
using Digest.Delivery;
using Digest.Delivery.Queue;
using Digest.Steps.Runs;

namespace Digest.Steps;

/// <summary>
/// The delivery steps of <see cref="DigestSteps.All"/> as every host runs them, under the <see cref="StepRunner"/>: the
/// notifier's plan on its timer (recorded per run), and the send of one queue message (recorded without a write per
/// message: <see cref="StepRunner.RunEachAsync"/>). A class of its own, beside <see cref="CrawlSteps"/>: the crawl must
/// not need the Bot settings the connector client reads.
/// </summary>
public sealed class DeliverySteps(DeliveryDispatcher dispatcher, DeliveryConsumer consumer, StepRunner runner)
{
    /// <summary>The <c>NotifySubscribers</c> step: plan, and queue one message per subscription to send to.</summary>
    public Task<DispatchReport> NotifySubscribersAsync(CancellationToken cancellationToken) =>
        runner.RunAsync(DigestSteps.NotifySubscribers, dispatcher.PlanAndEnqueueAsync, Summarize, cancellationToken);

    /// <summary>The <c>DeliverToSubscription</c> step: send what one queue message names. Throws as
    /// <see cref="DeliveryConsumer.DeliverAsync"/> does, so that the queue tries the message again.</summary>
    public Task<SubscriptionDelivery> DeliverToSubscriptionAsync(string message, CancellationToken cancellationToken) =>
        runner.RunEachAsync(DigestSteps.DeliverToSubscription, token => consumer.DeliverAsync(message, token), Summarize, cancellationToken);

    private static string Summarize(DispatchReport report) => string.Create(CultureInfo.InvariantCulture,
        $"{report.Plan.Due.Count} due subscriptions, {report.Plan.RulesIndexed} rules over {report.Plan.PapersConsidered} re-opened papers, " +
        $"{report.Plan.PapersPlanned} papers planned, {report.Enqueued} deliveries queued");

    private static string Summarize(SubscriptionDelivery delivery) => string.Create(CultureInfo.InvariantCulture,
        $"{delivery.Outcome}: {delivery.PapersSent} papers in {delivery.MessagesSent} messages, {delivery.DeadLettered} dead-lettered");
}
