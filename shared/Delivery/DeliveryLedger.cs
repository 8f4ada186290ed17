using Azure.Data.Tables;
using Digest.Storage;
using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>One outbox row as <c>digest deliveries</c> shows it, with the conversation it belongs to when known.</summary>
public sealed record DeliveryEntry(ConversationKey? Conversation, DeliveryRow Row);

/// <summary>The outbox across every subscription, for operators: what is pending, sent and failed, and a second chance
/// for dead letters.</summary>
public sealed class DeliveryLedger(DigestStorage storage, DeliveryOutbox outbox, SubscriptionStore subscriptions, PendingDeliveries pending, TimeProvider time)
{
    /// <summary>Every delivery row, or only those in <paramref name="state"/>, newest plan first.</summary>
    public async Task<IReadOnlyList<DeliveryEntry>> ListAsync(string? state, CancellationToken cancellationToken)
    {
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var rows = (await outbox.ListEveryAsync(cancellationToken).ConfigureAwait(false)).Where(row => state is null || row.State == state);
        var keys = await KeysAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.OrderByDescending(row => row.PlannedAt).ThenBy(row => row.PartitionKey, StringComparer.Ordinal).ThenBy(row => row.RowKey, StringComparer.Ordinal)
            .Select(row => new DeliveryEntry(keys.GetValueOrDefault(row.Conversation), row))];
    }

    /// <summary>Gives every Failed row a second chance: Pending again with no attempts, its subscription marked so the
    /// next run sends it. Returns how many rows were re-queued.</summary>
    public async Task<int> RetryFailedAsync(CancellationToken cancellationToken)
    {
        var failed = await ListAsync(DeliveryState.Failed, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var keys = failed.Select(entry => entry.Conversation).OfType<ConversationKey>().ToList();
        // Marked before the rows become Pending (no Pending row is ever unmarked) and again after (a sender that read
        // the marker meanwhile cannot remove it).
        await pending.MarkAsync(keys, now, cancellationToken).ConfigureAwait(false);
        foreach (var entry in failed)
        {
            entry.Row.State = DeliveryState.Pending;
            entry.Row.Attempts = 0;
            entry.Row.ClaimedAt = null;
            entry.Row.PlannedAt = now;
            await storage.Deliveries.UpdateEntityAsync(entry.Row, entry.Row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }

        await pending.MarkAsync(keys, now, cancellationToken).ConfigureAwait(false);
        return failed.Count;
    }

    private async Task<Dictionary<string, ConversationKey>> KeysAsync(CancellationToken cancellationToken)
    {
        var keys = new Dictionary<string, ConversationKey>(StringComparer.Ordinal);
        await foreach (var subscription in subscriptions.ListAllAsync(cancellationToken).ConfigureAwait(false))
        {
            keys[subscription.Key.PartitionKey] = subscription.Key;
        }

        return keys;
    }
}
