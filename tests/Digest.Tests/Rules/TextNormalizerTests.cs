using Digest.Rules;
using Shouldly;

namespace Digest.Tests.Rules;

public sealed class TextNormalizerTests
{
    [Theory]
    [InlineData("Schrödinger", "schrodinger")]
    [InlineData("SCHRÖDINGER", "schrodinger")]
    [InlineData("Schro\u0308dinger", "schrodinger")]
    [InlineData("Müller, Zoë & Ångström", "muller zoe angstrom")]
    [InlineData("LoRA", "lora")]
    [InlineData("low-rank", "low rank")]
    [InlineData("Low–Rank (LoRA)", "low rank lora")]
    [InlineData("model's", "model s")]
    [InlineData("GPT-4o, 7B and 3D", "gpt 4o 7b and 3d")]
    [InlineData("16.0 times", "16 0 times")]
    [InlineData("ﬁne-tuning", "fine tuning")]
    [InlineData("x² ½", "x2 1 2")]
    [InlineData("a_b/c", "a b c")]
    [InlineData("emoji😀inside", "emoji inside")]
    [InlineData("   ", "")]
    [InlineData("", "")]
    public void Normalize_Text_GivesWords(string text, string expected) =>
        TextNormalizer.Normalize(text).ShouldBe(expected);

    [Fact]
    public void Tokenize_AccentedWord_SpanCoversOriginal()
    {
        var tokens = TextNormalizer.Tokenize("Erwin Schrödinger's cat");

        tokens.ShouldBe(
        [
            new WordToken("erwin", 0, 5),
            new WordToken("schrodinger", 6, 11),
            new WordToken("s", 18, 1),
            new WordToken("cat", 20, 3),
        ]);
    }

    [Fact]
    public void Tokenize_LoneSurrogate_SplitsWithoutThrowing()
    {
        var words = TextNormalizer.Words("ab\uD800cd \uDC00");

        words.ShouldBe(["ab", "cd"]);
    }

    [Fact]
    public void Tokenize_LongAsciiRun_IsOneWord()
    {
        var word = new string('a', 300);

        TextNormalizer.Words(word + " b").ShouldBe([word, "b"]);
    }
}
