using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace Digest.Papers;

/// <summary>The kinds of change the differ records.</summary>
public static class ChangeKind
{
    /// <summary>A paper seen for the first time, on any page.</summary>
    public const string New = "New";

    /// <summary>Title, abstract, authors or other content changed; <see cref="ChangeRow.Fields"/> says which.</summary>
    public const string Updated = "Updated";

    /// <summary>The upvote count changed.</summary>
    public const string UpvotesChanged = "UpvotesChanged";

    /// <summary>The paper left a page it was on (the paper itself is kept).</summary>
    public const string Removed = "Removed";
}

/// <summary>A change as recorded on the paper row, so a crashed run can write its change rows again.</summary>
public sealed record RecordedChange(string Kind, string? Fields = null, int? OldUpvotes = null, int? NewUpvotes = null);

/// <summary>
/// One row of the change log (table <c>changes</c>). Partition = the UTC day of the snapshot that showed the change;
/// row key = snapshot time, page, paper and kind, so writing the same change twice lands on the same row.
/// </summary>
public sealed class ChangeRow : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>One of <see cref="ChangeKind"/>.</summary>
    public string Kind { get; set; } = "";

    public string PaperId { get; set; } = "";

    public string Title { get; set; } = "";

    /// <summary>The paper's daily date (yyyy-MM-dd).</summary>
    public string? PaperDate { get; set; }

    public string PageKey { get; set; } = "";

    public string SnapshotId { get; set; } = "";

    /// <summary>When the snapshot that showed the change was fetched.</summary>
    public DateTimeOffset DetectedAt { get; set; }

    /// <summary>For <see cref="ChangeKind.Updated"/>: the fields that changed, comma-separated (<c>title,abstract</c>).</summary>
    public string? Fields { get; set; }

    public int? OldUpvotes { get; set; }

    public int? NewUpvotes { get; set; }

    /// <summary>The W3C <c>traceparent</c> of the page fetch that found the change (null when no telemetry listened).
    /// The delivery side starts its send with <c>DigestTelemetry.StartLinkedActivity(name, TraceParent)</c>, so a
    /// trace backend shows the message next to the fetch.</summary>
    public string? TraceParent { get; set; }

    public static string PartitionFor(DateTimeOffset detectedAt) =>
        detectedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string KeyFor(DateTimeOffset detectedAt, string pageKey, string paperId, string kind) =>
        string.Create(CultureInfo.InvariantCulture, $"{detectedAt.UtcTicks:D19}-{pageKey}-{paperId}-{kind}");
}
