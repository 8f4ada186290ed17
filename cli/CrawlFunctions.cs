using Digest.Crawling;
using Microsoft.Azure.WebJobs;

namespace Digest.Cli;

/// <summary>
/// The timer-triggered functions. Schedules come from configuration (<c>Schedules</c> in appsettings.json); timer functions
/// hold a blob-lease singleton lock, so two running hosts never run the same function at once.
/// </summary>
public sealed class CrawlFunctions(CrawlCycle cycle)
{
    [FunctionName(nameof(SnapshotDigests))]
    public Task SnapshotDigests([TimerTrigger("%Schedules:SnapshotDigests%")] TimerInfo timer, CancellationToken cancellationToken) =>
        cycle.SnapshotAsync(cancellationToken);

    [FunctionName(nameof(ParseAndDiff))]
    public Task ParseAndDiff([TimerTrigger("%Schedules:ParseAndDiff%")] TimerInfo timer, CancellationToken cancellationToken) =>
        cycle.ParseAsync(cancellationToken);
}
