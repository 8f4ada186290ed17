using System.Globalization;
using System.Runtime.Serialization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace Digest.Papers;

/// <summary>
/// The latest known state of one paper (table <c>papers</c>). Partition = the arXiv year-month (<c>2407</c>), so a
/// daily page's papers share one or two partitions and are written in one transaction each; row key = the paper id.
/// </summary>
public sealed class PaperRow : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Title { get; set; } = "";

    public string Abstract { get; set; } = "";

    /// <summary>JSON array of author names.</summary>
    public string Authors { get; set; } = "[]";

    public int Upvotes { get; set; }

    /// <summary>The daily date the paper was first listed under (yyyy-MM-dd).</summary>
    public string Date { get; set; } = "";

    public int? NumComments { get; set; }

    public DateTimeOffset? PublishedAt { get; set; }

    public string? AiSummary { get; set; }

    /// <summary>JSON array of keywords.</summary>
    public string? AiKeywords { get; set; }

    public string? Organization { get; set; }

    public string? GithubRepo { get; set; }

    public int? GithubStars { get; set; }

    public string? SubmittedBy { get; set; }

    public DateTimeOffset FirstSeenAt { get; set; }

    /// <summary>Fetch time of the snapshot the current values come from: an older snapshot never overwrites them.</summary>
    public DateTimeOffset ObservedAt { get; set; }

    /// <summary>The snapshot that last changed this row.</summary>
    public string LastSnapshot { get; set; } = "";

    /// <summary>JSON list of the <see cref="RecordedChange"/>s that snapshot made.</summary>
    public string LastChanges { get; set; } = "[]";

    /// <summary>The partition for a paper id: the arXiv year-month, or <c>other</c>.</summary>
    public static string PartitionFor(string paperId)
    {
        ArgumentNullException.ThrowIfNull(paperId);
        var isArxivId = paperId.Length >= 9 && paperId[4] == '.' && !paperId.AsSpan(0, 4).ContainsAnyExceptInRange('0', '9');
        return isArxivId ? paperId[..4] : "other";
    }

    public Paper ToPaper() => new(
        RowKey,
        Title,
        Abstract,
        ReadList(Authors),
        Upvotes,
        DateOnly.ParseExact(Date, "yyyy-MM-dd", CultureInfo.InvariantCulture))
    {
        NumComments = NumComments,
        PublishedAt = PublishedAt,
        AiSummary = AiSummary,
        AiKeywords = ReadList(AiKeywords),
        Organization = Organization,
        GithubRepo = GithubRepo,
        GithubStars = GithubStars,
        SubmittedBy = SubmittedBy,
    };

    [IgnoreDataMember]
    public IReadOnlyList<RecordedChange> RecordedChanges =>
        JsonSerializer.Deserialize(LastChanges, PaperJsonContext.Default.ListRecordedChange) ?? [];

    internal static string WriteList(IReadOnlyList<string> values) =>
        JsonSerializer.Serialize([.. values], PaperJsonContext.Default.ListString);

    internal static IReadOnlyList<string> ReadList(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize(json, PaperJsonContext.Default.ListString) ?? [];

    internal static string WriteChanges(List<RecordedChange> changes) =>
        JsonSerializer.Serialize(changes, PaperJsonContext.Default.ListRecordedChange);
}
