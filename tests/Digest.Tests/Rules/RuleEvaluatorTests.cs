using Digest.Rules;
using Shouldly;

namespace Digest.Tests.Rules;

public sealed class RuleEvaluatorTests
{
    private static readonly Digest.Papers.Paper Paper = Papers.Make(
        "BinaryDM: Towards Accurate Binarization of Low-Rank Diffusion Models",
        "Quantization emerges as a practical solution; we propose quantization-aware training of Schrödinger bridges.",
        ["Xingyu Zheng", "Zoë Müller-Lüdenscheidt", "Haotong Qin"],
        upvotes: 20);

    [Theory]
    [InlineData("diffusion", true)]
    [InlineData("DIFFUSION", true)]
    [InlineData("diffusio", false)]
    [InlineData("diffusion models", true)]
    [InlineData("diffusion survey", false)]
    [InlineData("survey OR diffusion", true)]
    [InlineData("diffusion -survey", true)]
    [InlineData("diffusion NOT models", false)]
    [InlineData("\"diffusion models\"", true)]
    [InlineData("\"models diffusion\"", false)]
    [InlineData("\"low rank\"", true)]
    [InlineData("low-rank", true)]
    [InlineData("\"low-rank diffusion\"", true)]
    [InlineData("lowrank", false)]
    [InlineData("quantiz*", true)]
    [InlineData("quant*", true)]
    [InlineData("quantization", true)]
    [InlineData("\"quantization aware\"", true)]
    [InlineData("quantization-aware", true)]
    [InlineData("quantization-aw*", true)]
    [InlineData("schrodinger", true)]
    [InlineData("SCHRÖDINGER", true)]
    [InlineData("binarydm", true)]
    [InlineData("title:diffusion", true)]
    [InlineData("abstract:diffusion", false)]
    [InlineData("abstract:quantization", true)]
    [InlineData("title:quantization", false)]
    [InlineData("author:zheng", true)]
    [InlineData("author:muller", true)]
    [InlineData("author:\"zoe muller\"", true)]
    [InlineData("author:\"zheng zoe\"", false)]
    [InlineData("\"zheng zoe\"", false)]
    [InlineData("zheng", true)]
    [InlineData("title:zheng", false)]
    [InlineData("title:(diffusion OR survey) abstract:quantiz*", true)]
    [InlineData("title:(diffusion survey)", false)]
    [InlineData("title:-survey diffusion", true)]
    [InlineData("diffusion upvotes>=20", true)]
    [InlineData("diffusion upvotes>20", false)]
    [InlineData("diffusion upvotes<=20", true)]
    [InlineData("diffusion upvotes<20", false)]
    [InlineData("diffusion upvotes=20", true)]
    [InlineData("upvotes>=20", true)]
    [InlineData("upvotes>=21", false)]
    [InlineData("NOT NOT diffusion", true)]
    [InlineData("(survey OR benchmark) OR (diffusion -video)", true)]
    [InlineData("and", false)]
    [InlineData("of", true)]
    public void IsMatch_Rule_MatchesAsDocumented(string text, bool expected)
    {
        var rule = RuleParser.Parse(text).Rule!;

        rule.IsMatch(Paper).ShouldBe(expected);
        rule.Evaluate(Paper).IsMatch.ShouldBe(expected);
    }

    [Fact]
    public void IsMatch_UpvotesCrossTheThreshold_MatchesLater()
    {
        var rule = RuleParser.Parse("diffusion upvotes>=20").Rule!;

        rule.IsMatch(Paper with { Upvotes = 19 }).ShouldBeFalse();
        rule.IsMatch(Paper with { Upvotes = 20 }).ShouldBeTrue();
    }

    [Fact]
    public void Evaluate_Match_ReportsWordsPerField()
    {
        var evaluation = RuleParser.Parse("quantiz* \"low rank\" author:muller -survey").Rule!.Evaluate(Paper);

        evaluation.MatchedWords.ShouldBe(
        [
            new MatchedWord(PaperField.Title, "low rank"),
            new MatchedWord(PaperField.Abstract, "quantization"),
            new MatchedWord(PaperField.Authors, "muller"),
        ]);
    }

    [Fact]
    public void Evaluate_Or_ReportsOnlyOperandsThatHold()
    {
        var evaluation = RuleParser.Parse("(diffusion survey) OR binarization OR video").Rule!.Evaluate(Paper);

        evaluation.MatchedWords.ShouldBe([new MatchedWord(PaperField.Title, "binarization")]);
    }

    [Fact]
    public void Evaluate_NegatedAndThresholdTerms_AreNotHighlighted()
    {
        var evaluation = RuleParser.Parse("diffusion NOT (models survey) upvotes>=5").Rule!.Evaluate(Paper);

        evaluation.MatchedWords.ShouldBe([new MatchedWord(PaperField.Title, "diffusion")]);
    }

    [Fact]
    public void Evaluate_NoMatch_ReportsNothing()
    {
        var evaluation = RuleParser.Parse("diffusion survey").Rule!.Evaluate(Paper);

        evaluation.IsMatch.ShouldBeFalse();
        evaluation.MatchedWords.ShouldBeEmpty();
        evaluation.Highlights.ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_Highlights_PointAtTheOriginalText()
    {
        var evaluation = RuleParser.Parse("schrodinger low-rank author:muller").Rule!.Evaluate(Paper);

        var low = Paper.Title.IndexOf("Low-Rank", StringComparison.Ordinal);
        var schrodinger = Paper.Abstract.IndexOf("Schrödinger", StringComparison.Ordinal);
        evaluation.Highlights.ShouldBe(
        [
            new WordHighlight(PaperField.Title, 0, low, 3),
            new WordHighlight(PaperField.Title, 0, low + 4, 4),
            new WordHighlight(PaperField.Abstract, 0, schrodinger, 11),
            new WordHighlight(PaperField.Authors, 1, 4, 6),
        ]);
        Paper.Authors[1].Substring(4, 6).ShouldBe("Müller");
    }
}
