using System.Globalization;
using System.Text.Json;
using Digest.Papers;

namespace Digest.Parsing;

/// <summary>
/// Maps the Daily Papers JSON items (the <c>dailyPapers</c> array of a list page's <c>data-props</c>, or the
/// <c>/api/daily_papers</c> array: both hold the same objects) to <see cref="Paper"/>s.
/// Every field but the id and the title is optional; unknown fields are ignored.
/// </summary>
internal static class DailyPapersJson
{
    /// <summary>Reads every item of <paramref name="items"/> into <paramref name="papers"/>.</summary>
    /// <param name="items">A JSON array of Daily Papers items.</param>
    /// <param name="fallbackDate">The daily bucket for items without <c>paper.submittedOnDailyAt</c>.</param>
    /// <param name="papers">Collects the papers, one per id.</param>
    /// <param name="warnings">Collects what was skipped and why.</param>
    /// <param name="arrayName">How the array is named in messages (<c>dailyPapers</c>, or empty for a top-level array).</param>
    public static void ReadItems(JsonElement items, DateOnly fallbackDate, PaperCollector papers, List<string> warnings, string arrayName)
    {
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var where = $"{arrayName}[{index}]";
            index++;
            if (item.ValueKind != JsonValueKind.Object)
            {
                warnings.Add($"{where} is a JSON {item.ValueKind}, not an object; skipped.");
                continue;
            }

            if (ReadItem(item, fallbackDate, warnings, where) is { } paper)
            {
                papers.Add(paper, where);
            }
        }
    }

    /// <summary>The page's daily date from a <c>data-props</c> object (<c>date</c> in 2024, <c>dateString</c> in 2025-26).</summary>
    public static DateOnly? ReadPageDate(JsonElement props) =>
        PageDates.ParseIsoDate(GetString(props, "date")) ?? PageDates.ParseIsoDate(GetString(props, "dateString"));

    private static Paper? ReadItem(JsonElement item, DateOnly fallbackDate, List<string> warnings, string where)
    {
        // API items wrap the paper; /api/papers-style objects are the paper itself.
        var paper = GetObject(item, "paper") ?? item;

        var title = TextCleaner.Normalize(GetString(item, "title"));
        if (title.Length == 0)
        {
            title = TextCleaner.Normalize(GetString(paper, "title"));
        }

        var rawId = GetString(paper, "id");
        string id;
        if (!string.IsNullOrWhiteSpace(rawId))
        {
            id = PaperIds.StripVersion(TextCleaner.Normalize(rawId));
        }
        else if (PaperIds.NormalizeTitleForId(title).Length > 0)
        {
            id = PaperIds.FromTitle(title);
            warnings.Add($"{where} has no paper.id; keyed by its title as {id}.");
        }
        else
        {
            warnings.Add($"{where} has neither paper.id nor a title; skipped.");
            return null;
        }

        if (title.Length == 0)
        {
            warnings.Add($"{where} ({id}) has no title; skipped.");
            return null;
        }

        var summary = GetString(paper, "summary") ?? GetString(item, "summary");
        var date = PageDates.ParseIsoDate(GetString(paper, "submittedOnDailyAt")) ?? fallbackDate;
        var organization = GetObject(item, "organization") ?? GetObject(paper, "organization");

        return new Paper(
            id,
            title,
            TextCleaner.Normalize(summary),
            ReadAuthors(paper),
            GetInt(paper, "upvotes") ?? GetInt(item, "upvotes") ?? 0,
            date)
        {
            NumComments = GetInt(item, "numComments") ?? GetInt(paper, "numComments"),
            PublishedAt = PageDates.ParseTimestamp(GetString(paper, "publishedAt")),
            AiSummary = TextCleaner.NormalizeOrNull(GetString(paper, "ai_summary") ?? GetString(item, "ai_summary")),
            AiKeywords = ReadStrings(GetArray(paper, "ai_keywords") ?? GetArray(item, "ai_keywords")),
            Organization = organization is { } org
                ? TextCleaner.NormalizeOrNull(GetString(org, "fullname")) ?? TextCleaner.NormalizeOrNull(GetString(org, "name"))
                : null,
            GithubRepo = TextCleaner.NormalizeOrNull(GetString(paper, "githubRepo")),
            GithubStars = GetInt(paper, "githubStars"),
            SubmittedBy = ReadSubmitter(item, paper),
        };
    }

    private static string[] ReadAuthors(JsonElement paper)
    {
        if (GetArray(paper, "authors") is not { } authors)
        {
            return [];
        }

        var names = new List<string>(authors.GetArrayLength());
        foreach (var author in authors.EnumerateArray())
        {
            if (author.ValueKind == JsonValueKind.String)
            {
                AddIfPresent(names, author.GetString());
                continue;
            }

            if (author.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            // Hidden authors are shown nowhere on the site; the page keeps them only for its own bookkeeping.
            if (author.TryGetProperty("hidden", out var hidden) && hidden.ValueKind == JsonValueKind.True)
            {
                continue;
            }

            AddIfPresent(names, GetString(author, "name"));
        }

        return [.. names];
    }

    private static string? ReadSubmitter(JsonElement item, JsonElement paper)
    {
        if (GetObject(item, "submittedBy") is { } submittedBy
            && (TextCleaner.NormalizeOrNull(GetString(submittedBy, "name"))
                ?? TextCleaner.NormalizeOrNull(GetString(submittedBy, "fullname"))) is { } name)
        {
            return name;
        }

        if (GetObject(paper, "submittedOnDailyBy") is { } dailyBy)
        {
            return TextCleaner.NormalizeOrNull(GetString(dailyBy, "name"))
                ?? TextCleaner.NormalizeOrNull(GetString(dailyBy, "user"))
                ?? TextCleaner.NormalizeOrNull(GetString(dailyBy, "fullname"));
        }

        return null;
    }

    private static string[] ReadStrings(JsonElement? array)
    {
        if (array is not { } values)
        {
            return [];
        }

        var result = new List<string>(values.GetArrayLength());
        foreach (var value in values.EnumerateArray())
        {
            if (value.ValueKind == JsonValueKind.String)
            {
                AddIfPresent(result, value.GetString());
            }
        }

        return [.. result];
    }

    private static void AddIfPresent(List<string> target, string? text)
    {
        if (TextCleaner.NormalizeOrNull(text) is { } normalized)
        {
            target.Add(normalized);
        }
    }

    internal static string? GetString(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static JsonElement? GetObject(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : null;

    internal static JsonElement? GetArray(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value
            : null;

    // Counts are integers on the site, but the published API schema types upvotes as a float.
    private static int? GetInt(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt32(out var whole) => whole,
            JsonValueKind.Number when value.TryGetDouble(out var real) && double.IsFinite(real) =>
                (int)Math.Clamp(Math.Round(real), int.MinValue, int.MaxValue),
            JsonValueKind.String when int.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
    }
}
