using Digest.Steps;
using Microsoft.Azure.WebJobs;

namespace Digest.Cli;

/// <summary>
/// The crawl steps of <see cref="DigestSteps"/> on their schedules (app settings <c>Schedules:*</c>); timer functions hold
/// a blob-lease singleton lock, so two running hosts never run the same function at once.
/// </summary>
public sealed class CrawlFunctions(CrawlSteps steps)
{
    [FunctionName(DigestSteps.SnapshotDigests)]
    public Task SnapshotDigests([TimerTrigger(DigestSteps.SnapshotDigestsSchedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        steps.SnapshotDigestsAsync(cancellationToken);

    [FunctionName(DigestSteps.ParseAndDiff)]
    public Task ParseAndDiff([TimerTrigger(DigestSteps.ParseAndDiffSchedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        steps.ParseAndDiffAsync(cancellationToken);
}
