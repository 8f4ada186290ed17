using System.Globalization;
using Digest.Papers;
using Digest.Parsing;

namespace Digest.Crawling;

/// <summary>The snapshot a diff comes from, and the trace context of the fetch that stored it (put on every change row).</summary>
public sealed record SnapshotContext(string PageKey, string SnapshotId, DateTimeOffset FetchedAt, string? TraceParent = null);

/// <summary>What a parsed snapshot changes: the paper rows to write and the change rows to record.</summary>
/// <param name="PaperWrites">Paper rows to insert or replace.</param>
/// <param name="Changes">Changes this diff found.</param>
/// <param name="Replayed">Changes an earlier run of the same snapshot found and recorded on the paper rows, written again in case that run stopped before writing them.</param>
public sealed record PageDiff(IReadOnlyList<PaperRow> PaperWrites, IReadOnlyList<ChangeRow> Changes, IReadOnlyList<ChangeRow> Replayed)
{
    /// <summary>Every change row to write.</summary>
    public IReadOnlyList<ChangeRow> ChangeRowsToWrite => [.. Changes, .. Replayed];
}

/// <summary>
/// Compares a parsed page with the stored papers. Pure: storage reads and writes are the caller's.
/// </summary>
/// <remarks>
/// Rules: a paper id not stored is <see cref="ChangeKind.New"/>. A stored paper is compared on the fields the page's
/// format carries (plain text has no upvotes or authors; cards have no abstract), and only when the snapshot is not
/// older than the stored values (see <see cref="IsOlderThan"/>), so re-parsing an old snapshot never rolls a paper back. A field the page leaves empty
/// is unknown, not a change. When the paper row already records this snapshot's changes (a run that crashed after
/// writing papers), those changes are returned again so their rows get written; change row keys are deterministic,
/// so writing them twice is harmless. Ids on the page's previous version and not on this one are
/// <see cref="ChangeKind.Removed"/> from that page.
/// </remarks>
public static class PaperDiffer
{
    public static PageDiff Diff(
        ParsedPage page,
        SnapshotContext snapshot,
        IReadOnlyDictionary<string, PaperRow> stored,
        IReadOnlyCollection<string> previousMembers)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(previousMembers);

        var carried = FieldsCarried(page.Path);
        var writes = new List<PaperRow>();
        var changes = new List<ChangeRow>();
        var replayed = new List<ChangeRow>();
        var onPage = new HashSet<string>(StringComparer.Ordinal);

        foreach (var paper in page.Papers)
        {
            if (!onPage.Add(paper.Id))
            {
                continue;
            }

            if (!stored.TryGetValue(paper.Id, out var existing))
            {
                var row = NewRow(paper, snapshot);
                writes.Add(row);
                changes.AddRange(ChangeRowsFor(row, row.RecordedChanges, snapshot));
                continue;
            }

            if (IsOlderThan(snapshot, existing))
            {
                continue;
            }

            var recorded = Compare(existing, paper, carried);
            if (recorded.Count > 0)
            {
                var row = Merge(existing, paper, carried, snapshot, recorded);
                writes.Add(row);
                changes.AddRange(ChangeRowsFor(row, recorded, snapshot));
            }
            else if (existing.LastSnapshot == snapshot.SnapshotId)
            {
                replayed.AddRange(ChangeRowsFor(existing, existing.RecordedChanges, snapshot));
            }
        }

        foreach (var removed in previousMembers.Where(id => !onPage.Contains(id)).Order(StringComparer.Ordinal))
        {
            var title = stored.TryGetValue(removed, out var row) ? row.Title : "";
            changes.Add(NewChangeRow(snapshot, removed, title, row?.Date, new RecordedChange(ChangeKind.Removed)));
        }

        return new PageDiff(writes, changes, replayed);
    }

    /// <summary>
    /// Snapshots are ordered by fetch time, then by id: pages fetched at the same instant are parsed in page-key
    /// order, and the snapshot id begins with the page key, so the order is the same on every run.
    /// </summary>
    private static bool IsOlderThan(SnapshotContext snapshot, PaperRow existing) =>
        snapshot.FetchedAt < existing.ObservedAt
        || (snapshot.FetchedAt == existing.ObservedAt && string.CompareOrdinal(snapshot.SnapshotId, existing.LastSnapshot) < 0);

    /// <summary>Which fields a format carries; the others are unknown on such a page.</summary>
    public static PaperFields FieldsCarried(ParsePath path) => path switch
    {
        ParsePath.PlainText => PaperFields.Title | PaperFields.Abstract,
        ParsePath.Cards => PaperFields.Title | PaperFields.Upvotes,
        _ => PaperFields.All,
    };

    private static List<RecordedChange> Compare(PaperRow existing, Paper paper, PaperFields carried)
    {
        var fields = new List<string>();
        if (carried.HasFlag(PaperFields.Title) && paper.Title.Length > 0 && paper.Title != existing.Title)
        {
            fields.Add("title");
        }

        if (carried.HasFlag(PaperFields.Abstract) && paper.Abstract.Length > 0 && paper.Abstract != existing.Abstract)
        {
            fields.Add("abstract");
        }

        if (carried.HasFlag(PaperFields.Authors) && paper.Authors.Count > 0 && !paper.Authors.SequenceEqual(PaperRow.ReadList(existing.Authors)))
        {
            fields.Add("authors");
        }

        if (carried.HasFlag(PaperFields.Details))
        {
            AddIfChanged(fields, "aiSummary", paper.AiSummary, existing.AiSummary);
            AddIfChanged(fields, "organization", paper.Organization, existing.Organization);
            AddIfChanged(fields, "githubRepo", paper.GithubRepo, existing.GithubRepo);
            if (paper.AiKeywords.Count > 0 && !paper.AiKeywords.SequenceEqual(PaperRow.ReadList(existing.AiKeywords)))
            {
                fields.Add("aiKeywords");
            }
        }

        var recorded = new List<RecordedChange>();
        if (fields.Count > 0)
        {
            recorded.Add(new RecordedChange(ChangeKind.Updated, string.Join(',', fields)));
        }

        if (carried.HasFlag(PaperFields.Upvotes) && paper.Upvotes != existing.Upvotes)
        {
            recorded.Add(new RecordedChange(ChangeKind.UpvotesChanged, OldUpvotes: existing.Upvotes, NewUpvotes: paper.Upvotes));
        }

        return recorded;
    }

    private static void AddIfChanged(List<string> fields, string name, string? fresh, string? stored)
    {
        if (!string.IsNullOrEmpty(fresh) && fresh != stored)
        {
            fields.Add(name);
        }
    }

    private static PaperRow NewRow(Paper paper, SnapshotContext snapshot) => new()
    {
        PartitionKey = PaperRow.PartitionFor(paper.Id),
        RowKey = paper.Id,
        Title = paper.Title,
        Abstract = paper.Abstract,
        Authors = PaperRow.WriteList(paper.Authors),
        Upvotes = paper.Upvotes,
        Date = paper.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        NumComments = paper.NumComments,
        PublishedAt = paper.PublishedAt,
        AiSummary = paper.AiSummary,
        AiKeywords = paper.AiKeywords.Count > 0 ? PaperRow.WriteList(paper.AiKeywords) : null,
        Organization = paper.Organization,
        GithubRepo = paper.GithubRepo,
        GithubStars = paper.GithubStars,
        SubmittedBy = paper.SubmittedBy,
        FirstSeenAt = snapshot.FetchedAt,
        ObservedAt = snapshot.FetchedAt,
        LastSnapshot = snapshot.SnapshotId,
        LastChanges = PaperRow.WriteChanges([new RecordedChange(ChangeKind.New, NewUpvotes: paper.Upvotes)]),
    };

    private static PaperRow Merge(PaperRow existing, Paper paper, PaperFields carried, SnapshotContext snapshot, List<RecordedChange> recorded) =>
        new()
        {
            PartitionKey = existing.PartitionKey,
            RowKey = existing.RowKey,
            ETag = existing.ETag,
            Title = Pick(carried, PaperFields.Title, paper.Title, existing.Title)!,
            Abstract = Pick(carried, PaperFields.Abstract, paper.Abstract, existing.Abstract)!,
            Authors = carried.HasFlag(PaperFields.Authors) && paper.Authors.Count > 0 ? PaperRow.WriteList(paper.Authors) : existing.Authors,
            Upvotes = carried.HasFlag(PaperFields.Upvotes) ? paper.Upvotes : existing.Upvotes,
            Date = existing.Date,
            NumComments = paper.NumComments ?? existing.NumComments,
            PublishedAt = paper.PublishedAt ?? existing.PublishedAt,
            AiSummary = Pick(carried, PaperFields.Details, paper.AiSummary, existing.AiSummary),
            AiKeywords = carried.HasFlag(PaperFields.Details) && paper.AiKeywords.Count > 0 ? PaperRow.WriteList(paper.AiKeywords) : existing.AiKeywords,
            Organization = Pick(carried, PaperFields.Details, paper.Organization, existing.Organization),
            GithubRepo = Pick(carried, PaperFields.Details, paper.GithubRepo, existing.GithubRepo),
            GithubStars = paper.GithubStars ?? existing.GithubStars,
            SubmittedBy = paper.SubmittedBy ?? existing.SubmittedBy,
            FirstSeenAt = existing.FirstSeenAt,
            ObservedAt = snapshot.FetchedAt,
            LastSnapshot = snapshot.SnapshotId,
            LastChanges = PaperRow.WriteChanges(recorded),
        };

    private static string? Pick(PaperFields carried, PaperFields field, string? fresh, string? stored) =>
        carried.HasFlag(field) && !string.IsNullOrEmpty(fresh) ? fresh : stored;

    private static IEnumerable<ChangeRow> ChangeRowsFor(PaperRow row, IReadOnlyList<RecordedChange> recorded, SnapshotContext snapshot) =>
        recorded.Select(change => NewChangeRow(snapshot, row.RowKey, row.Title, row.Date, change));

    private static ChangeRow NewChangeRow(SnapshotContext snapshot, string paperId, string title, string? paperDate, RecordedChange change) => new()
    {
        PartitionKey = ChangeRow.PartitionFor(snapshot.FetchedAt),
        RowKey = ChangeRow.KeyFor(snapshot.FetchedAt, snapshot.PageKey, paperId, change.Kind),
        Kind = change.Kind,
        PaperId = paperId,
        Title = title,
        PaperDate = paperDate,
        PageKey = snapshot.PageKey,
        SnapshotId = snapshot.SnapshotId,
        DetectedAt = snapshot.FetchedAt,
        Fields = change.Fields,
        OldUpvotes = change.OldUpvotes,
        NewUpvotes = change.NewUpvotes,
        TraceParent = snapshot.TraceParent,
    };
}

/// <summary>Groups of paper fields a page format may or may not carry.</summary>
[Flags]
public enum PaperFields
{
    None = 0,
    Title = 1,
    Abstract = 2,
    Authors = 4,
    Upvotes = 8,

    /// <summary>AI summary and keywords, organization, repository.</summary>
    Details = 16,
    All = Title | Abstract | Authors | Upvotes | Details,
}
