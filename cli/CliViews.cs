using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Digest.Crawling;
using Digest.Delivery;
using Digest.Delivery.Queue;
using Digest.Papers;
using Digest.Steps;

namespace Digest.Cli;

/// <summary>One cycle, as <c>digest once --json</c> prints it.</summary>
public sealed record CycleView(
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    IReadOnlyList<PageView> Pages,
    IReadOnlyList<SnapshotView> Snapshots,
    ChangeCountsView Changes,
    StorageView StorageTransactions,
    DeliveryView? Deliveries = null)
{
    public static CycleView From(CrawlReport report, DeliveryReport? delivery = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new CycleView(
            report.StartedAt,
            report.FinishedAt,
            [.. report.Pages.Select(page => new PageView(page.PageKey, page.Url.ToString(), page.State.ToString(), page.Status, page.Size, page.SnapshotId, page.Error))],
            [.. report.Snapshots.Select(snapshot => new SnapshotView(snapshot.SnapshotId, snapshot.Outcome, snapshot.Path, snapshot.PaperCount, snapshot.ChangeCount, snapshot.Error))],
            new ChangeCountsView(
                report.ChangeCount(ChangeKind.New),
                report.ChangeCount(ChangeKind.Updated),
                report.ChangeCount(ChangeKind.UpvotesChanged),
                report.ChangeCount(ChangeKind.Removed)),
            new StorageView(report.StorageTransactions.Reads, report.StorageTransactions.Writes, report.StorageTransactions.Total),
            delivery is null ? null : DeliveryView.From(delivery));
    }
}

/// <summary>What the notifier did in <c>digest once</c>; absent when <c>Delivery:Enabled</c> is off.</summary>
public sealed record DeliveryView(int Subscriptions, int PapersSent, int MessagesSent, int Failed, int Deactivated, int DeadLettered)
{
    public static DeliveryView From(DeliveryReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new(
            report.Subscriptions.Count,
            report.PapersSent,
            report.MessagesSent,
            report.Subscriptions.Count(subscription => subscription.Outcome == DeliveryOutcome.Failed),
            report.Subscriptions.Count(subscription => subscription.Outcome == DeliveryOutcome.Deactivated),
            report.DeadLettered);
    }
}

public sealed record PageView(string Key, string Url, string State, int Status, long Size, string? SnapshotId, string? Error);

public sealed record SnapshotView(string SnapshotId, string Outcome, string? Path, int PaperCount, int ChangeCount, string? Error);

public sealed record ChangeCountsView(int New, int Updated, int UpvotesChanged, int Removed);

public sealed record StorageView(long Reads, long Writes, long Total);

/// <summary>An outbox row, or a message of the delivery poison queue (<see cref="PoisonState"/>, no paper: the message names
/// a subscription), as <c>digest deliveries --json</c> prints it.</summary>
public sealed record DeliveryEntryView(
    string? Channel, string? Conversation, string? PaperId, string State, int Attempts, DateTimeOffset? PlannedAt, DateTimeOffset? SentAt, string? MessageId, string? LastError)
{
    /// <summary>The state of a poison queue message.</summary>
    public const string PoisonState = "Poisoned";

    public static DeliveryEntryView From(PoisonDelivery message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(
            message.Request?.Key.ChannelId, message.Request?.Key.ConversationId, null, PoisonState, (int)message.DequeueCount, message.Request?.PlannedAt, null, message.MessageId,
            message.Request is null ? $"not a delivery message: {message.Body}" : $"the delivery message failed {message.DequeueCount} times and is in the poison queue");
    }

    public static DeliveryEntryView From(DeliveryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var row = entry.Row;
        return new(entry.Conversation?.ChannelId, entry.Conversation?.ConversationId, row.PaperId, row.State, row.Attempts, row.PlannedAt, row.SentAt, row.ActivityId, row.LastError);
    }
}

/// <summary>A change, as <c>digest changes --json</c> prints it.</summary>
public sealed record ChangeView(
    DateTimeOffset DetectedAt, string Kind, string PaperId, string Title, string? Date, string Page, string Snapshot, string? Fields, int? OldUpvotes, int? NewUpvotes)
{
    public static ChangeView From(ChangeRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new(row.DetectedAt, row.Kind, row.PaperId, row.Title, row.PaperDate, row.PageKey, row.SnapshotId, row.Fields, row.OldUpvotes, row.NewUpvotes);
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(CycleView))]
[JsonSerializable(typeof(IReadOnlyList<Paper>))]
[JsonSerializable(typeof(IReadOnlyList<ChangeView>))]
[JsonSerializable(typeof(RuleTestView))]
[JsonSerializable(typeof(IReadOnlyList<DeliveryEntryView>))]
[JsonSerializable(typeof(DigestStatusReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>Output for people and scripts at a terminal: no HTML-safe escaping of <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c> or quotes.</summary>
    public static CliJsonContext Output => LazyOutput.Value;

    // Lazy: the order of static initializers across the generated partial class is not defined.

    private static readonly Lazy<CliJsonContext> LazyOutput = new(() =>
        new CliJsonContext(new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters = { new JsonStringEnumConverter() },
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }));
}
