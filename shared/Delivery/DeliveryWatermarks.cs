using Azure.Data.Tables;
using Digest.Storage;
using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>
/// The notifier's watermark of each subscription (<see cref="DigestStorage.Watermarks"/>): the time of its last run that
/// planned the subscription's papers, which starts its next window and, for a daily or weekly one, says whether its
/// digest is due. One row per subscription in sixteen partitions (<see cref="SubscriptionSpread"/>), so that a run that
/// plans many subscriptions writes their watermarks 100 to a transaction instead of one write per subscription row.
/// </summary>
/// <remarks>Watermarks were once a property of the subscription row (<see cref="Subscription.DeliveryWatermark"/> as
/// stored); a subscription without a row here still has that one, and gets a row here the first time it is planned.</remarks>
public sealed class DeliveryWatermarks(DigestStorage storage)
{
    private const string Watermark = "Watermark";

    /// <summary>Every watermark, by the subscription's <see cref="ConversationKey.PartitionKey"/>: one paged query.</summary>
    public async Task<Dictionary<string, DateTimeOffset>> ListAsync(CancellationToken cancellationToken)
    {
        var watermarks = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await foreach (var row in storage.Watermarks.QueryAsync<TableEntity>(filter: (string?)null, maxPerPage: 1000, select: [nameof(ITableEntity.RowKey), Watermark], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.GetDateTimeOffset(Watermark) is { } watermark)
            {
                watermarks[row.RowKey] = watermark;
            }
        }

        return watermarks;
    }

    /// <summary>The subscription with its watermark: the one stored here, or else the one its row carried before.</summary>
    public async Task<Subscription> ApplyAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var row = await storage.Watermarks.GetEntityIfExistsAsync<TableEntity>(SubscriptionSpread.PartitionOf(subscription.Key), subscription.Key.PartitionKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? Apply(subscription, row.Value!.GetDateTimeOffset(Watermark)) : subscription;
    }

    /// <summary>The subscription with its watermark from <paramref name="watermarks"/> (<see cref="ListAsync"/>), or
    /// else the one its row carried before.</summary>
    public static Subscription Apply(Subscription subscription, IReadOnlyDictionary<string, DateTimeOffset> watermarks)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(watermarks);
        return watermarks.TryGetValue(subscription.Key.PartitionKey, out var watermark) ? Apply(subscription, watermark) : subscription;
    }

    private static Subscription Apply(Subscription subscription, DateTimeOffset? watermark) =>
        watermark is null ? subscription : subscription with { DeliveryWatermark = watermark };

    /// <summary>Sets the watermark of every subscription in <paramref name="keys"/> to <paramref name="watermark"/>, 100 to
    /// a transaction.</summary>
    public async Task SetAsync(IEnumerable<ConversationKey> keys, DateTimeOffset watermark, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var batch in SubscriptionSpread.Batches(keys))
        {
            await storage.Watermarks.SubmitTransactionAsync(
                batch.Select(key => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(SubscriptionSpread.PartitionOf(key), key.PartitionKey) { [Watermark] = watermark })),
                cancellationToken).ConfigureAwait(false);
        }
    }
}
