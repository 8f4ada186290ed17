using Azure.Data.Tables;

namespace Digest.Storage;

/// <summary>Table Storage's limits on an entity group transaction: one partition, at most <see cref="MaxOperations"/>
/// operations.</summary>
internal static class TableTransactions
{
    /// <summary>The largest number of operations in one table transaction.</summary>
    public const int MaxOperations = 100;

    /// <summary>The entities in transactions: by partition, at most <see cref="MaxOperations"/> to one.</summary>
    public static IEnumerable<T[]> ByPartition<T>(IEnumerable<T> entities)
        where T : ITableEntity =>
        entities.GroupBy(entity => entity.PartitionKey, StringComparer.Ordinal).SelectMany(partition => partition.Chunk(MaxOperations));
}
