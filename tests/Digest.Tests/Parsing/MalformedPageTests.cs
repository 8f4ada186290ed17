using System.Text;
using Digest.Parsing;
using Shouldly;

namespace Digest.Tests.Parsing;

/// <summary>Pages the parser cannot read give a <see cref="PageParseException"/> that says what and where; pages it can read in part give warnings.</summary>
public sealed class MalformedPageTests
{
    private readonly PageParser _parser = new();

    [Fact]
    public void Parse_EmptyBody_Throws()
    {
        var exception = Should.Throw<PageParseException>(() => _parser.Parse(ParsingTestData.FromBytes([], "text/html")));

        exception.Message.ShouldContain("The body is empty (0 bytes)");
        exception.Message.ShouldStartWith("https://huggingface.co/papers/date/2026-06-12: ");
    }

    [Fact]
    public void Parse_WhitespaceOnlyBody_Throws()
    {
        var exception = Should.Throw<PageParseException>(() => _parser.Parse(ParsingTestData.FromText(" \r\n\t \n", "text/html")));

        exception.Message.ShouldContain("The body is empty (6 bytes, only whitespace)");
    }

    [Fact]
    public void Parse_TruncatedApiJson_ThrowsWithThePosition()
    {
        var bytes = File.ReadAllBytes(ParsingTestData.ApiFixture);

        var exception = Should.Throw<PageParseException>(() => _parser.Parse(ParsingTestData.FromBytes(bytes[..(bytes.Length / 2)], "application/json")));

        exception.Message.ShouldContain("The body is not valid JSON (line 1, byte ");
        exception.InnerException.ShouldBeAssignableTo<System.Text.Json.JsonException>();
    }

    [Fact]
    public void Parse_JsonErrorObject_ThrowsQuotingTheError()
    {
        var exception = Should.Throw<PageParseException>(() =>
            _parser.Parse(ParsingTestData.FromText("""{"error":"Invalid date format"}""", "application/json")));

        exception.Message.ShouldContain("is a JSON error object, not a Daily Papers list: error 'Invalid date format'");
    }

    [Fact]
    public void Parse_JsonObjectOfAnotherKind_ThrowsListingItsKeys()
    {
        var exception = Should.Throw<PageParseException>(() =>
            _parser.Parse(ParsingTestData.FromText("""{"id":"2407.21783","title":"x"}""", "application/json")));

        exception.Message.ShouldContain("JSON object without a dailyPapers array (keys: id, title)");
    }

    [Fact]
    public void Parse_ImageWithImageContentType_Throws()
    {
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D];

        var exception = Should.Throw<PageParseException>(() => _parser.Parse(ParsingTestData.FromBytes(png, "image/png")));

        exception.Message.ShouldContain("'image/png' content (12 bytes), not a page");
    }

    [Fact]
    public void Parse_ImageServedAsHtml_ThrowsNamingTheSignature()
    {
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F'];

        var exception = Should.Throw<PageParseException>(() => _parser.Parse(ParsingTestData.FromBytes(jpeg, "text/html")));

        exception.Message.ShouldContain("The body is a JPEG image (10 bytes)");
    }

    [Fact]
    public void Parse_BinaryWithNulByte_Throws()
    {
        byte[] body = [(byte)'<', (byte)'h', 0, 1, 2, 3];

        var exception = Should.Throw<PageParseException>(() => _parser.Parse(ParsingTestData.FromBytes(body, null)));

        exception.Message.ShouldContain("binary (a NUL byte at offset 2)");
    }

    [Fact]
    public void Parse_HtmlWithNeitherDataPropsNorCards_ThrowsWithThePageTitle()
    {
        const string html = "<!doctype html><html><head><title>Just a moment...</title></head><body><p>Checking your browser</p></body></html>";

        var exception = Should.Throw<PageParseException>(() => _parser.Parse(ParsingTestData.FromText(html, "text/html")));

        exception.Message.ShouldContain("neither a DailyPapers data-props island nor paper cards (page title 'Just a moment...'");
    }

    [Fact]
    public void Parse_MalformedDataPropsWithoutCards_Throws()
    {
        const string html = """<html><body><div data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;:[{&quot;paper&quot;:"></div></body></html>""";

        var exception = Should.Throw<PageParseException>(() => _parser.Parse(ParsingTestData.FromText(html, "text/html")));

        exception.Message.ShouldContain("The DailyPapers data-props (25 characters) is not valid JSON (line 1, byte 26)");
        exception.Message.ShouldContain("The page has no paper cards to fall back to.");
    }

    [Fact]
    public void Parse_DataPropsWithoutDailyPapers_ThrowsListingItsKeys()
    {
        const string html = """<html><body><div data-target="DailyPapers" data-props="{&quot;canSubmit&quot;:false}"></div></body></html>""";

        var exception = Should.Throw<PageParseException>(() => _parser.Parse(ParsingTestData.FromText(html, "text/html")));

        exception.Message.ShouldContain("The DailyPapers data-props is a JSON object without a dailyPapers array (keys: canSubmit)");
    }

    [Fact]
    public void Parse_HtmlTruncatedInsideDataProps_ThrowsBecauseNothingIsLeft()
    {
        // Cut halfway through the 130 KB attribute: the island never closes, and the cards come after it.
        var html = File.ReadAllText(ParsingTestData.HtmlFixture);
        var cut = html.IndexOf("data-target=\"DailyPapers\"", StringComparison.Ordinal) + 60_000;

        var exception = Should.Throw<PageParseException>(() => _parser.Parse(ParsingTestData.FromText(html[..cut], "text/html")));

        exception.Message.ShouldContain("neither a DailyPapers data-props island nor paper cards");
    }

    [Fact]
    public void Parse_HtmlTruncatedAmongTheCards_ReadsDataPropsWhole()
    {
        // Cut after the island's attribute: the JSON is complete, so the page reads in full from it.
        var html = File.ReadAllText(ParsingTestData.HtmlFixture);
        var cut = html.IndexOf("<article", StringComparison.Ordinal) + 5_000;

        var parsed = _parser.Parse(ParsingTestData.FromText(html[..cut], "text/html"));

        parsed.Path.ShouldBe(ParsePath.DataProps);
        parsed.Papers.Count.ShouldBe(13);
    }

    [Fact]
    public void Parse_UnknownPlainText_Throws()
    {
        var exception = Should.Throw<PageParseException>(() => _parser.Parse(ParsingTestData.FromText("Service Unavailable", "text/plain")));

        exception.Message.ShouldContain("not HTML, JSON or a plain-text Daily Papers page (content type 'text/plain', starts with 'Service Unavailable')");
    }

    [Theory]
    [InlineData("[]", "application/json", ParsePath.ApiJson)]
    [InlineData(" \n[ ]\n", null, ParsePath.ApiJson)]
    [InlineData("""{"date":"2024-08-03T00:00:00.000Z","dailyPapers":[]}""", "application/json", ParsePath.DataProps)]
    [InlineData("""<html><body><div data-target="DailyPapers" data-props="{&quot;dateString&quot;:&quot;2026-06-13&quot;,&quot;dailyPapers&quot;:[]}"></div></body></html>""", "text/html", ParsePath.DataProps)]
    public void Parse_EmptyList_IsAValidPageWithNoPapers(string body, string? contentType, ParsePath path)
    {
        var parsed = _parser.Parse(ParsingTestData.FromText(body, contentType));

        parsed.Path.ShouldBe(path);
        parsed.Papers.ShouldBeEmpty();
        parsed.Warnings.ShouldBeEmpty();
    }

    [Fact]
    public void Parse_ApiItemsWithGaps_SkipsOrKeysThemAndWarns()
    {
        const string json = """
            [
              {"paper":{"id":"2401.00001","title":"Kept","upvotes":3.0,"authors":[{"name":" A  B "},{"name":""},{"hidden":true,"name":"C"}]},"unknownField":{"x":[1,2]}},
              42,
              {"paper":{"title":"No Id Here","upvotes":1}},
              {"paper":{"id":"2401.00002"}},
              {"paper":{"id":"2401.00001v2","title":"Kept again"}}
            ]
            """;

        var parsed = _parser.Parse(ParsingTestData.FromText(json, "application/json", requestedDate: new DateOnly(2024, 1, 2)));

        parsed.Papers.Select(paper => paper.Id).ShouldBe(["2401.00001", PaperIds.FromTitle("No Id Here")]);
        var kept = parsed.Papers[0];
        kept.Authors.ShouldBe(["A B"]);
        kept.Upvotes.ShouldBe(3);
        kept.Abstract.ShouldBeEmpty();
        kept.Date.ShouldBe(new DateOnly(2024, 1, 2));
        parsed.Warnings.Count.ShouldBe(4);
        parsed.Warnings[0].ShouldBe("[1] is a JSON Number, not an object; skipped.");
        parsed.Warnings[1].ShouldContain("[2] has no paper.id; keyed by its title as title-");
        parsed.Warnings[2].ShouldBe("[3] (2401.00002) has no title; skipped.");
        parsed.Warnings[3].ShouldBe("[4] repeats paper 2401.00001 (first at [0]); kept the first.");
    }

    [Fact]
    public void Parse_ContentTypeSaysJsonButBodyIsHtml_ReadsHtmlAndWarns()
    {
        var bytes = File.ReadAllBytes(ParsingTestData.HtmlFixture);

        var parsed = _parser.Parse(ParsingTestData.FromBytes(bytes, "application/json"));

        parsed.Path.ShouldBe(ParsePath.DataProps);
        parsed.Warnings.ShouldHaveSingleItem().ShouldBe("The content type is 'application/json' but the body is HTML; read it as HTML.");
    }

    [Fact]
    public void Parse_Utf8BomAndUtf16Body_AreDecoded()
    {
        const string json = """[{"paper":{"id":"2401.00001","title":"Café ünïcode","upvotes":1}}]""";
        var withBom = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(json)).ToArray();
        var utf16 = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(json)).ToArray();

        _parser.Parse(ParsingTestData.FromBytes(withBom, "application/json")).Papers[0].Title.ShouldBe("Café ünïcode");
        _parser.Parse(ParsingTestData.FromBytes(utf16, "application/json; charset=utf-16")).Papers[0].Title.ShouldBe("Café ünïcode");
    }

    [Fact]
    public void Parse_DateFallbacks_UseRequestedDateThenFetchDate()
    {
        const string json = """[{"paper":{"id":"2401.00001","title":"T","upvotes":1}}]""";
        var fetchedAt = new DateTimeOffset(2026, 6, 13, 23, 30, 0, TimeSpan.FromHours(-3));

        _parser.Parse(ParsingTestData.FromText(json, "application/json", fetchedAt, new DateOnly(2026, 6, 12))).Papers[0].Date
            .ShouldBe(new DateOnly(2026, 6, 12));
        _parser.Parse(ParsingTestData.FromText(json, "application/json", fetchedAt)).Papers[0].Date
            .ShouldBe(new DateOnly(2026, 6, 14));
    }
}
