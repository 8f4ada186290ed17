using System.Net;
using CsCheck;
using Digest.Parsing;
using Shouldly;

namespace Digest.Tests.Parsing;

/// <summary>Whitespace and control-character cleanup, markup in titles, arXiv version stripping and title ids.</summary>
public sealed class TextAndIdTests
{
    private readonly PageParser _parser = new();

    [Theory]
    [InlineData("2407.21783v2", "2407.21783")]
    [InlineData("2407.21783", "2407.21783")]
    [InlineData(" 2501.01234v12 ", "2501.01234")]
    [InlineData("hep-th/9901001v3", "hep-th/9901001")]
    [InlineData("math.GT/0309136v1", "math.GT/0309136")]
    [InlineData("not-an-id-v2", "not-an-id-v2")]
    public void StripVersion_ArxivIds_DropsOnlyTheVersion(string id, string expected)
    {
        PaperIds.StripVersion(id).ShouldBe(expected);
    }

    [Fact]
    public void Parse_ApiIdWithVersion_StoresTheVersionlessId()
    {
        const string json = """[{"paper":{"id":"2407.21783v2","title":"The Llama 3 Herd of Models","upvotes":94}}]""";

        _parser.Parse(ParsingTestData.FromText(json, "application/json")).Papers.ShouldHaveSingleItem().Id.ShouldBe("2407.21783");
    }

    [Theory]
    [InlineData("  MoMa: Efficient\n  Experts  ", "MoMa: Efficient Experts")]
    [InlineData("Tab\tand\u00A0no-break\u2003em space", "Tab and no-break em space")]
    [InlineData("Bell\u0007 and NUL\u0000 and ESC\u001B[31m", "Bell and NUL and ESC[31m")]
    [InlineData("\r\n", "")]
    [InlineData("Emoji 🤗 stays", "Emoji 🤗 stays")]
    public void Normalize_Text_CollapsesWhitespaceAndDropsControlCharacters(string text, string expected)
    {
        TextCleaner.Normalize(text).ShouldBe(expected);
    }

    [Fact]
    public void Normalize_LoneSurrogate_IsDropped()
    {
        // Built at run time: test-case serialization would turn a lone surrogate into U+FFFD before the test sees it.
        var text = "Lone " + (char)0xD800 + " surrogate " + char.ConvertFromUtf32(0x1F917);

        TextCleaner.Normalize(text).ShouldBe("Lone surrogate 🤗");
    }

    [Fact]
    public void Parse_DataPropsTitleWithScript_KeepsItAsLiteralText()
    {
        const string title = "<script>alert('x')</script><b>Bold</b> \u0007title\n  wrapped";
        var json = $$"""{"dateString":"2026-06-12","dailyPapers":[{"paper":{"id":"2606.00001","title":"x","upvotes":1},"title":{{System.Text.Json.JsonSerializer.Serialize(title)}}}]}""";
        var html = $"<html><head><title>t</title></head><body><div data-target=\"DailyPapers\" data-props=\"{WebUtility.HtmlEncode(json)}\"></div></body></html>";

        var parsed = _parser.Parse(ParsingTestData.FromText(html, "text/html"));

        // The title is the text the site shows (Svelte escapes it): angle brackets are characters, nothing is markup.
        parsed.Papers.ShouldHaveSingleItem().Title.ShouldBe("<script>alert('x')</script><b>Bold</b> title wrapped");
    }

    [Fact]
    public void Parse_CardTitleWithMarkupAndScript_GivesOnlyTheVisibleText()
    {
        const string html = """
            <html><body><time datetime="2024-08-01T00:00:00.000Z">Aug 1</time>
            <article><h3><a href="/papers/2408.00001">Safe <script>alert('x')</script><b>bold</b><style>h3{}</style> &lt;i&gt;title&lt;/i&gt;</a></h3>
            <a href="/login?next=%2Fpapers%2F2408.00001"><div><div class="leading-none">-</div></div></a></article></body></html>
            """;

        var parsed = _parser.Parse(ParsingTestData.FromText(html, "text/html"));

        var paper = parsed.Papers.ShouldHaveSingleItem();
        paper.Title.ShouldBe("Safe bold <i>title</i>");
        paper.Upvotes.ShouldBe(0);
        paper.Date.ShouldBe(new DateOnly(2024, 8, 1));
    }

    [Fact]
    public void FromTitle_KnownTitle_IsTheDocumentedHash()
    {
        // The id is the first 16 hex digits of the SHA-256 of the normalized title.
        var expected = "title-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("attention is all you need"u8))[..16];

        PaperIds.FromTitle("  Attention Is All You Need!").ShouldBe(expected);
        PaperIds.FromTitle("attention\tis all  you need").ShouldBe(expected);
        PaperIds.FromTitle("Attention, Is All You Need?").ShouldBe(expected);
        PaperIds.FromTitle("Attention Is All You Needed").ShouldNotBe(expected);
    }

    [Theory]
    [InlineData("Café: Ünïcode Résumé", "cafe unicode resume")]
    [InlineData("(Re)warm your model?", "re warm your model")]
    [InlineData("GPT-4o — a “report”", "gpt 4o a report")]
    [InlineData("ﬁne-tuning Ｆｕｌｌｗｉｄｔｈ", "fine tuning fullwidth")]
    public void NormalizeTitleForId_Title_FoldsAccentsCaseAndPunctuation(string title, string expected)
    {
        PaperIds.NormalizeTitleForId(title).ShouldBe(expected);
    }

    [Fact]
    public void FromTitle_NoLetterOrDigit_Throws()
    {
        Should.Throw<ArgumentException>(() => PaperIds.FromTitle(" -- !! "));
    }

    [Fact]
    public void FromTitle_WhitespaceAndCaseChanges_KeepTheId()
    {
        var words = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyzÀéüß0123456789:-"], 1, 12];
        var title = words.Array[1, 10];
        var separators = Gen.OneOf(" ", "  ", "\t", "\n  ", "\u00A0", " - ", ": ");

        Gen.Select(title, separators.Array[10], Gen.Bool.Array[200])
            .Sample((parts, seps, upper) =>
            {
                var plain = string.Join(' ', parts);
                var varied = "  " + string.Concat(parts.Select((part, index) => (index == 0 ? string.Empty : seps[index % seps.Length]) + part));
                varied = string.Concat(varied.Select((c, index) => upper[index % upper.Length] ? char.ToUpperInvariant(c) : c)) + " \n";
                if (PaperIds.NormalizeTitleForId(plain).Length == 0)
                {
                    return true;
                }

                return PaperIds.FromTitle(varied) == PaperIds.FromTitle(plain);
            });
    }

    [Fact]
    public void Normalize_AnyText_IsIdempotentAndFreeOfControlCharacters()
    {
        Gen.String.Sample(text =>
        {
            var once = TextCleaner.Normalize(text);
            return TextCleaner.Normalize(once) == once
                && !once.Any(char.IsControl)
                && !once.Contains("  ", StringComparison.Ordinal)
                && once.Trim() == once;
        });
    }
}
