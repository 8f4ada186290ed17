using Azure;
using Azure.Data.Tables;

namespace Digest.Steps.Runs;

/// <summary>A row of the <c>stepruns</c> table: one per step, replaced by each finished run.</summary>
internal sealed class StepRunRow : ITableEntity
{
    public const string Partition = "step";

    public string PartitionKey { get; set; } = Partition;

    /// <summary>The step's name.</summary>
    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public DateTimeOffset? LastStartedAt { get; set; }

    public DateTimeOffset? LastFinishedAt { get; set; }

    public string? Outcome { get; set; }

    public double? DurationSeconds { get; set; }

    public string? Summary { get; set; }

    public string? Error { get; set; }

    public string? Host { get; set; }

    public string? Instance { get; set; }

    public static StepRunRow From(StepRun run) => new()
    {
        RowKey = run.Step,
        LastStartedAt = run.LastStartedAt,
        LastFinishedAt = run.LastFinishedAt,
        Outcome = run.Outcome?.ToString(),
        DurationSeconds = run.Duration?.TotalSeconds,
        Summary = run.Summary,
        Error = run.Error,
        Host = run.Host,
        Instance = run.Instance,
    };

    public StepRun ToStepRun() => new(
        RowKey,
        LastStartedAt,
        LastFinishedAt,
        Enum.TryParse<StepOutcome>(Outcome, out var outcome) ? outcome : null,
        DurationSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
        Summary,
        Error,
        Host,
        Instance);
}
