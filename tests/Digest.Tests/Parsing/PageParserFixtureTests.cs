using System.Text.Json;
using Digest.Parsing;
using Digest.Tests.Infrastructure;
using Shouldly;

namespace Digest.Tests.Parsing;

/// <summary>Every real page in Fixtures/hf-papers, checked paper by paper against the page's own JSON.</summary>
public sealed class PageParserFixtureTests
{
    private readonly PageParser _parser = new();

    public static TheoryData<string> HfPapersFixtures()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.GetDirectoryName(TestData.HfPapers("x"))!).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    [Fact]
    public void HfPapersFixtures_FolderListing_CoversTheThreeKnownPages()
    {
        // If a fixture is added, the theory below picks it up; this guards against the folder silently going missing.
        HfPapersFixtures().Count.ShouldBeGreaterThanOrEqualTo(3);
    }

    [Theory]
    [MemberData(nameof(HfPapersFixtures))]
    public void Parse_EveryFixture_MatchesIdsTitlesAuthorsAndUpvotesOfItsOwnJson(string fileName)
    {
        var path = TestData.HfPapers(fileName);
        var expectedSource = fileName.EndsWith(".html", StringComparison.Ordinal)
            ? Path.ChangeExtension(path, ".dataprops.json")
            : path;
        File.Exists(expectedSource).ShouldBeTrue($"no JSON to check {fileName} against");
        var expected = ParsingTestData.ReadExpected(expectedSource);

        var parsed = _parser.Parse(ParsingTestData.FromFile(path));

        parsed.Warnings.ShouldBeEmpty();
        parsed.Papers.Count.ShouldBe(expected.Count);
        expected.Count.ShouldBeGreaterThan(0);
        for (var index = 0; index < expected.Count; index++)
        {
            var paper = parsed.Papers[index];
            var want = expected[index];
            paper.Id.ShouldBe(want.Id);
            paper.Title.ShouldBe(want.Title);
            paper.Authors.ShouldBe(want.Authors);
            paper.Upvotes.ShouldBe(want.Upvotes);
            paper.Abstract.ShouldNotBeEmpty();
            paper.Abstract.ShouldNotContain('\n');
        }
    }

    [Fact]
    public void Parse_Html2024Fixture_ReadsDataPropsWithPageDateAndOuterFields()
    {
        var parsed = _parser.Parse(ParsingTestData.FromFile(ParsingTestData.HtmlFixture));

        parsed.Path.ShouldBe(ParsePath.DataProps);
        parsed.PageDate.ShouldBe(new DateOnly(2024, 8, 1));
        parsed.Papers.Count.ShouldBe(13);
        parsed.Papers.ShouldAllBe(paper => paper.Date == new DateOnly(2024, 8, 1));

        var llama = parsed.Papers.Single(paper => paper.Id == "2407.21783");
        llama.Title.ShouldBe("The Llama 3 Herd of Models");
        llama.Authors.Count.ShouldBe(533);
        llama.Authors[0].ShouldBe("Abhimanyu Dubey");
        llama.NumComments.ShouldBe(5);
        llama.SubmittedBy.ShouldBe("akhaliq");
        llama.PublishedAt.ShouldBe(new DateTimeOffset(2024, 7, 31, 17, 54, 27, TimeSpan.Zero));
        llama.Abstract.ShouldStartWith("Modern artificial intelligence (AI) systems are powered by foundation models. This paper presents");

        // paper.title has an arXiv line break here; the outer title does not.
        parsed.Papers.Single(paper => paper.Id == "2407.21770").Title
            .ShouldBe("MoMa: Efficient Early-Fusion Pre-training with Mixture of Modality-Aware Experts");

        // One of the six authors of 2407.21781 is hidden on the site.
        parsed.Papers.Single(paper => paper.Id == "2407.21781").Authors.Count.ShouldBe(5);

        // Submitted at 22:08Z on the day: still the 2024-08-01 bucket, whatever the outer publishedAt says.
        parsed.Papers.Single(paper => paper.Id == "2407.20229").Date.ShouldBe(new DateOnly(2024, 8, 1));
    }

    [Fact]
    public void Parse_SavedDataPropsJson_ReadsLikeTheHtmlPage()
    {
        var fromHtml = _parser.Parse(ParsingTestData.FromFile(ParsingTestData.HtmlFixture));
        var fromJson = _parser.Parse(ParsingTestData.FromFile(ParsingTestData.DataPropsFixture));

        fromJson.Path.ShouldBe(ParsePath.DataProps);
        fromJson.PageDate.ShouldBe(fromHtml.PageDate);
        fromJson.Papers.Count.ShouldBe(fromHtml.Papers.Count);
        for (var index = 0; index < fromHtml.Papers.Count; index++)
        {
            fromJson.Papers[index].ShouldBeEquivalentTo(fromHtml.Papers[index]);
        }
    }

    [Fact]
    public void Parse_ApiFixture_ReadsThe2026FieldsAndTheDailyBucket()
    {
        // Fetched the next day with no requested date: the bucket must come from paper.submittedOnDailyAt.
        var parsed = _parser.Parse(ParsingTestData.FromFile(ParsingTestData.ApiFixture, fetchedAt: new DateTimeOffset(2026, 6, 13, 3, 0, 0, TimeSpan.Zero)));

        parsed.Path.ShouldBe(ParsePath.ApiJson);
        parsed.Papers.Count.ShouldBe(30);
        parsed.Papers.ShouldAllBe(paper => paper.Date == new DateOnly(2026, 6, 12));

        var risk = parsed.Papers.Single(paper => paper.Id == "2606.11409");
        risk.Title.ShouldBe("Risk Under Pressure: Compute-Aware Evaluation of Adversarial Robustness in Language Models");
        risk.Upvotes.ShouldBe(8);
        risk.NumComments.ShouldBe(3);
        risk.Organization.ShouldBe("r-three");
        risk.GithubRepo.ShouldBe("https://github.com/r-three/risk-under-pressure");
        risk.GithubStars.ShouldBe(1);
        risk.SubmittedBy.ShouldBe("Malikeh1375");
        risk.PublishedAt.ShouldBe(new DateTimeOffset(2026, 6, 9, 0, 0, 0, TimeSpan.Zero));
        risk.AiSummary.ShouldNotBeNullOrWhiteSpace();
        risk.AiKeywords.ShouldContain("adversarial robustness");

        parsed.Papers.Single(paper => paper.Id == "2606.06113").Organization.ShouldBe("Kolors Team, Kuaishou Technology");
        parsed.Papers.Count(paper => paper.Organization is not null).ShouldBe(16);
        parsed.Papers.Count(paper => paper.GithubRepo is not null).ShouldBe(16);
        parsed.Papers.ShouldAllBe(paper => paper.AiKeywords.Count > 0);
    }

    [Fact]
    public void Parse_OneInstanceFromManyThreads_GivesTheSameResultAsSequentially()
    {
        string[] paths = [ParsingTestData.HtmlFixture, ParsingTestData.ApiFixture, ParsingTestData.CardsFixture2026, .. TestData.CorpusFiles];
        var pages = paths.Select(path => ParsingTestData.FromFile(path)).ToArray();
        var sequential = pages.Select(page => Fingerprint(_parser.Parse(page))).ToArray();
        var parallel = new string[pages.Length * 8];

        Parallel.For(0, parallel.Length, new ParallelOptions { CancellationToken = TestContext.Current.CancellationToken }, index =>
            parallel[index] = Fingerprint(_parser.Parse(pages[index % pages.Length])));

        for (var index = 0; index < parallel.Length; index++)
        {
            parallel[index].ShouldBe(sequential[index % pages.Length], $"page {paths[index % pages.Length]}");
        }
    }

    // Records compare author lists by reference; the serialized form compares every field by value.
    private static string Fingerprint(ParsedPage page) => JsonSerializer.Serialize(page);
}
