using Digest.Crawling;
using Digest.Papers;
using Digest.Parsing;
using Shouldly;

namespace Digest.Tests.Crawling;

public sealed class PaperDifferTests
{
    private static readonly DateTimeOffset Then = new(2026, 3, 20, 8, 0, 0, TimeSpan.Zero);
    private static readonly Paper Stored = new("2403.01234", "Title", "An abstract.", ["Ada Lovelace"], 10, new DateOnly(2026, 3, 19));

    [Fact]
    public void Diff_PlainTextPageWithoutUpvotesOrAuthors_DoesNotReportThemChanged()
    {
        var existing = RowOf(Stored);
        var page = new ParsedPage([Stored with { Upvotes = 0, Authors = [] }], ParsePath.PlainText, null, []);

        var diff = PaperDiffer.Diff(page, new SnapshotContext("file-a", "file-a/2", Then.AddHours(1)), existing, []);

        diff.Changes.ShouldBeEmpty();
        diff.PaperWrites.ShouldBeEmpty();
    }

    [Fact]
    public void Diff_CardsPageWithoutAbstract_KeepsStoredAbstract()
    {
        var existing = RowOf(Stored);
        var page = new ParsedPage([Stored with { Abstract = "", Upvotes = 12 }], ParsePath.Cards, null, []);

        var diff = PaperDiffer.Diff(page, new SnapshotContext("daily-x", "daily-x/2", Then.AddHours(1)), existing, []);

        diff.Changes.ShouldHaveSingleItem().Kind.ShouldBe(ChangeKind.UpvotesChanged);
        diff.PaperWrites.ShouldHaveSingleItem().Abstract.ShouldBe("An abstract.");
    }

    [Fact]
    public void Diff_OlderSnapshot_NeverRollsBack()
    {
        var existing = RowOf(Stored);
        var page = new ParsedPage([Stored with { Upvotes = 2, Title = "Old title" }], ParsePath.ApiJson, null, []);

        var diff = PaperDiffer.Diff(page, new SnapshotContext("api-x", "api-x/0", Then.AddHours(-1)), existing, []);

        diff.PaperWrites.ShouldBeEmpty();
        diff.Changes.ShouldBeEmpty();
    }

    [Fact]
    public void Diff_SameSnapshotAgainAfterCrash_ReturnsTheRecordedChangesWithTheSameKeys()
    {
        var snapshot = new SnapshotContext("api-x", "api-x/1", Then);
        var page = new ParsedPage([Stored], ParsePath.ApiJson, null, []);
        var first = PaperDiffer.Diff(page, snapshot, new Dictionary<string, PaperRow>(), []);
        var written = first.PaperWrites.ToDictionary(row => row.RowKey);

        var again = PaperDiffer.Diff(page, snapshot, written, []);

        again.PaperWrites.ShouldBeEmpty();
        again.Changes.ShouldBeEmpty();
        again.ChangeRowsToWrite.Select(change => change.RowKey).ShouldBe(first.Changes.Select(change => change.RowKey));
        again.Replayed.ShouldHaveSingleItem().Kind.ShouldBe(ChangeKind.New);
    }

    [Fact]
    public void Diff_PaperLeftThePage_ReportsRemovedFromThatPage()
    {
        var existing = RowOf(Stored);
        var page = new ParsedPage([], ParsePath.ApiJson, null, []);

        var diff = PaperDiffer.Diff(page, new SnapshotContext("api-x", "api-x/2", Then.AddHours(1)), existing, [Stored.Id]);

        var removed = diff.Changes.ShouldHaveSingleItem();
        removed.Kind.ShouldBe(ChangeKind.Removed);
        removed.PageKey.ShouldBe("api-x");
        removed.Title.ShouldBe("Title");
    }

    [Theory]
    [InlineData("2407.21783", "2407")]
    [InlineData("2407.0123", "2407")]
    [InlineData("title-0123456789abcdef", "other")]
    [InlineData("24x7.21783", "other")]
    public void PartitionFor_PaperId_GroupsByArxivYearMonth(string id, string partition) =>
        PaperRow.PartitionFor(id).ShouldBe(partition);

    private static Dictionary<string, PaperRow> RowOf(Paper paper) =>
        PaperDiffer.Diff(new ParsedPage([paper], ParsePath.ApiJson, null, []), new SnapshotContext("api-x", "api-x/1", Then), new Dictionary<string, PaperRow>(), [])
            .PaperWrites.ToDictionary(row => row.RowKey);
}
