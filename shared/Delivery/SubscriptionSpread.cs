using System.Globalization;
using Digest.Storage;
using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>
/// Sixteen partitions, by the first character of the (base64url, hashed) conversation key, for the notifier's tables
/// that hold one row per subscription (<see cref="PendingDeliveries"/>, <see cref="DeliveryWatermarks"/>): a run writes
/// them 100 to a transaction whatever the tenants, while their writes spread over partitions (Table Storage serves about
/// 2,000 entities a second from one) and a point write searches a sixteenth of them (Azurite scans the partition for it).
/// </summary>
internal static class SubscriptionSpread
{
    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// <summary>The partition of a subscription's row: <c>m00</c> to <c>m15</c>.</summary>
    public static string PartitionOf(ConversationKey key) =>
        string.Create(CultureInfo.InvariantCulture, $"m{Base64UrlAlphabet.IndexOf(key.PartitionKey[0], StringComparison.Ordinal) / 4:D2}");

    /// <summary>The keys, once each, in transactions: by partition, at most
    /// <see cref="TableTransactions.MaxOperations"/> to one.</summary>
    public static IEnumerable<ConversationKey[]> Batches(IEnumerable<ConversationKey> keys) =>
        keys.DistinctBy(key => key.PartitionKey).GroupBy(PartitionOf, StringComparer.Ordinal).SelectMany(partition => partition.Chunk(TableTransactions.MaxOperations));
}
