using Digest.Crawling;
using Digest.Delivery;
using Digest.Delivery.Queue;
using Digest.Sources;
using Digest.Steps.Runs;
using Digest.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace Digest.Steps;

/// <summary>What <see cref="DigestCycle.RunOnceAsync"/> did: the crawl, and, when delivery is on, the plan and each
/// message's delivery (<paramref name="Delivery"/>), with the messages left for another try or poisoned.</summary>
public sealed record CycleReport(CrawlReport Crawl, DeliveryReport? Delivery, int DeliveriesRetrying, int DeliveriesPoisoned);

/// <summary>
/// <c>digest once</c>: the steps of <see cref="DigestSteps.All"/> in order, in one process, each recorded as the hosts
/// record it (<see cref="CrawlSteps"/>, <see cref="DeliverySteps"/>). <c>ParseAndDiff</c> parses what is pending on the pages
/// <c>SnapshotDigests</c> just read; <c>NotifySubscribers</c> plans and queues; then the queue is drained here, by
/// <c>DeliverToSubscription</c>'s method, under the Function App's retry and poison rules.
/// </summary>
public sealed class DigestCycle(CrawlSteps crawl, StepRunner runner, IServiceProvider services)
{
    /// <summary>Runs one cycle on the given pages (or those planned for now).</summary>
    public async Task<CycleReport> RunOnceAsync(IReadOnlyList<PageRequest>? pages, CancellationToken cancellationToken)
    {
        var crawled = await CrawlAsync(pages, cancellationToken).ConfigureAwait(false);
        if (services.GetService<DeliveryDispatcher>() is null)
        {
            return new CycleReport(crawled, null, 0, 0);
        }

        var steps = services.GetRequiredService<DeliverySteps>();
        var dispatched = await steps.NotifySubscribersAsync(cancellationToken).ConfigureAwait(false);
        DrainReport<SubscriptionDelivery> drained;
        try
        {
            drained = await services.GetRequiredService<DeliveryQueue>().DrainAsync(
                steps.DeliverToSubscriptionAsync, failure => (failure as DeliveryNotCompletedException)?.Result, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await runner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        var results = drained.Results.GroupBy(result => result.Key).Select(Merge).ToList();
        var delivered = results.Select(result => result.Key).ToHashSet();
        var plan = dispatched.Plan;
        var report = new DeliveryReport(plan.RulesIndexed, plan.PapersConsidered,
            [.. results, .. plan.Due.Where(key => !delivered.Contains(key)).Select(key => new SubscriptionDelivery(key, DeliveryOutcome.NothingToSend, 0, 0))]);
        return new CycleReport(crawled, report, drained.Retrying, drained.Poisoned);
    }

    // Both crawl steps under one activity, so that one trace shows the fetches and the parses of the cycle.
    private async Task<CrawlReport> CrawlAsync(IReadOnlyList<PageRequest>? pages, CancellationToken cancellationToken)
    {
        using var activity = DigestTelemetry.Source.StartActivity(CrawlCycle.ActivityName);
        var fetched = await crawl.SnapshotPagesAsync(pages, cancellationToken).ConfigureAwait(false);
        return fetched.Then(await crawl.ParseFetchedAsync(fetched, cancellationToken).ConfigureAwait(false));
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
