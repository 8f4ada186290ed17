using Azure.Data.Tables;
using Digest.Storage;
using Digest.Telemetry;

namespace Digest.Steps.Runs;

/// <summary>The <c>stepruns</c> table: the last run of each step, one row per step in one partition, so that reading
/// them all is one query and recording a run is one write.</summary>
public sealed class StepRunStore(DigestStorage storage)
{
    // A table property holds 32K characters; a line of summary or an exception message needs far fewer.
    private const int MaxText = 2000;

    /// <summary>Notes that a run of <paramref name="step"/> started (the rest of the row is the previous run's until it
    /// finishes).</summary>
    public async Task RecordStartedAsync(string step, DateTimeOffset startedAt, ServiceIdentity host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var started = new TableEntity(StepRunRow.Partition, step)
        {
            [nameof(StepRunRow.LastStartedAt)] = startedAt,
            [nameof(StepRunRow.Host)] = host.Name,
            [nameof(StepRunRow.Instance)] = host.Instance,
        };
        await storage.StepRuns.UpsertEntityAsync(started, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records a finished run: the whole row is replaced.</summary>
    public async Task RecordFinishedAsync(StepRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var row = StepRunRow.From(run with { Summary = Shorten(run.Summary), Error = Shorten(run.Error) });
        await storage.StepRuns.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The last run of every step of <see cref="DigestSteps.All"/>, in their order (<see cref="StepRun.Never"/>
    /// for a step that never ran).</summary>
    public async Task<IReadOnlyList<StepRun>> ListAsync(CancellationToken cancellationToken)
    {
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var runs = await storage.StepRuns.QueryAsync<StepRunRow>(TableClient.CreateQueryFilter($"PartitionKey eq {StepRunRow.Partition}"), cancellationToken: cancellationToken)
            .ToDictionaryAsync(row => row.RowKey, row => row.ToStepRun(), StringComparer.Ordinal, cancellationToken).ConfigureAwait(false);
        return [.. DigestSteps.All.Select(step => runs.GetValueOrDefault(step.Name) ?? StepRun.Never(step.Name))];
    }

    private static string? Shorten(string? text) => text is { Length: > MaxText } ? text[..(MaxText - 1)] + "…" : text;
}
