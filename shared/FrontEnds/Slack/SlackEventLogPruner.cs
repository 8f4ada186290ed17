using Azure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Digest.FrontEnds.Slack;

/// <summary>Prunes the <see cref="SlackEventLog"/> once an hour while the Slack front end runs. A failed prune is
/// logged and tried at the next hour: the rows only wait longer.</summary>
public sealed partial class SlackEventLogPruner(SlackEventLog log, TimeProvider time, ILogger<SlackEventLogPruner> logger) : BackgroundService
{
    /// <summary>How often the log is pruned.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await PruneOnceAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the host is stopping
        }
    }

    /// <summary>One prune, its outcome logged.</summary>
    public async Task PruneOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var deleted = await log.PruneAsync(cancellationToken).ConfigureAwait(false);
            LogPruned(logger, deleted);
        }
        catch (RequestFailedException exception)
        {
            LogPruneFailed(logger, exception);
        }
    }

    [LoggerMessage(EventId = 1701, Level = LogLevel.Information, Message = "Pruned {Count} handled Slack events past their retention")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Warning, Message = "Pruning the Slack event log failed; the next hour tries again")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);
}
