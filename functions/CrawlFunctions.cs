using Digest.Steps;
using Microsoft.Azure.Functions.Worker;

namespace Digest.Functions;

/// <summary>
/// The crawl steps of <see cref="DigestSteps"/> on the schedules of their app settings (<c>Schedules__SnapshotDigests</c>
/// and so on: trigger settings are app settings, never other configuration sources). The Functions host runs a timer
/// function on one instance at a time (a blob lease in <c>AzureWebJobsStorage</c>).
/// </summary>
public sealed class CrawlFunctions(CrawlSteps steps)
{
    [Function(DigestSteps.SnapshotDigests)]
    public Task SnapshotDigests([TimerTrigger(DigestSteps.SnapshotDigestsSchedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        steps.SnapshotDigestsAsync(cancellationToken);

    [Function(DigestSteps.ParseAndDiff)]
    public Task ParseAndDiff([TimerTrigger(DigestSteps.ParseAndDiffSchedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        steps.ParseAndDiffAsync(cancellationToken);
}
