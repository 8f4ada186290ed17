using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Digest.Tests.Cli;

/// <summary>One run of a WebJobs function on one host, from its "Executing" to its "Executed" log line.</summary>
internal sealed record FunctionExecution(string Host, string Function, string InvocationId, long StartedAt, long? FinishedAt, string? Status);

/// <summary>
/// A logger provider added to a timer host that notes, with a monotonic timestamp taken as the line is logged, when the
/// WebJobs runtime starts and finishes each function invocation.
/// </summary>
internal sealed partial class FunctionExecutionRecorder(string host) : ILoggerProvider
{
    private readonly ConcurrentDictionary<string, FunctionExecution> _executions = new(StringComparer.Ordinal);

    public string Host => host;

    public IReadOnlyList<FunctionExecution> Executions => [.. _executions.Values.OrderBy(execution => execution.StartedAt)];

    public int Completed(string function) =>
        _executions.Values.Count(execution => execution.FinishedAt is not null && execution.Function.EndsWith(function, StringComparison.Ordinal));

    public ILogger CreateLogger(string categoryName) => new Recorder(this);

    public void Dispose()
    {
    }

    private void Record(string? message)
    {
        // Some WebJobs components (the queue listener among them) log entries whose formatter gives no text.
        if (message is null)
        {
            return;
        }

        var now = TimeProvider.System.GetTimestamp();
        if (Executing().Match(message) is { Success: true } started)
        {
            var id = started.Groups["id"].Value;
            _executions.TryAdd(id, new FunctionExecution(host, started.Groups["function"].Value, id, now, null, null));
        }
        else if (Executed().Match(message) is { Success: true } finished)
        {
            _executions.AddOrUpdate(
                finished.Groups["id"].Value,
                id => new FunctionExecution(host, finished.Groups["function"].Value, id, now, now, finished.Groups["status"].Value),
                (_, execution) => execution with { FinishedAt = now, Status = finished.Groups["status"].Value });
        }
    }

    [GeneratedRegex(@"^Executing '(?<function>[^']+)' \(.*Id=(?<id>[0-9a-fA-F-]{36})")]
    private static partial Regex Executing();

    [GeneratedRegex(@"^Executed '(?<function>[^']+)' \((?<status>\w+), Id=(?<id>[0-9a-fA-F-]{36})")]
    private static partial Regex Executed();

    private sealed class Recorder(FunctionExecutionRecorder recorder) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            recorder.Record(formatter(state, exception));
        }
    }
}
