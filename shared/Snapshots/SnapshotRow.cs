using System.Globalization;
using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;

namespace Digest.Snapshots;

/// <summary>What parsing a snapshot came to.</summary>
public static class SnapshotOutcome
{
    public const string Pending = "Pending";
    public const string Parsed = "Parsed";
    public const string Failed = "Failed";
}

/// <summary>
/// One stored snapshot of a page (table <c>snapshots</c>, partition = page key, row key = fetch time and hash so
/// rows sort in fetch order) with its fetch metadata and the outcome of parsing it.
/// </summary>
public sealed class SnapshotRow : ITableEntity
{
    /// <summary>The page key.</summary>
    public string PartitionKey { get; set; } = "";

    /// <summary>See <see cref="KeyFor"/>.</summary>
    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Url { get; set; } = "";

    public DateTimeOffset FetchedAt { get; set; }

    public int Status { get; set; }

    public string? HttpETag { get; set; }

    public string? LastModified { get; set; }

    public string? ContentType { get; set; }

    /// <summary>Size of the page as fetched, before compression.</summary>
    public long Size { get; set; }

    /// <summary>SHA-256 (hex) of the page as fetched.</summary>
    public string Hash { get; set; } = "";

    /// <summary>The content-addressed blob holding the gzip-compressed page.</summary>
    public string BlobName { get; set; } = "";

    public string? RequestedDate { get; set; }

    /// <summary>One of <see cref="SnapshotOutcome"/>.</summary>
    public string Outcome { get; set; } = SnapshotOutcome.Pending;

    public int? ParserVersion { get; set; }

    /// <summary>How the page was read (<c>DataProps</c>, <c>Cards</c>, <c>ApiJson</c>, <c>PlainText</c>).</summary>
    public string? ParsePath { get; set; }

    public int? PaperCount { get; set; }

    /// <summary>Why parsing failed, or the parser's warnings, one a line.</summary>
    public string? Error { get; set; }

    public string? Warnings { get; set; }

    public DateTimeOffset? ParsedAt { get; set; }

    /// <summary>The W3C <c>traceparent</c> of the fetch that stored this snapshot (null when no telemetry listened):
    /// carried to the change rows, so that the message that delivers a paper can link to the fetch that found it.</summary>
    public string? TraceParent { get; set; }

    /// <summary>A row key that sorts by fetch time: ticks, then the start of the hash to keep equal times apart.</summary>
    public static string KeyFor(DateTimeOffset fetchedAt, string hash) =>
        string.Create(CultureInfo.InvariantCulture, $"{fetchedAt.UtcTicks:D19}-{hash[..12]}");

    /// <summary>The id used in change rows and reports: page key and row key.</summary>
    [IgnoreDataMember]
    public string SnapshotId => $"{PartitionKey}/{RowKey}";

    [IgnoreDataMember]
    public DateOnly? RequestedDay =>
        DateOnly.TryParseExact(RequestedDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;
}
