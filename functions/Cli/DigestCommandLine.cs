using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Digest.Crawling;
using Digest.Papers;
using Digest.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Digest.Functions.Cli;

/// <summary>The <c>digest</c> command line. Each command builds a host, validates its options, and calls one method in shared/.</summary>
public static partial class DigestCommandLine
{
    private static readonly Option<string?> SourceOption = new("--source")
    {
        Description = "Base URL of the site (default https://huggingface.co) or a folder of saved pages, each file one page, read in name order.",
        Recursive = true,
    };

    private static readonly Option<string[]> DatesOption = new("--dates")
    {
        Description = "Daily dates to poll (yyyy-MM-dd, comma- or space-separated) instead of today and yesterday (UTC).",
        AllowMultipleArgumentsPerToken = true,
        Recursive = true,
    };

    private static readonly Option<bool> VerboseOption = new("--verbose", "-v")
    {
        Description = "Log what each step does (to standard error).",
        Recursive = true,
    };

    /// <summary>The command line, configured from host.json, environment variables and its own options.</summary>
    public static RootCommand Create() => Create(new Dictionary<string, string?>(StringComparer.Ordinal));

    /// <summary>
    /// The command line with settings beneath its own options (above host.json and environment variables): tests point
    /// it at their own storage this way instead of through process-wide environment variables.
    /// </summary>
    internal static RootCommand Create(IReadOnlyDictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var root = new RootCommand("Digest: watches the Hugging Face Daily Papers pages, keeps every version, and records what changed.");
        root.Options.Add(SourceOption);
        root.Options.Add(DatesOption);
        root.Options.Add(VerboseOption);

        var run = new Command("run", "Run the timer host (the default): SnapshotDigests and ParseAndDiff on their schedules from host.json.");
        run.SetAction((result, token) => RunHostAsync(result, settings, token));
        root.SetAction((result, token) => RunHostAsync(result, settings, token));
        root.Subcommands.Add(run);

        var json = new Option<bool>("--json") { Description = "Print JSON for scripts instead of a readable summary." };

        var once = new Command("once", "Run one full cycle now: snapshot the pages, then parse and diff them.") { json };
        once.SetAction((result, token) => WithServicesAsync(result, settings, token, async (services, ct) =>
        {
            var report = await services.GetRequiredService<CrawlCycle>().RunOnceAsync(ct);
            WriteCycle(result.GetValue(json), report);
            return 0;
        }));
        root.Subcommands.Add(once);

        var from = new Option<string>("--from") { Description = "First date (yyyy-MM-dd).", Required = true };
        var to = new Option<string>("--to") { Description = "Last date (yyyy-MM-dd).", Required = true };
        var backfill = new Command("backfill", "Snapshot, parse and diff every date in a range, with a progress bar.") { from, to, json };
        backfill.SetAction((result, token) => BackfillAsync(result, settings, token, result.GetValue(from)!, result.GetValue(to)!, result.GetValue(json)));
        root.Subcommands.Add(backfill);

        var reparse = new Command("reparse", "Parse every stored snapshot again with the current parser (after a parser fix).") { json };
        reparse.SetAction((result, token) => WithServicesAsync(result, settings, token, async (services, ct) =>
        {
            var report = await services.GetRequiredService<CrawlCycle>().ReparseAsync(ct);
            WriteCycle(result.GetValue(json), report);
            return 0;
        }));
        root.Subcommands.Add(reparse);

        var date = new Option<string>("--date") { Description = "The daily date (yyyy-MM-dd).", Required = true };
        var papers = new Command("papers", "List the stored papers of a daily date.") { date, json };
        papers.SetAction((result, token) => WithServicesAsync(result, settings, token, async (services, ct) =>
        {
            var day = ParseDate(result.GetValue(date)!, "--date");
            var list = await services.GetRequiredService<PaperStore>().ListByDateAsync(day, day, ct);
            WritePapers(result.GetValue(json), list);
            return 0;
        }));
        root.Subcommands.Add(papers);

        var since = new Option<string>("--since") { Description = "A time (ISO 8601, UTC if no offset) or a date (yyyy-MM-dd).", Required = true };
        var changes = new Command("changes", "List the changes recorded since a time.") { since, json };
        changes.SetAction((result, token) => WithServicesAsync(result, settings, token, async (services, ct) =>
        {
            var list = await services.GetRequiredService<PaperStore>().ListChangesSinceAsync(ParseTime(result.GetValue(since)!), ct);
            WriteChanges(result.GetValue(json), list);
            return 0;
        }));
        root.Subcommands.Add(changes);

        root.Subcommands.Add(RulesCommand.Create((result, token, action) => WithServicesAsync(result, settings, token, action)));
        return root;
    }

    private static async Task<int> RunHostAsync(ParseResult result, IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        using var host = DigestHost.CreateTimerHost(Overrides(result, settings));
        try
        {
            DigestHost.ValidateOptions(host.Services);
        }
        catch (OptionsValidationException e)
        {
            return ConfigurationError(e);
        }

        if (!DigestHost.DeliversMessages(host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()))
        {
            LogDeliveriesOff(host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DigestCommandLine).FullName!));
        }

        await host.RunAsync(cancellationToken);
        return 0;
    }

    [LoggerMessage(EventId = 1701, Level = LogLevel.Warning, Message = "NotifySubscribers is off: set Bot:AppId (and Bot:AppPassword, or Bot:AppType UserAssignedMSI) to deliver papers; the crawl runs without it")]
    private static partial void LogDeliveriesOff(ILogger logger);

    private static async Task<int> BackfillAsync(
        ParseResult result, IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken, string fromText, string toText, bool json)
    {
        DateOnly first, last;
        try
        {
            first = ParseDate(fromText, "--from");
            last = ParseDate(toText, "--to");
            if (last < first)
            {
                throw new CommandLineException($"--to ({toText}) is before --from ({fromText}).");
            }
        }
        catch (CommandLineException e)
        {
            return CommandLineError(e);
        }

        var dates = Enumerable.Range(0, last.DayNumber - first.DayNumber + 1).Select(first.AddDays).ToArray();
        return await WithServicesAsync(result, settings, cancellationToken, async (services, ct) =>
        {
            var fetcher = services.GetRequiredService<IPageFetcher>();
            var cycle = services.GetRequiredService<CrawlCycle>();
            var pages = services.GetRequiredService<IOptions<SourceOptions>>().Value.IsHttp
                ? fetcher.Plan(services.GetRequiredService<TimeProvider>().GetUtcNow()).Where(page => page.RequestedDate is { } day && day >= first && day <= last).ToList()
                : [.. fetcher.Plan(services.GetRequiredService<TimeProvider>().GetUtcNow())];
            var reports = new List<CrawlReport>();
            async Task BackfillPagesAsync(ProgressTask? task)
            {
                foreach (var page in pages)
                {
                    task?.Description = page.Key;
                    reports.Add(await cycle.RunOnceAsync([page], ct));
                    task?.Increment(1);
                }

                task?.Description = "backfill done";
            }

            // With --json standard output is for the JSON alone: a progress bar on a console that is not a terminal
            // prints its lines there too.
            if (json)
            {
                await BackfillPagesAsync(null);
            }
            else
            {
                await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(progress => BackfillPagesAsync(progress.AddTask($"backfill {first:yyyy-MM-dd}..{last:yyyy-MM-dd}", maxValue: Math.Max(pages.Count, 1))));
            }
            var merged = new CrawlReport(
                reports.FirstOrDefault()?.StartedAt ?? default,
                reports.LastOrDefault()?.FinishedAt ?? default,
                [.. reports.SelectMany(report => report.Pages)],
                [.. reports.SelectMany(report => report.Snapshots)],
                new Storage.StorageTransactions(reports.Sum(report => report.StorageTransactions.Reads), reports.Sum(report => report.StorageTransactions.Writes)));
            WriteCycle(json, merged);
            return 0;
        }, dates);
    }

    private static async Task<int> WithServicesAsync(
        ParseResult result,
        IReadOnlyDictionary<string, string?> settings,
        CancellationToken cancellationToken,
        Func<IServiceProvider, CancellationToken, Task<int>> action,
        IReadOnlyList<DateOnly>? dates = null)
    {
        try
        {
            var overrides = Overrides(result, settings, dates);
            using var host = DigestHost.CreateCommandHost(overrides, result.GetValue(VerboseOption) ? LogLevel.Information : LogLevel.Error);
            DigestHost.ValidateOptions(host.Services);
            return await action(host.Services, cancellationToken);
        }
        catch (OptionsValidationException e)
        {
            return ConfigurationError(e);
        }
        catch (CommandLineException e)
        {
            return CommandLineError(e);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 0 || e.InnerException is HttpRequestException)
        {
            AnsiConsole.Console.MarkupLineInterpolated($"[red]error:[/] storage is not reachable ({e.Message}). Is Azurite running? See README.");
            return 3;
        }
    }

    private static Dictionary<string, string?> Overrides(ParseResult result, IReadOnlyDictionary<string, string?> settings, IReadOnlyList<DateOnly>? dates = null)
    {
        var overrides = new Dictionary<string, string?>(settings, StringComparer.Ordinal);
        if (result.GetValue(SourceOption) is { Length: > 0 } source)
        {
            overrides["Sources:Source"] = source;
        }

        var chosen = dates ?? [.. (result.GetValue(DatesOption) ?? [])
            .SelectMany(value => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(value => ParseDate(value, "--dates"))];
        for (var i = 0; i < chosen.Count; i++)
        {
            overrides[$"Sources:Dates:{i}"] = chosen[i].ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }

        return overrides;
    }

    private static DateOnly ParseDate(string text, string option) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw new CommandLineException($"{option} \"{text}\" is not a date like 2026-03-13.");

    private static DateTimeOffset ParseTime(string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)
            : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                ? time
                : throw new CommandLineException($"--since \"{text}\" is not a time like 2026-03-13T08:00:00Z or a date like 2026-03-13.");

    private static int CommandLineError(CommandLineException e)
    {
        AnsiConsole.Console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
        return 2;
    }

    private static int ConfigurationError(OptionsValidationException e)
    {
        AnsiConsole.Console.MarkupLine("[red]Configuration is not valid:[/]");
        foreach (var failure in e.Failures)
        {
            AnsiConsole.Console.MarkupLineInterpolated($"  - {failure}");
        }

        return 2;
    }

    private static void WriteCycle(bool json, CrawlReport report)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(CycleView.From(report), CliJsonContext.Output.CycleView));
            return;
        }

        ConsoleReport.WriteCycle(report);
    }

    private static void WritePapers(bool json, IReadOnlyList<Paper> papers)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(papers, CliJsonContext.Output.IReadOnlyListPaper));
            return;
        }

        ConsoleReport.WritePapers(papers);
    }

    private static void WriteChanges(bool json, IReadOnlyList<ChangeRow> changes)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize([.. changes.Select(ChangeView.From)], CliJsonContext.Output.IReadOnlyListChangeView));
            return;
        }

        ConsoleReport.WriteChanges(changes);
    }
}

/// <summary>A mistake on the command line, reported with its message and exit code 2.</summary>
public sealed class CommandLineException(string message) : Exception(message);
