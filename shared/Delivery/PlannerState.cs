using Azure.Data.Tables;
using Digest.Storage;

namespace Digest.Delivery;

/// <summary>When the planner last finished a run: the start of the window of every instant subscription whose own
/// watermark is older, so that a run with nothing new for a subscription writes nothing for it. One row in the
/// deliveries table.</summary>
public sealed class PlannerState(DigestStorage storage)
{
    private const string Partition = "~planner";
    private const string Row = "state";

    public async Task<DateTimeOffset?> GetLastPlannedAtAsync(CancellationToken cancellationToken)
    {
        var row = await storage.Deliveries.GetEntityIfExistsAsync<TableEntity>(Partition, Row, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? row.Value!.GetDateTimeOffset("LastPlannedAt") : null;
    }

    /// <summary>Records a finished run, given the time read when it started; never moves the time back (two planners
    /// finishing out of order).</summary>
    public async Task SetLastPlannedAtAsync(DateTimeOffset plannedAt, DateTimeOffset? readAtStart, CancellationToken cancellationToken)
    {
        if (readAtStart >= plannedAt)
        {
            return;
        }

        await storage.Deliveries.UpsertEntityAsync(new TableEntity(Partition, Row) { ["LastPlannedAt"] = plannedAt }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }
}
