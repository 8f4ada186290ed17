using Digest.Parsing;
using Digest.Tests.Infrastructure;
using Shouldly;

namespace Digest.Tests.Parsing;

/// <summary>The plain-text seed pages (Fixtures/corpus) and the plain-text format's edge cases.</summary>
public sealed class PlainTextParsingTests
{
    private const string Header = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nbyAK and the research community\n\n";

    private static readonly DateTimeOffset CorpusFetchedAt = new(2025, 1, 10, 9, 0, 0, TimeSpan.Zero);

    private readonly PageParser _parser = new();

    [Fact]
    public void Parse_Corpus_Reads579PairsOf506PapersWithOneChangedAbstract()
    {
        var pages = TestData.CorpusFiles
            .Select(path => _parser.Parse(ParsingTestData.FromFile(path, fetchedAt: CorpusFetchedAt)))
            .ToList();

        pages.Count.ShouldBe(5);
        pages.ShouldAllBe(page => page.Path == ParsePath.PlainText && page.Warnings.Count == 0);
        pages.Sum(page => page.Papers.Count).ShouldBe(579);

        var byId = pages.SelectMany(page => page.Papers).GroupBy(paper => paper.Id).ToList();
        byId.Count.ShouldBe(506);

        var changed = byId.Where(group => group.Select(paper => paper.Abstract).Distinct(StringComparer.Ordinal).Count() > 1).ToList();
        var paper = changed.ShouldHaveSingleItem();
        paper.First().Title.ShouldStartWith("OpenBezoar: Small, Cost-Effective and Open Models");
        paper.Count().ShouldBe(2);
        paper.Select(p => p.Abstract).ShouldContain(a => a.Contains("huggingface.host/collections", StringComparison.Ordinal));
        paper.Select(p => p.Abstract).ShouldContain(a => a.Contains("huggingface.co/collections", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_CorpusPages_ResolveTheirYearlessDatesAgainstTheFetchTime()
    {
        var dates = TestData.CorpusFiles
            .Select(path => _parser.Parse(ParsingTestData.FromFile(path, fetchedAt: CorpusFetchedAt)).PageDate)
            .ToList();

        dates.ShouldBe([new DateOnly(2024, 3, 13), new DateOnly(2024, 3, 11), new DateOnly(2024, 3, 14), new DateOnly(2024, 3, 14), new DateOnly(2024, 3, 13)]);
    }

    [Fact]
    public void Parse_CorpusPage_GivesTitleIdsAndWhitespaceNormalizedText()
    {
        var path = TestData.CorpusFiles[0];
        var page = _parser.Parse(ParsingTestData.FromFile(path, fetchedAt: CorpusFetchedAt));

        // Each file is 4 header lines, a date line, then title/abstract pairs, one per line with blank lines between.
        var nonBlankLines = File.ReadAllLines(path).Count(line => line.Trim().Length > 0);
        page.Papers.Count.ShouldBe((nonBlankLines - 5) / 2);

        var first = page.Papers[0];
        first.Title.ShouldBe("BinaryDM: Towards Accurate Binarization of Diffusion Model");
        first.Id.ShouldBe(PaperIds.FromTitle(first.Title));
        first.Id.ShouldStartWith(PaperIds.TitlePrefix);
        first.Date.ShouldBe(new DateOnly(2024, 3, 13));
        first.Upvotes.ShouldBe(0);
        first.Authors.ShouldBeEmpty();
        page.Papers.ShouldAllBe(paper => paper.Abstract.Length > 0 && !paper.Title.Contains("  "));
    }

    [Theory]
    [InlineData("Dec 31", 2027, 1, 2, 2026, 12, 31)]
    [InlineData("Jan 2", 2027, 1, 2, 2027, 1, 2)]
    [InlineData("Jan 3", 2027, 1, 2, 2026, 1, 3)]
    [InlineData("Mar 13", 2024, 3, 12, 2023, 3, 13)]
    [InlineData("Feb 29", 2027, 3, 1, 2024, 2, 29)]
    [InlineData("March 13, 2019", 2027, 1, 2, 2019, 3, 13)]
    public void Parse_YearlessDate_ResolvesToLatestDateNotAfterFetch(string dateLine, int fy, int fm, int fd, int y, int m, int d)
    {
        var text = $"{Header}{dateLine}\n\nA Title\n\nAn abstract.";

        var page = _parser.Parse(ParsingTestData.FromText(text, "text/plain", fetchedAt: new DateTimeOffset(fy, fm, fd, 12, 0, 0, TimeSpan.Zero)));

        page.PageDate.ShouldBe(new DateOnly(y, m, d));
        page.Papers.ShouldHaveSingleItem().Date.ShouldBe(new DateOnly(y, m, d));
    }

    [Fact]
    public void Parse_YearlessDate_UsesTheUtcDateOfTheFetchTime()
    {
        // 23:30 on Jan 1 in New York is 04:30 on Jan 2 UTC: "Jan 2" is that day, not a year earlier.
        var fetchedAt = new DateTimeOffset(2027, 1, 1, 23, 30, 0, TimeSpan.FromHours(-5));
        var text = $"{Header}Jan 2\n\nA Title\n\nAn abstract.";

        var page = _parser.Parse(ParsingTestData.FromText(text, null, fetchedAt: fetchedAt));

        page.PageDate.ShouldBe(new DateOnly(2027, 1, 2));
    }

    [Fact]
    public void Parse_OddNumberOfParagraphs_KeepsTheLastTitleWithoutAbstractAndWarns()
    {
        var text = $"{Header}Mar 13\n\nFirst Title\n\nFirst abstract.\n\nDangling Title";

        var page = _parser.Parse(ParsingTestData.FromText(text, "text/plain"));

        page.Papers.Count.ShouldBe(2);
        page.Papers[1].Title.ShouldBe("Dangling Title");
        page.Papers[1].Abstract.ShouldBeEmpty();
        var warning = page.Warnings.ShouldHaveSingleItem();
        warning.ShouldContain("odd number (3)");
        warning.ShouldContain("Line 15");
    }

    [Fact]
    public void Parse_ParagraphWrappedOverLines_JoinsAndNormalizesIt()
    {
        var text = "new\r\n\r\nSubscribe\r\n\r\nMar 13\r\n\r\n  A   wrapped\r\n   title \r\n\r\nAn abstract\r\nwrapped\tover lines.\r\n";

        var page = _parser.Parse(ParsingTestData.FromText(text, "text/plain"));

        var paper = page.Papers.ShouldHaveSingleItem();
        paper.Title.ShouldBe("A wrapped title");
        paper.Abstract.ShouldBe("An abstract wrapped over lines.");
        page.Warnings.ShouldBeEmpty();
    }

    [Fact]
    public void Parse_HeaderWithDateAndNoPapers_IsAnEmptyPage()
    {
        var page = _parser.Parse(ParsingTestData.FromText($"{Header}Mar 13\n", "text/plain"));

        page.Path.ShouldBe(ParsePath.PlainText);
        page.Papers.ShouldBeEmpty();
        page.Warnings.ShouldBeEmpty();
    }

    [Fact]
    public void Parse_PlainTextWithoutDateLine_ThrowsSayingWhatIsMissing()
    {
        var text = $"{Header}A Title\n\nAn abstract.";

        var exception = Should.Throw<PageParseException>(() => _parser.Parse(ParsingTestData.FromText(text, "text/plain")));

        exception.Message.ShouldContain("no date line such as 'Mar 13'");
        exception.Message.ShouldContain("line 1: 'new'");
    }

    [Fact]
    public void Parse_SamePaperOnTwoPages_GetsTheSameTitleIdDespiteSpacingAndCase()
    {
        var first = _parser.Parse(ParsingTestData.FromText($"{Header}Mar 13\n\nAttention Is All You Need\n\nA.", "text/plain"));
        var second = _parser.Parse(ParsingTestData.FromText($"{Header}Mar 14\n\n  attention is   all you NEED!\n\nA.", "text/plain"));

        second.Papers[0].Id.ShouldBe(first.Papers[0].Id);
        second.Papers[0].Title.ShouldBe("attention is all you NEED!");
    }

    [Fact]
    public void Parse_DuplicateTitleOnOnePage_KeepsTheFirstAndWarns()
    {
        var text = $"{Header}Mar 13\n\nSame Title\n\nFirst.\n\nSame  title\n\nSecond.";

        var page = _parser.Parse(ParsingTestData.FromText(text, "text/plain"));

        page.Papers.ShouldHaveSingleItem().Abstract.ShouldBe("First.");
        page.Warnings.ShouldHaveSingleItem().ShouldContain("repeats paper title-");
    }
}
