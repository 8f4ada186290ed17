using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using Azure;
using Digest.Crawling;
using Digest.Delivery;
using Digest.Delivery.Queue;
using Digest.Papers;
using Digest.Steps;
using Digest.Sources;
using Digest.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Digest.Cli;

/// <summary>The <c>digest</c> command line. Each command builds a host, validates its options, and calls one method in shared/.</summary>
public static partial class DigestCommandLine
{
    // --source and --dates are options of the commands that fetch pages (and of `rules test`, which reads saved
    // pages), not of the root: a command that only reads storage must not offer options it ignores.
    internal static readonly Option<string?> SourceOption = new("--source")
    {
        Description = "Base URL of the site (default https://huggingface.co) or a folder of saved pages, each file one page, read in name order.",
    };

    private static readonly Option<string[]> DatesOption = new("--dates")
    {
        Description = "Daily dates to poll (yyyy-MM-dd, comma- or space-separated) instead of today and yesterday (UTC).",
        AllowMultipleArgumentsPerToken = true,
    };

    private static readonly Option<bool> VerboseOption = new("--verbose", "-v")
    {
        Description = "Log what each step does (to standard error).",
        Recursive = true,
    };

    /// <summary>Parses and runs a command line, configured from appsettings.json, environment variables and its own options.</summary>
    /// <returns>The exit code: see <see cref="ExitCodes"/>.</returns>
    public static Task<int> InvokeAsync(string[] args) =>
        InvokeAsync(args, new Dictionary<string, string?>(StringComparer.Ordinal), new InvocationConfiguration(), CancellationToken.None);

    /// <summary>
    /// Parses and runs a command line. A mistake in the arguments is reported in a line or two with exit code 2,
    /// instead of System.CommandLine's whole help and exit code 1, so that scripts can tell it from a failure.
    /// </summary>
    internal static async Task<int> InvokeAsync(
        IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> settings, InvocationConfiguration invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var result = Create(settings).Parse(args);
        if (result.Action is ParseErrorAction)
        {
            return ArgumentErrors(result, invocation.Error);
        }

        ConsoleReport.KeepLinesWholeUnlessTerminal(AnsiConsole.Console);
        return await result.InvokeAsync(invocation, cancellationToken);
    }

    /// <summary>The command line, configured from appsettings.json, environment variables and its own options.</summary>
    public static RootCommand Create() => Create(new Dictionary<string, string?>(StringComparer.Ordinal));

    /// <summary>
    /// The command line with settings beneath its own options (above appsettings.json and environment variables): tests point
    /// it at their own storage this way instead of through process-wide environment variables.
    /// </summary>
    internal static RootCommand Create(IReadOnlyDictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var root = new RootCommand("Digest: watches the Hugging Face Daily Papers pages, keeps every version, and records what changed.");
        root.Options.Add(SourceOption);
        root.Options.Add(DatesOption);
        root.Options.Add(VerboseOption);

        var run = new Command(
            "run",
            "Run the timer host (the default): the steps SnapshotDigests, ParseAndDiff, and (when Delivery:Enabled is on) NotifySubscribers and DeliverToSubscription, on their schedules from appsettings.json and the delivery queue.")
        {
            SourceOption, DatesOption,
        };
        run.SetAction((result, token) => RunHostAsync(result, settings, token));
        root.SetAction((result, token) => RunHostAsync(result, settings, token));
        root.Subcommands.Add(run);

        var json = new Option<bool>("--json") { Description = "Print JSON for scripts instead of a readable summary." };

        var once = new Command(
            "once",
            "Run one full cycle now: snapshot the pages, parse and diff them, then (when Delivery:Enabled is on) plan, queue and send the deliveries.")
        {
            SourceOption, DatesOption, json,
        };
        once.SetAction((result, token) => WithServicesAsync(result, settings, token, async (services, ct) =>
        {
            var report = await services.GetRequiredService<DigestCycle>().RunOnceAsync(null, ct);
            WriteCycle(result.GetValue(json), report.Crawl, report.Delivery);
            return FetchOutcome(report.Crawl);
        }));
        root.Subcommands.Add(once);

        var from = new Option<string>("--from") { Description = "First date (yyyy-MM-dd).", Required = true };
        var to = new Option<string>("--to") { Description = "Last date (yyyy-MM-dd).", Required = true };
        var backfill = new Command(
            "backfill",
            "Snapshot, parse and diff every date in a range, with a progress bar. From a folder: the saved pages with a date of the range in their file name.")
        {
            from, to, SourceOption, json,
        };
        backfill.SetAction((result, token) => BackfillAsync(result, settings, token, result.GetValue(from)!, result.GetValue(to)!, result.GetValue(json)));
        root.Subcommands.Add(backfill);

        var reparse = new Command("reparse", "Parse every stored snapshot again with the current parser (after a parser fix).") { json };
        reparse.SetAction((result, token) => WithServicesAsync(result, settings, token, async (services, ct) =>
        {
            var report = await services.GetRequiredService<CrawlCycle>().ReparseAsync(ct);
            WriteCycle(result.GetValue(json), report);
            return ExitCodes.Done;
        }));
        root.Subcommands.Add(reparse);

        var date = new Option<string>("--date") { Description = "The daily date (yyyy-MM-dd).", Required = true };
        var papers = new Command("papers", "List the stored papers of a daily date.") { date, json };
        papers.SetAction((result, token) => WithServicesAsync(result, settings, token, async (services, ct) =>
        {
            var day = ParseDate(result.GetValue(date)!, "--date");

            // Before the first cycle the tables do not exist, and a query of a missing table fails: an account that
            // was never written to has no papers, and says so.
            await services.GetRequiredService<DigestStorage>().EnsureCreatedAsync(ct);
            var list = await services.GetRequiredService<PaperStore>().ListByDateAsync(day, day, ct);
            WritePapers(result.GetValue(json), list);
            return ExitCodes.Done;
        }));
        root.Subcommands.Add(papers);

        var since = new Option<string>("--since") { Description = "A time (ISO 8601, UTC if no offset) or a date (yyyy-MM-dd).", Required = true };
        var changes = new Command("changes", "List the changes recorded since a time.") { since, json };
        changes.SetAction((result, token) => WithServicesAsync(result, settings, token, async (services, ct) =>
        {
            await services.GetRequiredService<DigestStorage>().EnsureCreatedAsync(ct);
            var list = await services.GetRequiredService<PaperStore>().ListChangesSinceAsync(ParseTime(result.GetValue(since)!), ct);
            WriteChanges(result.GetValue(json), list);
            return ExitCodes.Done;
        }));
        root.Subcommands.Add(changes);

        var failed = new Option<bool>("--failed")
        {
            Description = "Only the dead letters: papers whose sends failed Delivery:MaxAttempts times, and delivery messages in the poison queue.",
        };
        var retry = new Option<bool>("--retry")
        {
            Description = "Give every dead letter a second chance: Failed papers Pending again, poisoned delivery messages queued again.",
        };
        var deliveries = new Command("deliveries", "The delivery outbox: what is pending, sent and failed, per subscription and paper.") { failed, retry, json };
        deliveries.SetAction((result, token) => WithServicesAsync(result, settings, token, async (services, ct) =>
        {
            var ledger = services.GetRequiredService<DeliveryLedger>();
            var queue = services.GetRequiredService<DeliveryQueue>();
            if (result.GetValue(retry))
            {
                var count = await ledger.RetryFailedAsync(ct);
                var requeued = await queue.RetryPoisonAsync(ct);
                AnsiConsole.MarkupLineInterpolated(
                    $"{count} failed deliveries are Pending again; the next NotifySubscribers run sends them. {requeued} poisoned delivery messages are queued again.");
                return ExitCodes.Done;
            }

            WriteDeliveries(result.GetValue(json), await ledger.ListAsync(result.GetValue(failed) ? DeliveryState.Failed : null, ct), await queue.ListPoisonAsync(ct));
            return ExitCodes.Done;
        }));
        root.Subcommands.Add(deliveries);

        var status = new Command("status", "What the steps last did: each page's last fetch, error and pending parse; the notifier's last run; the delivery backlog.") { json };
        status.SetAction((result, token) => WithServicesAsync(result, settings, token, async (services, ct) =>
        {
            var report = await services.GetRequiredService<DigestStatus>().ReadAsync(ct);
            if (result.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Output.DigestStatusReport));
            }
            else
            {
                ConsoleReport.WriteStatus(report);
            }

            return ExitCodes.Done;
        }));
        root.Subcommands.Add(status);

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
        return ExitCodes.Done;
    }

    [LoggerMessage(EventId = 1701, Level = LogLevel.Warning, Message = "NotifySubscribers is off: set Delivery:Enabled (and Bot:AppId with its credentials, or nothing for a local Agents Playground) to deliver papers; the crawl runs without it")]
    private static partial void LogDeliveriesOff(ILogger logger);

    // Information, not Error: the command has already said what failed in one line; -v adds where.
    [LoggerMessage(EventId = 1702, Level = LogLevel.Information, Message = "The storage request that could not reach storage")]
    private static partial void LogStorageUnreachable(ILogger logger, Exception exception);

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
            var cycle = services.GetRequiredService<CrawlCycle>();
            var planned = services.GetRequiredService<IPageFetcher>().Plan(services.GetRequiredService<TimeProvider>().GetUtcNow());

            // A site's plan holds the range's daily pages (and pages without a date, like trending, which a backfill
            // leaves alone); a folder's holds every saved page, with the date in its file name if there is one.
            var pages = planned.Where(page => page.RequestedDate is { } day && day >= first && day <= last).ToList();
            if (!services.GetRequiredService<IOptions<SourceOptions>>().Value.IsHttp && pages.Count < planned.Count)
            {
                Console.Error.WriteLine($"note: {planned.Count - pages.Count} saved pages left out: their file names have no date from {first:yyyy-MM-dd} to {last:yyyy-MM-dd}.");
            }

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
            return FetchOutcome(merged);
        }, dates);
    }

    private static async Task<int> WithServicesAsync(
        ParseResult result,
        IReadOnlyDictionary<string, string?> settings,
        CancellationToken cancellationToken,
        Func<IServiceProvider, CancellationToken, Task<int>> action,
        IReadOnlyList<DateOnly>? dates = null)
    {
        Dictionary<string, string?> overrides;
        try
        {
            overrides = Overrides(result, settings, dates);
        }
        catch (CommandLineException e)
        {
            return CommandLineError(e);
        }

        using var host = DigestHost.CreateCommandHost(overrides, result.GetValue(VerboseOption) ? LogLevel.Information : LogLevel.Error);
        try
        {
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
        catch (StorageUnreachableException e)
        {
            return StorageUnreachable(host.Services, $"connection to {e.Endpoint} refused", e);
        }
        catch (RequestFailedException e) when (IsTransportFailure(e))
        {
            return StorageUnreachable(host.Services, e.Message, e);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0 && e.InnerExceptions.All(IsTransportFailure))
        {
            // The SDK's retries are spent: every try failed before storage answered (a timeout, a name that does not resolve).
            return StorageUnreachable(host.Services, e.InnerExceptions[^1].Message, e);
        }
    }

    /// <summary>A request that failed before storage answered it: no HTTP status.</summary>
    private static bool IsTransportFailure(Exception exception) =>
        exception is RequestFailedException { Status: 0 } || exception is RequestFailedException { InnerException: HttpRequestException };

    private static int StorageUnreachable(IServiceProvider services, string reason, Exception exception)
    {
        AnsiConsole.Console.MarkupLineInterpolated(
            $"[red]error:[/] storage is not reachable ({reason}). Is Azurite running (./run.sh starts it), and is Storage:ConnectionString right? -v shows the details.");
        LogStorageUnreachable(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DigestCommandLine).FullName!), exception);
        return ExitCodes.StorageUnreachable;
    }

    /// <summary>Exit code 4 when the run planned pages and could fetch none of them, so that schedulers notice.</summary>
    private static int FetchOutcome(CrawlReport report) =>
        report.NothingFetched ? ExitCodes.NothingFetched : ExitCodes.Done;

    /// <summary>The parse errors, and where to find the command's options; not the whole help, which hides the error.</summary>
    private static int ArgumentErrors(ParseResult result, TextWriter error)
    {
        foreach (var failure in result.Errors)
        {
            error.WriteLine($"error: {failure.Message}");
        }

        var path = new List<string>();
        for (var command = result.CommandResult; command.Parent is CommandResult parent; command = parent)
        {
            path.Insert(0, command.Command.Name);
        }

        error.WriteLine($"Run 'digest {string.Join(' ', [.. path, "--help"])}' for usage.");
        return ExitCodes.BadConfigurationOrArguments;
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
        return ExitCodes.BadConfigurationOrArguments;
    }

    private static int ConfigurationError(OptionsValidationException e)
    {
        AnsiConsole.Console.MarkupLine("[red]Configuration is not valid:[/]");
        foreach (var failure in e.Failures)
        {
            AnsiConsole.Console.MarkupLineInterpolated($"  - {failure}");
        }

        return ExitCodes.BadConfigurationOrArguments;
    }

    private static void WriteCycle(bool json, CrawlReport report, DeliveryReport? delivery = null)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(CycleView.From(report, delivery), CliJsonContext.Output.CycleView));
            return;
        }

        ConsoleReport.WriteCycle(report);
        if (delivery is not null)
        {
            ConsoleReport.WriteDelivery(DeliveryView.From(delivery));
        }
    }

    private static void WriteDeliveries(bool json, IReadOnlyList<DeliveryEntry> entries, IReadOnlyList<PoisonDelivery> poison)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(
                [.. entries.Select(DeliveryEntryView.From), .. poison.Select(DeliveryEntryView.From)], CliJsonContext.Output.IReadOnlyListDeliveryEntryView));
            return;
        }

        ConsoleReport.WriteDeliveries(entries);
        ConsoleReport.WritePoison(poison);
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

/// <summary>The exit codes of <c>digest</c>, as the README's table lists them.</summary>
public static class ExitCodes
{
    /// <summary>Done. Pages that failed are reported, not fatal, as long as one page of the run could be fetched.</summary>
    public const int Done = 0;

    /// <summary>A bad setting or a mistake on the command line; the message says what to fix.</summary>
    public const int BadConfigurationOrArguments = 2;

    /// <summary>Storage did not answer (Azurite stopped, a wrong endpoint).</summary>
    public const int StorageUnreachable = 3;

    /// <summary>The run planned pages and could fetch none of them (offline, the site down).</summary>
    public const int NothingFetched = 4;
}

/// <summary>A mistake on the command line, reported with its message and exit code 2.</summary>
public sealed class CommandLineException(string message) : Exception(message);
