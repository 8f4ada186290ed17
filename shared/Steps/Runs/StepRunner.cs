using System.Globalization;
using Digest.Telemetry;
using Microsoft.Extensions.Logging;

namespace Digest.Steps.Runs;

/// <summary>
/// The one place a step of <see cref="DigestSteps.All"/> is run, by every host (<see cref="CrawlSteps"/> and
/// <see cref="DeliverySteps"/> call it): it logs one summary line per run and records the run in <see cref="StepRunStore"/>
/// for <c>digest status</c>. The record is a report on the step, never a reason for it to fail: a write that fails is
/// logged, and the step's own result or exception goes to the host as it would without it.
/// </summary>
public sealed partial class StepRunner(StepRunStore store, TimeProvider time, ILogger<StepRunner> logger, ServiceIdentity? identity = null)
{
    /// <summary>How often, at most, a step run per queue message (<see cref="RunEachAsync"/>) writes its record.</summary>
    public static readonly TimeSpan EachRecordInterval = TimeSpan.FromMinutes(1);

    // A step that was cancelled (its host stopping) still gets its record, within this.
    private static readonly TimeSpan RecordTimeout = TimeSpan.FromSeconds(10);

    private readonly ServiceIdentity _identity = identity ?? ServiceIdentity.Of("digest");
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RunsSinceRecord> _unrecorded = new(StringComparer.Ordinal);

    /// <summary>Runs a step and records it: its start before; after, its outcome, duration and <paramref name="summarize"/>d
    /// result, or its exception's message (the exception is then rethrown). Two writes a run: for the steps on timers.</summary>
    public async Task<T> RunAsync<T>(string step, Func<CancellationToken, Task<T>> run, Func<T, string> summarize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(summarize);
        var startedAt = time.GetUtcNow();
        await TryRecordAsync(step, token => store.RecordStartedAsync(step, startedAt, _identity, token), cancellationToken).ConfigureAwait(false);
        var started = time.GetTimestamp();
        T result;
        try
        {
            result = await run(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            var failed = Failed(step, startedAt, started, exception);
            await TryRecordAsync(step, token => store.RecordFinishedAsync(failed, token), CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        var succeeded = Succeeded(step, startedAt, started, summarize(result));
        await TryRecordAsync(step, token => store.RecordFinishedAsync(succeeded, token), CancellationToken.None).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Runs a step that runs once per queue message (<see cref="DigestSteps.DeliverToSubscription"/>) and records it without
    /// a write per message: the first run in a process is written at once, then at most one record per
    /// <see cref="EachRecordInterval"/>: the latest run, with a summary of the runs since the previous record. Runs not
    /// written yet are written by <see cref="FlushAsync"/> (when a host stops, and at the end of <c>digest once</c>).
    /// </summary>
    public async Task<T> RunEachAsync<T>(string step, Func<CancellationToken, Task<T>> run, Func<T, string> summarize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(summarize);
        var startedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        T result;
        try
        {
            result = await run(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            await RecordEachAsync(Failed(step, startedAt, started, exception)).ConfigureAwait(false);
            throw;
        }

        await RecordEachAsync(Succeeded(step, startedAt, started, summarize(result))).ConfigureAwait(false);
        return result;
    }

    /// <summary>Writes the runs of <see cref="RunEachAsync"/> not written yet.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        List<StepRun> due;
        lock (_gate)
        {
            due = [.. _unrecorded.Values.Where(runs => runs.Count > 0).Select(runs => runs.Take(time.GetUtcNow()))];
        }

        foreach (var run in due)
        {
            await TryRecordAsync(run.Step, token => store.RecordFinishedAsync(run, token), cancellationToken).ConfigureAwait(false);
        }
    }

    private StepRun Succeeded(string step, DateTimeOffset startedAt, long started, string summary)
    {
        var run = new StepRun(step, startedAt, time.GetUtcNow(), StepOutcome.Succeeded, time.GetElapsedTime(started), summary, null, _identity.Name, _identity.Instance);
        LogSucceeded(logger, step, run.Duration!.Value, summary);
        return run;
    }

    private StepRun Failed(string step, DateTimeOffset startedAt, long started, Exception exception)
    {
        var run = new StepRun(step, startedAt, time.GetUtcNow(), StepOutcome.Failed, time.GetElapsedTime(started), null, exception.Message, _identity.Name, _identity.Instance);
        LogFailed(logger, step, run.Duration!.Value, exception);
        return run;
    }

    // Adds the run to its step's runs since the last record, and writes the record when it is due.
    private async Task RecordEachAsync(StepRun run)
    {
        StepRun? due = null;
        lock (_gate)
        {
            if (!_unrecorded.TryGetValue(run.Step, out var runs))
            {
                _unrecorded[run.Step] = runs = new RunsSinceRecord();
            }

            runs.Add(run);
            if (runs.RecordedAt is not { } recordedAt || time.GetUtcNow() - recordedAt >= EachRecordInterval)
            {
                due = runs.Take(time.GetUtcNow());
            }
        }

        if (due is not null)
        {
            await TryRecordAsync(run.Step, token => store.RecordFinishedAsync(due, token), CancellationToken.None).ConfigureAwait(false);
        }
    }

    // The record is a report on the step, never a reason for it to fail: whatever the write throws (storage unreachable,
    // refused, throttled, a token it could not get, a cancellation) is logged and the step goes on.
    private async Task TryRecordAsync(string step, Func<CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RecordTimeout);
        try
        {
            await write(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogRecordFailed(logger, step, exception);
        }
    }

    [LoggerMessage(EventId = 1801, Level = LogLevel.Information, Message = "{Step} succeeded in {Duration}: {Summary}")]
    private static partial void LogSucceeded(ILogger logger, string step, TimeSpan duration, string summary);

    // A warning: the host reports the failure of its function (or command) itself.
    [LoggerMessage(EventId = 1802, Level = LogLevel.Warning, Message = "{Step} failed after {Duration}")]
    private static partial void LogFailed(ILogger logger, string step, TimeSpan duration, Exception exception);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Warning, Message = "Could not record the run of {Step} for digest status; the step itself is not affected")]
    private static partial void LogRecordFailed(ILogger logger, string step, Exception exception);

    /// <summary>One step's runs per queue message since its last record.</summary>
    private sealed class RunsSinceRecord
    {
        private StepRun? _latest;
        private DateTimeOffset _since;
        private int _failed;
        private string? _lastError;

        public int Count { get; private set; }

        public DateTimeOffset? RecordedAt { get; private set; }

        public void Add(StepRun run)
        {
            if (Count == 0)
            {
                _since = run.LastStartedAt!.Value;
            }

            Count++;
            _latest = run;
            if (run.Outcome == StepOutcome.Failed)
            {
                _failed++;
                _lastError = run.Error;
            }
        }

        /// <summary>The record of the runs since the last one (the latest run, a summary of them all), and a new count.</summary>
        public StepRun Take(DateTimeOffset now)
        {
            var latest = _latest!;
            var summary = string.Create(CultureInfo.InvariantCulture,
                $"{Count} run{(Count == 1 ? "" : "s")} since {_since:yyyy-MM-dd HH:mm:ss}Z: {Count - _failed} succeeded, {_failed} failed");
            if (latest.Summary is { } last)
            {
                summary += $"; last: {last}";
            }

            if (_lastError is { } error)
            {
                summary += $"; last error: {error}";
            }

            Count = 0;
            _failed = 0;
            _lastError = null;
            RecordedAt = now;
            return latest with { Summary = summary };
        }
    }
}
