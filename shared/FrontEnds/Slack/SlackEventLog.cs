using Azure;
using Azure.Data.Tables;
using Digest.Storage;
using Microsoft.Extensions.Options;

namespace Digest.FrontEnds.Slack;

/// <summary>
/// The Slack events this app has handled or is handling, by <c>event_id</c>, in Table Storage
/// (<see cref="DigestStorage.SlackEvents"/>), so that Slack's retries (<c>X-Slack-Retry-Num</c>, up to three over about
/// five minutes, and possibly overlapping a slow first delivery) are never handled twice, by this instance or another,
/// before or after a restart. An event is claimed before it is handled and marked done after; a claim whose handler
/// crashed is taken over by a retry once <see cref="SlackFrontEndOptions.EventLease"/> has passed, and a handler that
/// failed releases its claim at once, so Slack's retry handles it. Rows older than
/// <see cref="SlackFrontEndOptions.EventRetention"/> are deleted by <see cref="PruneAsync"/>.
/// </summary>
public sealed class SlackEventLog(DigestStorage storage, IOptions<SlackFrontEndOptions> options, TimeProvider time)
{
    private const string RowKey = "event";
    private const string Handling = "Handling";
    private const string Done = "Done";

    /// <summary>True when the caller now owns the event and must handle it; false when it was handled, or is being
    /// handled, already.</summary>
    public async Task<bool> TryClaimAsync(string eventId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var claim = new TableEntity(eventId, RowKey) { ["State"] = Handling, ["ClaimedAt"] = now };
        try
        {
            await storage.SlackEvents.AddEntityAsync(claim, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status == 409)
        {
            // Seen before: handled, being handled, or claimed by a handler that never came back.
        }

        var existing = await storage.SlackEvents.GetEntityIfExistsAsync<TableEntity>(eventId, RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!existing.HasValue || existing.Value is not { } row)
        {
            return await TryClaimAsync(eventId, cancellationToken).ConfigureAwait(false); // released in between
        }

        if (row.GetString("State") == Done || row.GetDateTimeOffset("ClaimedAt") is not { } claimedAt || now - claimedAt < options.Value.EventLease)
        {
            return false;
        }

        try
        {
            await storage.SlackEvents.UpdateEntityAsync(claim, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 412)
        {
            return false; // another retry took it over first
        }
    }

    /// <summary>The event was handled: every later delivery of it is acknowledged and ignored.</summary>
    public async Task CompleteAsync(string eventId, CancellationToken cancellationToken)
    {
        var done = new TableEntity(eventId, RowKey) { ["State"] = Done, ["HandledAt"] = time.GetUtcNow() };
        await storage.SlackEvents.UpsertEntityAsync(done, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Handling failed: forget the claim, so Slack's retry handles the event.</summary>
    public async Task ReleaseAsync(string eventId, CancellationToken cancellationToken)
    {
        try
        {
            await storage.SlackEvents.DeleteEntityAsync(eventId, RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            // already gone
        }
    }

    /// <summary>Deletes the events claimed longer than <see cref="SlackFrontEndOptions.EventRetention"/> ago; returns
    /// how many. Every instance may prune at once: a row another deleted first is skipped.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var cutoff = time.GetUtcNow() - options.Value.EventRetention;
        var deleted = 0;
        var old = storage.SlackEvents.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"ClaimedAt lt {cutoff}"), maxPerPage: 1000, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken);
        await foreach (var row in old.ConfigureAwait(false))
        {
            // One event a partition: rows cannot share a batch, so each is its own delete.
            try
            {
                await storage.SlackEvents.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
                deleted++;
            }
            catch (RequestFailedException exception) when (exception.Status == 404)
            {
                // another instance pruned it
            }
        }

        return deleted;
    }
}
