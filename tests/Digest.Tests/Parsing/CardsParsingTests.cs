using Digest.Parsing;
using Shouldly;

namespace Digest.Tests.Parsing;

/// <summary>The cards fallback, on both list layouts, against the data-props of the same page.</summary>
public sealed class CardsParsingTests
{
    private readonly PageParser _parser = new();

    [Fact]
    public void Parse_2024PageWithoutDataProps_ReadsCardsMatchingDataProps()
    {
        var html = File.ReadAllText(ParsingTestData.HtmlFixture);
        var fromProps = _parser.Parse(ParsingTestData.FromText(html, "text/html"));

        var fromCards = _parser.Parse(ParsingTestData.FromText(ParsingTestData.WithoutDataProps(html), "text/html"));

        fromCards.Path.ShouldBe(ParsePath.Cards);
        fromCards.Warnings.ShouldBeEmpty();
        fromCards.PageDate.ShouldBe(new DateOnly(2024, 8, 1));
        ShouldMatchOnCardFields(fromCards, fromProps);
        fromCards.Papers.Select(paper => paper.NumComments).ShouldBe(fromProps.Papers.Select(paper => paper.NumComments));
        fromCards.Papers.Select(paper => paper.SubmittedBy).ShouldBe(fromProps.Papers.Select(paper => paper.SubmittedBy));
        fromCards.Papers.ShouldAllBe(paper => paper.Date == new DateOnly(2024, 8, 1));

        // Cards carry neither abstracts nor author names.
        fromCards.Papers.ShouldAllBe(paper => paper.Abstract.Length == 0 && paper.Authors.Count == 0);
    }

    [Fact]
    public void Parse_2026SyntheticPage_ReadsDataPropsFirst()
    {
        var parsed = _parser.Parse(ParsingTestData.FromFile(ParsingTestData.CardsFixture2026));

        parsed.Path.ShouldBe(ParsePath.DataProps);
        parsed.PageDate.ShouldBe(new DateOnly(2026, 6, 12));
        parsed.Papers.Select(paper => paper.Id).ShouldBe(["2606.13681", "2606.13392", "2606.08063", "2606.11409", "2606.00467"]);
        parsed.Warnings.ShouldBeEmpty();
    }

    [Fact]
    public void Parse_2026PageWithoutDataProps_DedupesTwiceRenderedCardsAndMatchesDataProps()
    {
        var html = File.ReadAllText(ParsingTestData.CardsFixture2026);
        var fromProps = _parser.Parse(ParsingTestData.FromText(html, "text/html"));

        var fromCards = _parser.Parse(ParsingTestData.FromText(
            ParsingTestData.WithoutDataProps(html), "text/html", requestedDate: new DateOnly(2026, 6, 12)));

        fromCards.Path.ShouldBe(ParsePath.Cards);
        fromCards.Warnings.ShouldBeEmpty();
        fromCards.Papers.Count.ShouldBe(5);
        ShouldMatchOnCardFields(fromCards, fromProps);

        // No date on the card page: the requested date is the bucket.
        fromCards.PageDate.ShouldBeNull();
        fromCards.Papers.ShouldAllBe(paper => paper.Date == new DateOnly(2026, 6, 12));

        var zeroVotes = fromCards.Papers.Single(paper => paper.Id == "2606.00467");
        zeroVotes.Upvotes.ShouldBe(0);

        var minimax = fromCards.Papers.Single(paper => paper.Id == "2606.13392");
        var minimaxProps = fromProps.Papers.Single(paper => paper.Id == "2606.13392");
        minimax.GithubRepo.ShouldBe(minimaxProps.GithubRepo);
        minimax.GithubStars.ShouldBe(251);
        minimax.AiSummary.ShouldBe(minimaxProps.AiSummary);
        minimax.NumComments.ShouldBe(minimaxProps.NumComments);
        minimax.SubmittedBy.ShouldBe("ryanlee-dev");
    }

    [Fact]
    public void Parse_MalformedDataPropsWithCards_FallsBackToCardsWithAWarning()
    {
        var html = File.ReadAllText(ParsingTestData.HtmlFixture);
        var broken = html.Replace("data-target=\"DailyPapers\" data-props=\"{&quot;canSubmit&quot;", "data-target=\"DailyPapers\" data-props=\"{&quot;canSubmit&quot;,,", StringComparison.Ordinal);
        broken.ShouldNotBe(html);

        var parsed = _parser.Parse(ParsingTestData.FromText(broken, "text/html"));

        parsed.Path.ShouldBe(ParsePath.Cards);
        parsed.Papers.Count.ShouldBe(13);
        var warning = parsed.Warnings.ShouldHaveSingleItem();
        warning.ShouldContain("data-props");
        warning.ShouldContain("not valid JSON (line 1, byte");
        warning.ShouldContain("Read the paper cards instead");
    }

    [Fact]
    public void Parse_CardHrefWithVersion_StripsTheVersion()
    {
        const string html = """
            <html><body><article><a href="/papers/2407.21783v2"><img src="x.png"></a>
            <h3><a href="/papers/2407.21783v2">The Llama 3 Herd of Models</a></h3>
            <a href="/login?next=%2Fpapers%2F2407.21783"><div><div class="leading-none">1,204</div></div></a></article></body></html>
            """;

        var parsed = _parser.Parse(ParsingTestData.FromText(html, "text/html", requestedDate: new DateOnly(2024, 8, 1)));

        var paper = parsed.Papers.ShouldHaveSingleItem();
        paper.Id.ShouldBe("2407.21783");
        paper.Upvotes.ShouldBe(1204);
        paper.Date.ShouldBe(new DateOnly(2024, 8, 1));
    }

    [Theory]
    [InlineData("-", 0)]
    [InlineData("0", 0)]
    [InlineData(" 94 ", 94)]
    [InlineData("1,234", 1234)]
    [InlineData("90.1k", 90100)]
    [InlineData("2M", 2000000)]
    [InlineData("Upvote", null)]
    [InlineData("", null)]
    public void ParseCount_CardText_ReadsWhatTheSiteShows(string text, int? expected)
    {
        CardsReader.ParseCount(text).ShouldBe(expected);
    }

    private static void ShouldMatchOnCardFields(ParsedPage fromCards, ParsedPage fromProps)
    {
        fromProps.Path.ShouldBe(ParsePath.DataProps);
        fromCards.Papers.Select(paper => paper.Id).ShouldBe(fromProps.Papers.Select(paper => paper.Id));
        fromCards.Papers.Select(paper => paper.Title).ShouldBe(fromProps.Papers.Select(paper => paper.Title));
        fromCards.Papers.Select(paper => paper.Upvotes).ShouldBe(fromProps.Papers.Select(paper => paper.Upvotes));
    }

    [Fact]
    public void Parse_2026SyntheticFixture_HoldsRealApiItems()
    {
        // The synthetic page's data-props must stay the real API items it claims to copy.
        var api = ParsingTestData.ReadExpected(ParsingTestData.ApiFixture).ToDictionary(paper => paper.Id);
        var html = File.ReadAllText(ParsingTestData.CardsFixture2026);
        var parsed = _parser.Parse(ParsingTestData.FromText(html, "text/html"));

        parsed.Papers.Count.ShouldBe(5);
        foreach (var paper in parsed.Papers)
        {
            var expected = api[paper.Id];
            paper.Title.ShouldBe(expected.Title);
            paper.Authors.ShouldBe(expected.Authors);
            paper.Upvotes.ShouldBe(expected.Upvotes);
        }
    }
}
