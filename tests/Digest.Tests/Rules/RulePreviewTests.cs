using Digest.Rules;
using Shouldly;

namespace Digest.Tests.Rules;

public sealed class RulePreviewTests
{
    private static readonly IReadOnlyList<Digest.Papers.Paper> Candidates =
    [
        Papers.Make("Low-Rank Adaptation of Diffusion Models", "We study LoRA for diffusion.", ["Zoë Müller", "Li Wei"], 12, "2403.00001"),
        Papers.Make("A Survey of Vision Transformers", "Transformers for vision.", ["Ann Lee"], 40, "2403.00002"),
        Papers.Make("Quantized diffusion", "Low rank quantization.", ["Li Wei"], 3, "2403.00003"),
    ];

    [Fact]
    public void Run_ValidRule_ReturnsMatchesWithHighlights()
    {
        var preview = RulePreview.Run("diffusion \"low rank\"", Candidates);

        preview.Error.ShouldBeNull();
        preview.Rule!.ToString().ShouldBe("diffusion \"low rank\"");
        preview.Matches.Select(match => match.Paper.Id).ShouldBe(["2403.00001", "2403.00003"]);
        var first = preview.Matches[0];
        first.HighlightTitle("[", "]").ShouldBe("[Low-Rank] Adaptation of [Diffusion] Models");
        first.HighlightAbstract("[", "]").ShouldBe("We study LoRA for [diffusion].");
        preview.Matches[1].HighlightAbstract("**", "**").ShouldBe("**Low rank** quantization.");
    }

    [Fact]
    public void Run_AuthorRule_HighlightsTheAuthor()
    {
        var preview = RulePreview.Run("author:muller lora", Candidates);

        preview.Matches.ShouldHaveSingleItem().HighlightAuthors("<b>", "</b>").ShouldBe(["Zoë <b>Müller</b>", "Li Wei"]);
    }

    [Fact]
    public void Run_InvalidRule_ReturnsTheError()
    {
        var preview = RulePreview.Run("titel:diffusion", Candidates);

        preview.Rule.ShouldBeNull();
        preview.Matches.ShouldBeEmpty();
        preview.Error!.Text.ShouldBe("unknown field \"titel\" at 0, did you mean \"title\"?");
    }

    [Fact]
    public void Wrap_SpansSeparatedByOtherText_StaySeparate()
    {
        var highlights = new[] { new WordHighlight(PaperField.Title, 0, 0, 3), new WordHighlight(PaperField.Title, 0, 8, 4), new WordHighlight(PaperField.Abstract, 0, 0, 2) };

        RuleHighlighter.Wrap("low and rank", highlights, PaperField.Title, 0, "<", ">").ShouldBe("<low> and <rank>");
        RuleHighlighter.Wrap("no highlight", [], PaperField.Title, 0, "<", ">").ShouldBe("no highlight");
    }
}
