using Digest.Crawling;
using Digest.Steps;
using Microsoft.Azure.WebJobs;

namespace Digest.Cli;

/// <summary>
/// The crawl steps of <see cref="DigestSteps"/> on their schedules (app settings <c>Schedules:*</c>); timer functions hold
/// a blob-lease singleton lock, so two running hosts never run the same function at once.
/// </summary>
public sealed class CrawlFunctions(CrawlCycle cycle)
{
    [FunctionName(DigestSteps.SnapshotDigests)]
    public Task SnapshotDigests([TimerTrigger(DigestSteps.SnapshotDigestsSchedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        cycle.SnapshotAsync(cancellationToken);

    [FunctionName(DigestSteps.ParseAndDiff)]
    public Task ParseAndDiff([TimerTrigger(DigestSteps.ParseAndDiffSchedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        cycle.ParseAsync(cancellationToken);
}
