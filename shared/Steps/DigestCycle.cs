using Digest.Crawling;
using Digest.Delivery;
using Digest.Delivery.Queue;
using Digest.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace Digest.Steps;

/// <summary>What <see cref="DigestCycle.RunOnceAsync"/> did: the crawl, and, when delivery is on, the plan and each
/// message's delivery (<paramref name="Delivery"/>), with the messages left for another try or poisoned.</summary>
public sealed record CycleReport(CrawlReport Crawl, DeliveryReport? Delivery, int DeliveriesRetrying, int DeliveriesPoisoned);

/// <summary>
/// <c>digest once</c>: the steps of <see cref="DigestSteps.All"/> in order, in one process. <c>SnapshotDigests</c> and
/// <c>ParseAndDiff</c> run through <see cref="CrawlCycle.RunOnceAsync(IReadOnlyList{PageRequest}?, CancellationToken)"/>
/// (the parse reads the page rows the snapshot step already has); <c>NotifySubscribers</c> plans and queues; then the
/// queue is drained here, by <c>DeliverToSubscription</c>'s method, under the Function App's retry and poison rules.
/// </summary>
public sealed class DigestCycle(CrawlCycle crawl, IServiceProvider services)
{
    /// <summary>Runs one cycle on the given pages (or those planned for now).</summary>
    public async Task<CycleReport> RunOnceAsync(IReadOnlyList<PageRequest>? pages, CancellationToken cancellationToken)
    {
        var crawled = await crawl.RunOnceAsync(pages, cancellationToken).ConfigureAwait(false);
        if (services.GetService<DeliveryDispatcher>() is not { } dispatcher)
        {
            return new CycleReport(crawled, null, 0, 0);
        }

        var dispatched = await dispatcher.PlanAndEnqueueAsync(cancellationToken).ConfigureAwait(false);
        var consumer = services.GetRequiredService<DeliveryConsumer>();
        var drained = await services.GetRequiredService<DeliveryQueue>().DrainAsync(
            consumer.DeliverAsync, failure => (failure as DeliveryNotCompletedException)?.Result, cancellationToken).ConfigureAwait(false);

        var results = drained.Results.GroupBy(result => result.Key).Select(Merge).ToList();
        var delivered = results.Select(result => result.Key).ToHashSet();
        var plan = dispatched.Plan;
        var report = new DeliveryReport(plan.RulesIndexed, plan.PapersConsidered,
            [.. results, .. plan.Due.Where(key => !delivered.Contains(key)).Select(key => new SubscriptionDelivery(key, DeliveryOutcome.NothingToSend, 0, 0))]);
        return new CycleReport(crawled, report, drained.Retrying, drained.Poisoned);
    }

    // One subscription's messages of a drain (a message tried again, a message re-queued beside a new plan's): what they
    // sent together, and the outcome of the last, unless the last had nothing left to send after an earlier one sent it.
    private static SubscriptionDelivery Merge(IGrouping<Subscriptions.ConversationKey, SubscriptionDelivery> tries)
    {
        var last = tries.Last();
        var outcome = last.Outcome == DeliveryOutcome.NothingToSend && tries.Any(attempt => attempt.Outcome == DeliveryOutcome.Sent) ? DeliveryOutcome.Sent : last.Outcome;
        return new SubscriptionDelivery(
            tries.Key, outcome, tries.Sum(attempt => attempt.PapersSent), tries.Sum(attempt => attempt.MessagesSent), last.Failure, tries.Sum(attempt => attempt.DeadLettered));
    }
}
