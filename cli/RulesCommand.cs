using System.CommandLine;
using System.Text.Json;
using Digest.Crawling;
using Digest.Papers;
using Digest.Rules;
using Digest.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Digest.Cli;

/// <summary><c>digest rules test "&lt;rule&gt;"</c>: which papers a rule matches, with the matched words highlighted.</summary>
internal static class RulesCommand
{
    // Markers that cannot occur in page text (control characters are stripped by the parser).
    private const string Open = "\u0001";
    private const string Close = "\u0002";

    public static Command Create(Func<ParseResult, CancellationToken, Func<IServiceProvider, CancellationToken, Task<int>>, Task<int>> withServices)
    {
        var rule = new Argument<string>("rule") { Description = "The rule, e.g. \"title:quantiz* AND (llm OR \\\"language model\\\") -survey upvotes>=10\"." };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts instead of a readable list." };
        var test = new Command("test", "Show which stored papers a rule matches (or the papers of --source FOLDER, without storage).") { rule, DigestCommandLine.SourceOption, json };
        test.SetAction((result, token) => withServices(result, token, async (services, ct) =>
        {
            var sources = services.GetRequiredService<IOptions<SourceOptions>>().Value;
            IReadOnlyList<Paper> papers;
            if (sources.IsHttp)
            {
                await services.GetRequiredService<Storage.DigestStorage>().EnsureCreatedAsync(ct);
                papers = await services.GetRequiredService<PaperStore>().ListByDateAsync(DateOnly.MinValue, DateOnly.MaxValue, ct);
            }
            else
            {
                (papers, var problems) = await services.GetRequiredService<SavedPages>().ReadAsync(sources.Source, ct);
                foreach (var problem in problems)
                {
                    Console.Error.WriteLine($"warning: {problem}");
                }
            }

            var preview = RulePreview.Run(result.GetValue(rule)!, papers, CorpusStatistics.FromPapers(papers));
            if (result.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(RuleTestView.From(preview, papers.Count), CliJsonContext.Output.RuleTestView));
            }
            else
            {
                Write(preview, papers.Count);
            }

            return preview.Error is null ? 0 : 2;
        }));

        return new Command("rules", "Work with keyword alert rules.") { test };
    }

    private static void Write(RulePreviewResult preview, int searched)
    {
        if (preview.Error is { } error)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {error.Text}");
            return;
        }

        foreach (var match in preview.Matches)
        {
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(match.Paper.Id)}[/] ({match.Paper.Date:yyyy-MM-dd}, {match.Paper.Upvotes} upvotes) {Highlight(match.HighlightTitle(Open, Close))}");
            var words = string.Join(", ", match.MatchedWords.Select(word => $"{word.Field.ToString().ToLowerInvariant()}:{word.Text}").Distinct());
            AnsiConsole.MarkupLineInterpolated($"  [grey]matched {words}[/]");
        }

        AnsiConsole.MarkupLineInterpolated($"Rule [bold]{preview.Rule}[/] matches {preview.Matches.Count} of {searched} papers.");
    }

    private static string Highlight(string text) =>
        Markup.Escape(text).Replace(Open, "[bold yellow]", StringComparison.Ordinal).Replace(Close, "[/]", StringComparison.Ordinal);
}

/// <summary>The result of <c>digest rules test --json</c>.</summary>
public sealed record RuleTestView(string? Rule, RuleErrorView? Error, int Searched, IReadOnlyList<RuleMatchView> Matches)
{
    public static RuleTestView From(RulePreviewResult preview, int searched)
    {
        ArgumentNullException.ThrowIfNull(preview);
        return new(
            preview.Rule?.ToString(),
            preview.Error is { } error ? new RuleErrorView(error.Position, error.Message, error.Hint, error.Text) : null,
            searched,
            [.. preview.Matches.Select(match => new RuleMatchView(
                match.Paper.Id,
                match.Paper.Title,
                match.Paper.Date,
                match.Paper.Upvotes,
                match.HighlightTitle("**", "**"),
                [.. match.MatchedWords.Select(word => new MatchedWordView(word.Field.ToString().ToLowerInvariant(), word.Text))]))]);
    }
}

public sealed record RuleErrorView(int Position, string Message, string? Hint, string Text);

public sealed record RuleMatchView(string Id, string Title, DateOnly Date, int Upvotes, string HighlightedTitle, IReadOnlyList<MatchedWordView> MatchedWords);

public sealed record MatchedWordView(string Field, string Word);
