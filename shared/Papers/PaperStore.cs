using Azure.Data.Tables;
using Digest.Storage;

namespace Digest.Papers;

/// <summary>A batch of paper rows could not be written because another writer changed them first.</summary>
public sealed class PaperWriteConflictException : Exception
{
    public PaperWriteConflictException()
    {
    }

    public PaperWriteConflictException(string message)
        : base(message)
    {
    }

    public PaperWriteConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Reads and writes the <c>papers</c> and <c>changes</c> tables.</summary>
public sealed class PaperStore(DigestStorage storage)
{
    /// <summary>One paper by id, or null.</summary>
    public async Task<Paper?> GetAsync(string paperId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paperId);
        var row = await storage.Papers.GetEntityIfExistsAsync<PaperRow>(PaperRow.PartitionFor(paperId), paperId, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value!.ToPaper() : null;
    }

    /// <summary>
    /// The stored rows of the given ids, one range query per partition (ids of a daily page are close together).
    /// </summary>
    public async Task<Dictionary<string, PaperRow>> ReadAsync(IEnumerable<string> paperIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paperIds);
        var rows = new Dictionary<string, PaperRow>(StringComparer.Ordinal);
        foreach (var partition in paperIds.Distinct(StringComparer.Ordinal).GroupBy(PaperRow.PartitionFor, StringComparer.Ordinal))
        {
            var wanted = partition.ToHashSet(StringComparer.Ordinal);
            var first = wanted.Min(StringComparer.Ordinal)!;
            var last = wanted.Max(StringComparer.Ordinal)!;
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition.Key} and RowKey ge {first} and RowKey le {last}");
            await foreach (var row in storage.Papers.QueryAsync<PaperRow>(filter, maxPerPage: 1000, cancellationToken: cancellationToken))
            {
                if (wanted.Contains(row.RowKey))
                {
                    rows[row.RowKey] = row;
                }
            }
        }

        return rows;
    }

    /// <summary>
    /// Writes paper rows in one transaction per partition (and per 100): new rows are inserted, existing rows replaced
    /// only if their ETag still matches.
    /// </summary>
    /// <exception cref="PaperWriteConflictException">A row was added or changed by someone else meanwhile.</exception>
    public async Task WriteAsync(IReadOnlyList<PaperRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var batch in TableTransactions.ByPartition(rows))
        {
            var actions = batch.Select(row => row.ETag == default
                ? new TableTransactionAction(TableTransactionActionType.Add, row)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, row, row.ETag));
            try
            {
                await storage.Papers.SubmitTransactionAsync(actions, cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
            {
                throw new PaperWriteConflictException($"Papers in partition {batch[0].PartitionKey} were changed by another writer.", e);
            }
        }
    }

    /// <summary>Writes change rows in one transaction per partition (and per 100); writing a row again replaces it.</summary>
    public async Task WriteChangesAsync(IReadOnlyList<ChangeRow> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var batch in TableTransactions.ByPartition(changes))
        {
            await storage.Changes.SubmitTransactionAsync(
                batch.Select(change => new TableTransactionAction(TableTransactionActionType.UpsertReplace, change)),
                cancellationToken);
        }
    }

    /// <summary>Papers whose daily date is in [from, to], ordered by date then upvotes (most first).</summary>
    public async Task<IReadOnlyList<Paper>> ListByDateAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"Date ge {from.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)} and Date le {to.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)}");
        var papers = await storage.Papers.QueryAsync<PaperRow>(filter, cancellationToken: cancellationToken)
            .Select(row => row.ToPaper())
            .ToListAsync(cancellationToken);
        return [.. papers.OrderBy(paper => paper.Date).ThenByDescending(paper => paper.Upvotes).ThenBy(paper => paper.Id, StringComparer.Ordinal)];
    }

    /// <summary>Changes detected at or after <paramref name="since"/>, in the order they were seen.</summary>
    public async Task<IReadOnlyList<ChangeRow>> ListChangesSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {ChangeRow.PartitionFor(since)} and DetectedAt ge {since}");
        var changes = await storage.Changes.QueryAsync<ChangeRow>(filter, cancellationToken: cancellationToken).ToListAsync(cancellationToken);
        return [.. changes.OrderBy(change => change.PartitionKey, StringComparer.Ordinal).ThenBy(change => change.RowKey, StringComparer.Ordinal)];
    }
}
