using Azure.Core;
using Azure.Core.Pipeline;

namespace Digest.Storage;

/// <summary>
/// Counts the storage transactions (HTTP requests to Blob and Table services, one per try) that Digest makes,
/// split into reads and writes, so that a cycle can report what it cost.
/// </summary>
public sealed class StorageRequestCounter : HttpPipelineSynchronousPolicy
{
    private long _reads;
    private long _writes;

    /// <summary>Requests that only read (GET and HEAD).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Requests that write (PUT, POST, PATCH, MERGE, DELETE; a table batch counts once).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    public StorageTransactions Current => new(Reads, Writes);

    public override void OnSendingRequest(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Request.Method == RequestMethod.Get || message.Request.Method == RequestMethod.Head)
        {
            Interlocked.Increment(ref _reads);
        }
        else
        {
            Interlocked.Increment(ref _writes);
        }
    }
}

/// <summary>A count of storage transactions.</summary>
public readonly record struct StorageTransactions(long Reads, long Writes)
{
    public long Total => Reads + Writes;

    public static StorageTransactions operator -(StorageTransactions left, StorageTransactions right) =>
        new(left.Reads - right.Reads, left.Writes - right.Writes);

    public static StorageTransactions operator +(StorageTransactions left, StorageTransactions right) =>
        new(left.Reads + right.Reads, left.Writes + right.Writes);

    public StorageTransactions Subtract(StorageTransactions other) => this - other;

    public StorageTransactions Add(StorageTransactions other) => this + other;
}
