using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Digest.Parsing;
using Digest.Tests.Infrastructure;

namespace Digest.Tests.Parsing;

/// <summary>Pages for the parser tests, and the expected answers read independently from the pages' own JSON.</summary>
internal static partial class ParsingTestData
{
    public static readonly DateTimeOffset FetchedAt = new(2026, 6, 13, 8, 30, 0, TimeSpan.Zero);

    public static string Synthetic(string fileName) => Path.Combine(TestData.Folder, "synthetic", fileName);

    public static string HtmlFixture => TestData.HfPapers("list_2024-08-01_slbqc.html");

    public static string DataPropsFixture => TestData.HfPapers("list_2024-08-01_slbqc.dataprops.json");

    public static string ApiFixture => TestData.HfPapers("api_daily_papers_2026-06-12_sotawhat.json");

    public static string CardsFixture2026 => Synthetic("list_2026-06-12_cards_synthetic.html");

    public static string ContentTypeFor(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".json" => "application/json; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };

    public static PageToParse FromFile(string path, DateTimeOffset? fetchedAt = null, DateOnly? requestedDate = null) =>
        new(File.ReadAllBytes(path), ContentTypeFor(path), new Uri(path), fetchedAt ?? FetchedAt, requestedDate);

    public static PageToParse FromText(string text, string? contentType, DateTimeOffset? fetchedAt = null, DateOnly? requestedDate = null) =>
        FromBytes(Encoding.UTF8.GetBytes(text), contentType, fetchedAt, requestedDate);

    public static PageToParse FromBytes(byte[] bytes, string? contentType, DateTimeOffset? fetchedAt = null, DateOnly? requestedDate = null) =>
        new(bytes, contentType, new Uri("https://huggingface.co/papers/date/2026-06-12"), fetchedAt ?? FetchedAt, requestedDate);

    /// <summary>The real 2024 page with the DailyPapers island's data-props attribute cut out, so only the cards are left.</summary>
    public static string WithoutDataProps(string html)
    {
        var stripped = DailyPapersProps().Replace(html, "$1", count: 1);
        if (stripped.Length == html.Length)
        {
            throw new InvalidOperationException("The page has no DailyPapers data-props to remove.");
        }

        return stripped;
    }

    /// <summary>Reads id, title, authors and upvotes from a Daily Papers JSON file (an API array or a data-props object) without the parser.</summary>
    public static IReadOnlyList<ExpectedPaper> ReadExpected(string jsonPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(jsonPath));
        var root = document.RootElement;
        var items = root.ValueKind == JsonValueKind.Array ? root : root.GetProperty("dailyPapers");
        var expected = new List<ExpectedPaper>();
        foreach (var item in items.EnumerateArray())
        {
            var paper = item.GetProperty("paper");
            var title = item.TryGetProperty("title", out var outer) ? outer.GetString()! : paper.GetProperty("title").GetString()!;
            var authors = paper.GetProperty("authors").EnumerateArray()
                .Where(author => !(author.TryGetProperty("hidden", out var hidden) && hidden.GetBoolean()))
                .Select(author => author.GetProperty("name").GetString()!.Trim())
                .ToArray();
            expected.Add(new ExpectedPaper(
                paper.GetProperty("id").GetString()!,
                Whitespace().Replace(title, " ").Trim(),
                authors,
                paper.GetProperty("upvotes").GetInt32()));
        }

        return expected;
    }

    [GeneratedRegex("""(data-target="DailyPapers")\s+data-props="[^"]*"(?=[\s>])""")]
    private static partial Regex DailyPapersProps();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

internal sealed record ExpectedPaper(string Id, string Title, IReadOnlyList<string> Authors, int Upvotes);
