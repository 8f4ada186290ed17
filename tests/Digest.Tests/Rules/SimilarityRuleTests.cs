using CsCheck;
using Digest.Papers;
using Digest.Parsing;
using Digest.Rules;
using Digest.Tests.Infrastructure;
using Shouldly;

namespace Digest.Tests.Rules;

/// <summary><c>like:</c> rules on the corpus of the five seed pages (506 papers as the page parser reads them).</summary>
public sealed class SimilarityRuleTests
{
    /// <summary>BinaryDM: Towards Accurate Binarization of Diffusion Model (1-bit quantization-aware training of diffusion models).</summary>
    private const string BinaryDm = "title-48d7dc7d6ad1cf75";

    private static readonly Lazy<(IReadOnlyList<Paper> Papers, CorpusStatistics Statistics)> Corpus = new(LoadCorpus);

    private static IReadOnlyList<Paper> CorpusPapers => Corpus.Value.Papers;

    private static CorpusStatistics Statistics => Corpus.Value.Statistics;

    [Fact]
    public void Like_DiffusionQuantizationPaper_ReturnsTheQuantizationAndDiffusionPapersAheadOfUnrelatedOnes()
    {
        // Checked by hand, from each paper's title and abstract. The corpus has one diffusion-quantization paper, BinaryDM;
        // the papers closest to it are the other quantization papers (low-bit weights and activations) and diffusion papers.
        string[] related =
        [
            BinaryDm,                      // the reference itself: binarized (1-bit) diffusion models
            "title-8c2683fbf9383100",      // High-Resolution Image Synthesis with Latent Diffusion Models: diffusion models
            "title-c754aa6b274bb149",      // decoupleQ: 2-bit post-training uniform quantization
            "title-cbf35542700b7d42",      // One-dimensional Adapter ... Diffusion Models and Erasing: adapting diffusion models
            "title-166f8917cebe9854",      // SmoothQuant+: 4-bit post-training weight quantization for LLMs
            "title-de50a72dbde9ca5b",      // I&S-ViT: post-training quantization of ViTs at low bit-widths
            "title-21aec62793d3d2a6",      // L4Q: quantization-aware training of LLMs
            "title-5db00aa7a68f1cb8",      // PD-Quant: post-training quantization
            "title-16748ae03f1dc767",      // Scaling Laws for Floating Point Quantization Training
            "title-e91e470997b546b2",      // MPTQ-ViT: mixed-precision post-training quantization
            "title-66d35ee7c39dce16",      // NUPES: non-uniform post-training quantization
            "title-e4ec1dcbeee33bc4",      // RepQ-ViT: post-training quantization of vision transformers
            "title-34a59b649ac3e113",      // 8-bit Optimizers via Block-wise Quantization
            "title-35fed45e4b910ca6",      // ZeroQuant-V2: post-training quantization in LLMs
            "title-116c6939f9e59e5b",      // DopQ-ViT: post-training quantization for vision transformers
        ];

        var matched = Match($"like:{BinaryDm}~0.07");
        var byScore = RuleParser.Parse($"like:{BinaryDm}", Statistics).Rule!.Root.ShouldBeOfType<LikeNode>().Query;
        var ranked = CorpusPapers.OrderByDescending(byScore.Score).Select(paper => paper.Id).ToList();

        matched.ShouldBe(related, ignoreOrder: true);
        ranked.Take(related.Length).ShouldBe(related, ignoreOrder: true);
        ranked[0].ShouldBe(BinaryDm);

        // The default threshold keeps the closest: the reference, two diffusion papers and the 2-bit quantization one.
        Match($"like:{BinaryDm}").ShouldBe(related[..4], ignoreOrder: true);
    }

    [Fact]
    public void Like_CombinedWithTheLanguage_FiltersTheSimilarPapers()
    {
        var similar = Match($"like:{BinaryDm}~0.07");
        var combined = Match($"like:{BinaryDm}~0.07 -vit upvotes>=0");

        combined.ShouldNotBeEmpty();
        combined.ShouldBeSubsetOf(similar);
        combined.ShouldNotContain("title-e4ec1dcbeee33bc4"); // RepQ-ViT
        similar.Except(combined).ShouldAllBe(id => CorpusPapers.Single(paper => paper.Id == id).Title.Contains("ViT", StringComparison.OrdinalIgnoreCase)
            || CorpusPapers.Single(paper => paper.Id == id).Abstract.Contains("ViT", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Preview_LikeRule_ShowsTheWordsThatMadeTheMatch()
    {
        var preview = RulePreview.Run($"like:{BinaryDm}", CorpusPapers, Statistics);

        preview.Error.ShouldBeNull();
        var latentDiffusion = preview.Matches.Single(match => match.Paper.Id == "title-8c2683fbf9383100");
        latentDiffusion.MatchedWords.ShouldContain(new MatchedWord(PaperField.Title, "diffusion"));
        latentDiffusion.HighlightTitle("**", "**").ShouldBe("High-Resolution Image Synthesis with Latent **Diffusion** Models");
        var decoupleQ = preview.Matches.Single(match => match.Paper.Id == "title-c754aa6b274bb149");
        decoupleQ.MatchedWords.Select(word => word.Text).ShouldContain("quantization");
    }

    [Theory]
    [InlineData("like:", 0, "like: needs a paper id", "like like:2403.12345")]
    [InlineData("like:\"a b\"", 0, "like: needs a paper id", "like like:2403.12345")]
    [InlineData("diffusion like:2403.99999", 15, "unknown paper 2403.99999", "like: takes the id of a stored paper")]
    [InlineData("like:2403/1", 5, "\"2403/1\" is not a paper id", "like like:2403.12345")]
    [InlineData("like:title-48d7dc7d6ad1cf75~1.5", 28, "the similarity after ~ must be a number above 0 and at most 1", "like like:2403.12345~0.25")]
    [InlineData("like:title-48d7dc7d6ad1cf75~", 28, "the similarity after ~ must be a number above 0 and at most 1", "like like:2403.12345~0.25")]
    [InlineData("title:like:title-48d7dc7d6ad1cf75", 6, "like: cannot be inside a field scope", null)]
    [InlineData("NOT like:title-48d7dc7d6ad1cf75", 0, "the rule would match almost every paper: it needs a word or phrase that must be present", null)]
    [InlineData("lik:title-48d7dc7d6ad1cf75", 0, "unknown field \"lik\"", "did you mean \"like\"?")]
    public void Parse_MalformedLike_SaysWhereAndWhy(string text, int position, string message, string? hint)
    {
        var result = RuleParser.Parse(text, Statistics);

        result.IsSuccess.ShouldBeFalse();
        result.Error.ShouldBe(new RuleError(position, message, hint));
    }

    [Fact]
    public void Parse_LikeWithoutStoredPapers_SaysTheyAreNeeded()
    {
        RuleParser.Parse($"quantization like:{BinaryDm}").Error.ShouldBe(new RuleError(13, "like: needs the stored papers, which are not available here"));
    }

    [Fact]
    public void Parse_LikeWithThresholdAndOtherTerms_PrintsCanonicallyAndReparsesEqual()
    {
        var rule = RuleParser.Parse($"LIKE:{BinaryDm}~0.25 -survey upvotes>=10", Statistics).Rule!;

        rule.ToString().ShouldBe($"like:{BinaryDm}~0.25 NOT survey upvotes>=10");
        rule.HasSimilarity.ShouldBeTrue();
        RuleParser.Parse(rule.ToString(), Statistics).Rule.ShouldBe(rule);
        RuleParser.Parse($"like:{BinaryDm}~0.1", Statistics).Rule!.ToString().ShouldBe($"like:{BinaryDm}");
        RuleParser.Parse($"like:{BinaryDm}~0.25", Statistics).Rule.ShouldNotBe(RuleParser.Parse($"like:{BinaryDm}~0.3", Statistics).Rule);
    }

    [Fact]
    public void Statistics_WithReplacedPaper_CountsItsNewWordsOnly()
    {
        var first = Papers.Make("Diffusion quantization", "binary weights", id: "a");
        var second = Papers.Make("Vision agents", "tool use", id: "b");
        var statistics = CorpusStatistics.FromPapers([first, second]);

        var updated = statistics.With([first with { Title = "Diffusion pruning" }]);

        statistics.DocumentFrequency("quantization").ShouldBe(1);
        updated.DocumentFrequency("quantization").ShouldBe(0);
        updated.DocumentFrequency("pruning").ShouldBe(1);
        updated.DocumentFrequency("diffusion").ShouldBe(1);
        updated.PaperCount.ShouldBe(2);
        updated.InverseDocumentFrequency("pruning").ShouldBe(Math.Log(3.0 / 2.0) + 1.0);
    }

    [Fact]
    public void Like_HigherThreshold_NeverMatchesMore()
    {
        var references = CorpusPapers.Where(paper => SimilarityQuery.Create(paper, Statistics) is not null).Select(paper => paper.Id).ToArray();
        Gen.Select(Gen.OneOf(references), Gen.Double[0.01, 1.0], Gen.Double[0.01, 1.0]).Sample((reference, a, b) =>
        {
            var (low, high) = a <= b ? (a, b) : (b, a);
            var lowRule = RuleParser.Parse(FormattableString.Invariant($"like:{reference}~{low:0.###}"), Statistics).Rule!;
            var highRule = RuleParser.Parse(FormattableString.Invariant($"like:{reference}~{high:0.###}"), Statistics).Rule!;

            var lowCount = CorpusPapers.Count(lowRule.IsMatch);
            var highCount = CorpusPapers.Count(highRule.IsMatch);

            lowCount.ShouldBeGreaterThanOrEqualTo(highCount, $"{reference}: ~{low} matched {lowCount}, ~{high} matched {highCount}");
        }, iter: 60);
    }

    private static List<string> Match(string ruleText)
    {
        var rule = RuleParser.Parse(ruleText, Statistics);
        rule.IsSuccess.ShouldBeTrue(rule.ToString());
        var index = RuleIndex.Build([new IndexedRule("r", "o", rule.Rule)]);
        var matched = index.Match(CorpusPapers).Select(match => match.PaperId).ToList();

        // The index answers exactly as the rule evaluated alone.
        matched.ShouldBe(CorpusPapers.Where(rule.Rule.IsMatch).Select(paper => paper.Id));
        return matched;
    }

    private static (IReadOnlyList<Paper>, CorpusStatistics) LoadCorpus()
    {
        var parser = new PageParser();
        var byId = new Dictionary<string, Paper>(StringComparer.Ordinal);
        foreach (var file in TestData.CorpusFiles)
        {
            var page = parser.Parse(new PageToParse(File.ReadAllBytes(file), "text/plain; charset=utf-8", new Uri(file), DateTimeOffset.UnixEpoch, null));
            foreach (var paper in page.Papers)
            {
                byId[paper.Id] = paper;
            }
        }

        IReadOnlyList<Paper> papers = [.. byId.Values.OrderBy(paper => paper.Id, StringComparer.Ordinal)];
        return (papers, CorpusStatistics.FromPapers(papers));
    }
}
