using Digest.Crawling;
using Digest.Delivery;
using Digest.Delivery.Queue;
using Digest.Papers;
using Digest.Snapshots;
using Digest.Steps;
using Digest.Steps.Runs;
using Spectre.Console;

namespace Digest.Cli;

/// <summary>Readable summaries for people at a terminal.</summary>
internal static class ConsoleReport
{
    // Wider than any line the commands print, and far enough from int.MaxValue for Spectre's width arithmetic.
    private const int UnwrappedWidth = 32_767;

    /// <summary>
    /// At a terminal Spectre wraps at its width. Written to a file or a pipe it would wrap at 80 columns and break
    /// URLs and snapshot ids mid-word; there lines are kept whole for grep and for the reader's own pager.
    /// </summary>
    public static void KeepLinesWholeUnlessTerminal(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        if (!console.Profile.Out.IsTerminal)
        {
            console.Profile.Width = UnwrappedWidth;
        }
    }

    public static void WriteCycle(CrawlReport report)
    {
        var pages = new Table().Border(TableBorder.Rounded).AddColumns("page", "fetch", "status", "bytes", "note");
        foreach (var page in report.Pages)
        {
            var state = page.State switch
            {
                PageFetchState.Stored => "[green]stored[/]",
                PageFetchState.Failed => "[red]failed[/]",
                PageFetchState.NotModified => "not modified",
                _ => "unchanged",
            };
            pages.AddRow(Markup.Escape(page.PageKey), state, page.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), page.Size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(page.Error ?? ""));
        }

        if (report.Pages.Count > 0)
        {
            AnsiConsole.Write(pages);
        }

        var parsed = new Table().Border(TableBorder.Rounded).AddColumns("snapshot", "outcome", "path", "papers", "changes", "error");
        foreach (var snapshot in report.Snapshots)
        {
            var outcome = snapshot.Outcome == SnapshotOutcome.Failed ? "[red]failed[/]" : "[green]parsed[/]";
            parsed.AddRow(Markup.Escape(snapshot.SnapshotId), outcome, snapshot.Path ?? "", $"{snapshot.PaperCount}", $"{snapshot.ChangeCount}", Markup.Escape(snapshot.Error ?? ""));
        }

        if (report.Snapshots.Count > 0)
        {
            AnsiConsole.Write(parsed);
        }

        AnsiConsole.MarkupLineInterpolated(
            $"[bold]{report.ChangeCount(ChangeKind.New)}[/] new, [bold]{report.ChangeCount(ChangeKind.Updated)}[/] updated, [bold]{report.ChangeCount(ChangeKind.UpvotesChanged)}[/] upvote changes, [bold]{report.ChangeCount(ChangeKind.Removed)}[/] removed; {report.FetchedCount} pages fetched{(report.FailedFetchCount > 0 ? $", {report.FailedFetchCount} failed" : "")}, {report.Snapshots.Count} snapshots parsed; storage: {report.StorageTransactions.Reads} reads, {report.StorageTransactions.Writes} writes; {(report.FinishedAt - report.StartedAt).TotalSeconds:F1} s.");
        if (report.NothingFetched)
        {
            AnsiConsole.MarkupLine("[red]No page could be fetched[/] (above): is the site reachable from here, or --source right? Exit code 4.");
        }
        else if (report.HasFailures)
        {
            AnsiConsole.MarkupLine("[yellow]Some pages failed (above): a failed fetch is tried again next cycle; a page that failed to parse is kept and 'digest reparse' retries it.[/]");
        }
    }

    public static void WriteDelivery(DeliveryView delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        AnsiConsole.MarkupLineInterpolated(
            $"notified {delivery.Subscriptions} subscriptions: [bold]{delivery.PapersSent}[/] papers in {delivery.MessagesSent} messages; {delivery.Failed} failed (sent by a later run), {delivery.Deactivated} deactivated, {delivery.DeadLettered} papers given up.");
    }

    public static void WritePoison(IReadOnlyList<PoisonDelivery> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumns("conversation", "planned", "tries", "queued", "message");
        foreach (var message in messages)
        {
            table.AddRow(
                Markup.Escape(message.Request?.Key.ToString() ?? "(not a delivery message)"),
                message.Request?.PlannedAt.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) ?? "",
                $"{message.DequeueCount}",
                message.InsertedOn?.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) ?? "",
                Markup.Escape(message.MessageId));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"[red]{messages.Count} delivery messages in the poison queue[/] (failed every try); --retry queues them again.");
    }

    public static void WriteDeliveries(IReadOnlyList<DeliveryEntry> entries)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("conversation", "paper", "state", "attempts", "planned", "sent", "last error");
        foreach (var entry in entries)
        {
            var row = entry.Row;
            var state = row.State switch
            {
                DeliveryState.Failed => "[red]failed[/]",
                DeliveryState.Pending => "[yellow]pending[/]",
                DeliveryState.Held => "held (show more)",
                _ => "sent",
            };
            table.AddRow(
                Markup.Escape(entry.Conversation?.ToString() ?? row.PartitionKey), Markup.Escape(row.PaperId), state, $"{row.Attempts}",
                row.PlannedAt.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
                row.SentAt?.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) ?? "", Markup.Escape(row.LastError ?? ""));
        }

        if (entries.Count > 0)
        {
            AnsiConsole.Write(table);
        }

        AnsiConsole.MarkupLineInterpolated(
            $"{entries.Count} deliveries: {entries.Count(entry => entry.Row.State == DeliveryState.Pending)} pending, {entries.Count(entry => entry.Row.State == DeliveryState.Sent)} sent, {entries.Count(entry => entry.Row.State == DeliveryState.Failed)} failed, {entries.Count(entry => entry.Row.State == DeliveryState.Held)} held behind show more.");
    }

    public static void WriteStatus(DigestStatusReport status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var steps = new Table().Border(TableBorder.Rounded).AddColumns("step", "last run (UTC)", "outcome", "duration", "host", "summary");
        foreach (var step in status.Steps)
        {
            var outcome = step.Running ? "[yellow]running[/]"
                : step.Outcome switch
                {
                    StepOutcome.Succeeded => "[green]succeeded[/]",
                    StepOutcome.Failed => "[red]failed[/]",
                    _ => "never ran",
                };
            steps.AddRow(
                step.Step, Time(step.Running ? step.LastStartedAt : step.LastFinishedAt), outcome,
                step.Duration is { } duration ? Markup.Escape($"{duration.TotalSeconds:0.0} s") : "",
                Markup.Escape(step.Host is null ? "" : $"{step.Host} ({step.Instance})"),
                Markup.Escape(step.Error ?? step.Summary ?? ""));
        }

        AnsiConsole.Write(steps);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("page", "last stored (UTC)", "parse", "last error");
        foreach (var page in status.Pages)
        {
            table.AddRow(
                Markup.Escape(page.Page), Time(page.LastFetchedAt), page.ParsePending ? "[yellow]pending[/]" : "done",
                page.LastError is null ? "" : Markup.Escape($"{Time(page.LastErrorAt)} {page.LastError}"));
        }

        if (status.Pages.Count > 0)
        {
            AnsiConsole.Write(table);
        }

        AnsiConsole.MarkupLineInterpolated($"{status.Pages.Count} pages watched; NotifySubscribers last planned due subscriptions: {Time(status.LastNotifiedAt)}; deliveries: {status.Pending} pending, {status.Failed} failed (digest deliveries --failed), {status.Sent} sent, {status.Held} held behind show more.");
    }

    private static string Time(DateTimeOffset? at) => at?.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) ?? "never";

    public static void WritePapers(IReadOnlyList<Paper> papers)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("id", "upvotes", "title", "authors");
        foreach (var paper in papers)
        {
            var authors = paper.Authors.Count > 3 ? $"{string.Join(", ", paper.Authors.Take(3))} +{paper.Authors.Count - 3}" : string.Join(", ", paper.Authors);
            table.AddRow(Markup.Escape(paper.Id), $"{paper.Upvotes}", Markup.Escape(paper.Title), Markup.Escape(authors));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"{papers.Count} papers.");
    }

    public static void WriteChanges(IReadOnlyList<ChangeRow> changes)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("detected (UTC)", "kind", "paper", "title", "detail");
        foreach (var change in changes)
        {
            var detail = change.Kind switch
            {
                ChangeKind.Updated => change.Fields ?? "",
                ChangeKind.UpvotesChanged => $"{change.OldUpvotes} → {change.NewUpvotes}",
                ChangeKind.Removed => $"from {change.PageKey}",
                _ => change.PageKey,
            };
            table.AddRow($"{change.DetectedAt.UtcDateTime:yyyy-MM-dd HH:mm}", change.Kind, Markup.Escape(change.PaperId), Markup.Escape(change.Title), Markup.Escape(detail));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"{changes.Count} changes.");
    }
}
