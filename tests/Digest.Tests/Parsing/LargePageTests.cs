using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Digest.Parsing;
using Shouldly;

namespace Digest.Tests.Parsing;

/// <summary>Pages of 10 MB and more, built from the real fixtures by repeating their papers under new ids.</summary>
public sealed class LargePageTests
{
    private const int TenMegabytes = 10 * 1024 * 1024;

    private readonly PageParser _parser = new();

    [Fact(Timeout = 120_000)]
    [Trait("Category", "Slow")]
    public async Task Parse_HtmlWithTenMegabyteDataProps_ReadsEveryPaper() => await Task.Run(() =>
    {
        var (props, count) = RepeatItems(File.ReadAllText(ParsingTestData.DataPropsFixture), isApi: false);
        var html = $"<!doctype html><html><head><title>Daily Papers</title></head><body><main><div class=\"SVELTE_HYDRATER contents\" data-target=\"DailyPapers\" data-props=\"{WebUtility.HtmlEncode(props)}\"></div></main></body></html>";
        Encoding.UTF8.GetByteCount(props).ShouldBeGreaterThan(TenMegabytes);

        var parsed = _parser.Parse(ParsingTestData.FromText(html, "text/html; charset=utf-8"));

        // AngleSharp has no attribute length limit: the whole attribute reached the JSON reader.
        parsed.Path.ShouldBe(ParsePath.DataProps);
        parsed.Warnings.ShouldBeEmpty();
        parsed.Papers.Count.ShouldBe(count);
        parsed.Papers[^1].Id.ShouldBe(SyntheticId(count - 1));
        parsed.Papers.Select(paper => paper.Id).Distinct().Count().ShouldBe(count);
    }, TestContext.Current.CancellationToken);

    [Fact]
    public void Parse_TenMegabytesOfApiJson_ReadsEveryPaper()
    {
        var (json, count) = RepeatItems(File.ReadAllText(ParsingTestData.ApiFixture), isApi: true);
        var bytes = Encoding.UTF8.GetBytes(json);
        bytes.Length.ShouldBeGreaterThan(TenMegabytes);

        var parsed = _parser.Parse(ParsingTestData.FromBytes(bytes, "application/json"));

        parsed.Path.ShouldBe(ParsePath.ApiJson);
        parsed.Warnings.ShouldBeEmpty();
        parsed.Papers.Count.ShouldBe(count);
    }

    [Fact]
    public void Parse_TenMegabytesOfCards_ReadsEveryCard()
    {
        var html = ParsingTestData.WithoutDataProps(File.ReadAllText(ParsingTestData.HtmlFixture));
        var start = html.IndexOf("<div><article", StringComparison.Ordinal);
        var end = html.IndexOf("</article>", start, StringComparison.Ordinal) + "</article>".Length;
        end = html.IndexOf("</div>", end, StringComparison.Ordinal) + "</div>".Length;
        var card = html[start..end];
        var cards = new StringBuilder(TenMegabytes + card.Length * 2);
        var count = 0;
        while (cards.Length <= TenMegabytes)
        {
            cards.Append(card.Replace("2407.21783", SyntheticId(count), StringComparison.Ordinal));
            count++;
        }

        var page = string.Concat(html.AsSpan(0, start), cards.ToString(), html.AsSpan(start));

        var parsed = _parser.Parse(ParsingTestData.FromText(page, "text/html"));

        parsed.Path.ShouldBe(ParsePath.Cards);
        parsed.Warnings.ShouldBeEmpty();
        parsed.Papers.Count.ShouldBe(count + 13);
        parsed.Papers.Take(count).ShouldAllBe(paper => paper.Title == "The Llama 3 Herd of Models" && paper.Upvotes == 94);
    }

    private static string SyntheticId(int index) => string.Create(CultureInfo.InvariantCulture, $"9{index / 100_000:D3}.{index % 100_000:D5}");

    /// <summary>Repeats the page's items under fresh ids until the JSON passes 10 MB.</summary>
    private static (string Json, int Count) RepeatItems(string json, bool isApi)
    {
        var root = JsonNode.Parse(json)!;
        var source = isApi ? root.AsArray() : root["dailyPapers"]!.AsArray();
        var originals = source.Select(item => item!.ToJsonString()).ToList();
        source.Clear();
        var size = 0;
        var count = 0;
        while (size <= TenMegabytes + 1024)
        {
            var item = JsonNode.Parse(originals[count % originals.Count])!;
            item["paper"]!["id"] = SyntheticId(count);
            var text = item.ToJsonString();
            size += Encoding.UTF8.GetByteCount(text) + 1;
            source.Add(item);
            count++;
        }

        return (root.ToJsonString(), count);
    }
}
