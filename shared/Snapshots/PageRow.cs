using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;

namespace Digest.Snapshots;

/// <summary>
/// The state of one watched page (table <c>pages</c>, one partition): how to fetch it conditionally, its latest
/// snapshot, and how far parsing has got. <see cref="LatestSnapshot"/> beyond <see cref="ParsedSnapshot"/> means
/// a snapshot is waiting to be parsed, after a crash or a separate parse schedule.
/// </summary>
public sealed class PageRow : ITableEntity
{
    public const string Partition = "page";

    public string PartitionKey { get; set; } = Partition;

    /// <summary>The page key.</summary>
    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Url { get; set; } = "";

    /// <summary>The daily date asked for (yyyy-MM-dd), for daily pages.</summary>
    public string? RequestedDate { get; set; }

    /// <summary>The HTTP ETag of the latest snapshot, for If-None-Match.</summary>
    public string? HttpETag { get; set; }

    /// <summary>The HTTP Last-Modified of the latest snapshot, for If-Modified-Since.</summary>
    public string? LastModified { get; set; }

    /// <summary>The row key of the latest snapshot.</summary>
    public string? LatestSnapshot { get; set; }

    /// <summary>SHA-256 (hex) of the latest snapshot's content.</summary>
    public string? LatestHash { get; set; }

    public DateTimeOffset? LatestFetchedAt { get; set; }

    /// <summary>The row key of the last snapshot that parsing has dealt with (parsed or failed).</summary>
    public string? ParsedSnapshot { get; set; }

    /// <summary>The ids on the page as of <see cref="ParsedSnapshot"/>, comma-separated: what "Removed" is measured against.</summary>
    public string? Members { get; set; }

    /// <summary>The error of the last failed fetch; cleared by the next stored snapshot.</summary>
    public string? LastFetchError { get; set; }

    public DateTimeOffset? LastFetchErrorAt { get; set; }

    [IgnoreDataMember]
    public bool HasPendingSnapshot =>
        LatestSnapshot is not null && string.CompareOrdinal(LatestSnapshot, ParsedSnapshot) > 0;

    [IgnoreDataMember]
    public IReadOnlyList<string> MemberIds =>
        string.IsNullOrEmpty(Members) ? [] : Members.Split(',');
}
