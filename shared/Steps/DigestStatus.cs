using Azure.Data.Tables;
using Digest.Delivery;
using Digest.Snapshots;
using Digest.Steps.Runs;
using Digest.Storage;

namespace Digest.Steps;

/// <summary>One watched page as the crawl last left it.</summary>
/// <param name="Page">The page key (<c>daily-2026-03-13</c>, <c>trending</c>, …).</param>
/// <param name="LastFetchedAt">When SnapshotDigests last stored a version of it.</param>
/// <param name="LastError">The last fetch error, when the last fetch failed.</param>
/// <param name="LastErrorAt">When that error happened.</param>
/// <param name="ParsePending">A stored version ParseAndDiff has not parsed yet.</param>
public sealed record PageStatus(string Page, DateTimeOffset? LastFetchedAt, string? LastError, DateTimeOffset? LastErrorAt, bool ParsePending);

/// <summary>What <c>digest status</c> shows: the last run of each step, the pages, when the notifier last finished
/// planning due subscriptions, and the delivery backlog; <paramref name="Held"/> counts the papers held back by
/// subscriptions' caps behind "show more" (sent only when clicked).</summary>
public sealed record DigestStatusReport(IReadOnlyList<StepRun> Steps, IReadOnlyList<PageStatus> Pages, DateTimeOffset? LastNotifiedAt, int Pending, int Failed, int Sent, int Held);

/// <summary>Reads the state of a deployment from what its steps store, whichever hosts run them (the step runs the
/// <see cref="StepRunner"/> records, the pages, the planner's state, the outbox); reading it writes nothing.</summary>
public sealed class DigestStatus(DigestStorage storage, StepRunStore steps, PlannerState planner, DeliveryLedger ledger)
{
    public async Task<DigestStatusReport> ReadAsync(CancellationToken cancellationToken)
    {
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var pages = await storage.Pages.QueryAsync<PageRow>(TableClient.CreateQueryFilter($"PartitionKey eq {PageRow.Partition}"), cancellationToken: cancellationToken)
            .Select(page => new PageStatus(page.RowKey, page.LatestFetchedAt, page.LastFetchError, page.LastFetchErrorAt, page.HasPendingSnapshot))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var deliveries = await ledger.ListAsync(null, cancellationToken).ConfigureAwait(false);
        return new DigestStatusReport(
            await steps.ListAsync(cancellationToken).ConfigureAwait(false),
            [.. pages.OrderBy(page => page.Page, StringComparer.Ordinal)],
            await planner.GetLastPlannedAtAsync(cancellationToken).ConfigureAwait(false),
            deliveries.Count(entry => entry.Row.State == DeliveryState.Pending),
            deliveries.Count(entry => entry.Row.State == DeliveryState.Failed),
            deliveries.Count(entry => entry.Row.State == DeliveryState.Sent),
            deliveries.Count(entry => entry.Row.State == DeliveryState.Held));
    }
}
